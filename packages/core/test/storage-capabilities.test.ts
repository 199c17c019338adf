/**
 * The kit's capability flags: an optional method an adapter declares it lacks
 * shows as skipped with the reason; one absent but not declared fails. Runs
 * the kit on a fixture in a vitest of its own, and reads the outcome.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startVitest } from "vitest/node";

const fixture = fileURLToPath(new URL("./fixtures/storage-capabilities.kit.ts", import.meta.url));

describe("storage suite capabilities", () => {
  it("skips a declared missing capability by name, and fails an undeclared one", async () => {
    const vitest = await startVitest("test", [], {
      watch: false,
      config: false,
      root: fileURLToPath(new URL(".", import.meta.url)),
      include: [fixture],
      // A reporter that prints nothing: the fixture's failures are expected.
      reporters: [{}],
      globalSetup: [],
    });
    try {
      const outcomes = vitest.state
        .getFiles()
        .flatMap((file) => collect(file))
        .filter((test) => test.name.includes("markMany"));
      const of = (suite: string) =>
        outcomes.filter((t) => t.path.startsWith(`${suite} cursors conformance`));
      expect(of("declared").map((t) => t.state)).toEqual(["skip", "skip"]);
      for (const test of of("declared")) {
        expect(test.name).toContain("[skipped: declared declares it lacks markMany]");
      }
      expect(of("undeclared").map((t) => t.state)).toEqual(["fail", "fail"]);
      for (const test of of("undeclared")) {
        expect(test.error).toContain('pass lacks: ["markMany"]');
      }
      expect(outcomes).toHaveLength(4);

      const limits = vitest.state
        .getFiles()
        .flatMap((file) => collect(file))
        .filter((t) => t.path.includes("message change conformance"));
      const capped = (suite: string) =>
        limits.filter(
          (t) => t.path.startsWith(`${suite} message change`) && /cap|keepEditHistory/.test(t.name),
        );
      expect(capped("declared").map((t) => t.state)).toEqual(["skip", "skip", "skip"]);
      for (const test of capped("declared")) {
        expect(test.name).toContain("[skipped: declared declares it lacks messageChangeLimits]");
      }
      expect(capped("undeclared").map((t) => t.state)).toEqual(["fail", "fail", "fail"]);
      for (const test of capped("undeclared")) {
        expect(test.error).toContain('lacks: ["messageChangeLimits"]');
      }
      // The rest of the suite runs, and passes, without createWithLimits.
      const rest = limits.filter(
        (t) => t.path.startsWith("declared") && !capped("declared").includes(t),
      );
      expect(rest.length).toBeGreaterThan(10);
      expect(rest.filter((t) => t.state !== "pass")).toEqual([]);
    } finally {
      await vitest.close();
      // The fixture's failures are the point: do not let them fail this run.
      process.exitCode = undefined;
    }
  }, 120_000);
});

interface Outcome {
  path: string;
  name: string;
  state: string | undefined;
  error: string | undefined;
}

type Task = {
  type: string;
  name: string;
  mode: string;
  tasks?: Task[];
  result?: { state?: string; errors?: { message?: string }[] };
};

/** Every test under `task`, with its describe path. */
function collect(task: Task, path: string[] = []): Outcome[] {
  if (task.type === "test") {
    return [
      {
        path: path.join(" "),
        name: task.name,
        state: task.mode === "skip" ? "skip" : task.result?.state,
        error: task.result?.errors?.[0]?.message,
      },
    ];
  }
  const inner = task.type === "suite" && path.length === 0 && !task.tasks ? [] : (task.tasks ?? []);
  const here = task.type === "suite" && "filepath" in task ? path : [...path, task.name];
  return inner.flatMap((child) => collect(child, here));
}
