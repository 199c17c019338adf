import { createServer } from "node:net";
import { hasErrorCode } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { createPostgresStore } from "../src/index.js";

/** A loopback port nothing listens on (taken, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("PostgreSQL unreachable at startup", () => {
  it("fails with one line naming the server (not its password), the socket's error as the cause", async () => {
    const port = await unusedPort();
    const failure = await createPostgresStore({
      url: `postgres://lucky:s3cret-pw@127.0.0.1:${port}/chat`,
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeDefined();
    expect(hasErrorCode(failure, "unavailable")).toBe(true);
    expect(failure!.message).toBe(
      `[lucky-im] [store-postgres] cannot connect to PostgreSQL at postgres://lucky@127.0.0.1:${port}/chat (ECONNREFUSED)`,
    );
    expect(failure!.message).not.toContain("s3cret");
    // The cause is the socket's error itself, not a chain of wrappers around it.
    expect((failure!.cause as Error).message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect((failure!.cause as Error).cause).toBeUndefined();
  });
});
