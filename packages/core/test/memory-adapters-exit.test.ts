import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("a process using every memory adapter exits by itself (no timer keeps it alive)", async () => {
  const script = fileURLToPath(new URL("./fixtures/memory-adapters-exit.ts", import.meta.url));
  // tsx runs the TypeScript sources directly; a timeout turns "hangs" into a clear failure.
  const { stdout } = await run(process.execPath, ["--import", "tsx", script], {
    timeout: 20_000,
    cwd: fileURLToPath(new URL("../../..", import.meta.url)),
  });
  expect(stdout.trim()).toBe("done");
}, 30_000);
