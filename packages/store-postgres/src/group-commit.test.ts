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
      { windowMs: 5, maxBatch: 4, maxInFlight: 4 },
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
      { windowMs: 1000, maxBatch: 100, maxInFlight: 4 },
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

  it("while maxInFlight batches run, new items wait without a timer and leave together when one finishes", async () => {
    const batches: number[][] = [];
    const gates: (() => void)[] = [];
    const commit = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((resolve) => gates.push(resolve));
        return items.map((n): Outcome<number> => ({ ok: true, value: n }));
      },
      { windowMs: 0, maxBatch: 3, maxInFlight: 1 },
    );
    const first = commit.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[1]]);
    // The one slot is taken: these wait, whatever the window.
    const rest = [2, 3, 4, 5].map((n) => commit.submit(n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([[1]]);
    gates.shift()!();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 5));
    // One batch of maxBatch went at once; the last item waits for the next free slot.
    expect(batches).toEqual([[1], [2, 3, 4]]);
    gates.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    gates.shift()!();
    expect(await Promise.all(rest)).toEqual([2, 3, 4, 5]);
  });
});
