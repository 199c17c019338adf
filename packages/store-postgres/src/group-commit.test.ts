import { describe, expect, it } from "vitest";
import { GroupCommit, type Outcome } from "./group-commit.js";

describe("GroupCommit", () => {
  it("batches items submitted within the window; each caller gets its own outcome", async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        return items.map(
          (n): Outcome<number> =>
            n % 3 === 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n * 10 },
        );
      },
      { windowMs: 5, maxBatch: 4 },
    );
    const settled = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((n) => commit.submit(n)));
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value : String(s.reason)))).toEqual([
      10,
      20,
      "Error: bad 3",
      40,
      50,
      "Error: bad 6",
    ]);
  });

  it("rejects every item when the batch function throws, and drain waits for batches in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const commit = new GroupCommit<number, number>(
      async () => {
        await gate;
        throw new Error("down");
      },
      { windowMs: 1000, maxBatch: 100 },
    );
    const pending = [commit.submit(1), commit.submit(2)].map((p) =>
      p.catch((e: Error) => e.message),
    );
    let drained = false;
    const drain = commit.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);
    release();
    await drain;
    expect(await Promise.all(pending)).toEqual(["down", "down"]);
  });
});
