import { describe, expect, it } from "vitest";
import { TurnBatch } from "./turn-batch.js";

describe("TurnBatch", () => {
  it("reads asked for in one turn share a batch (at most maxBatch); each caller gets its own answer", async () => {
    const batches: number[][] = [];
    const reads = new TurnBatch<number, string>(
      async (items) => {
        batches.push([...items]);
        return items.map((n) => `#${n}`);
      },
      { maxBatch: 4, maxInFlight: 8 },
    );
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => reads.submit(n)));
    expect(answers).toEqual(["#1", "#2", "#3", "#4", "#5", "#6"]);
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
  });

  it("while maxInFlight batches run, later reads wait and leave together", async () => {
    const batches: number[][] = [];
    const release: (() => void)[] = [];
    const reads = new TurnBatch<number, number>(
      async (items) => {
        batches.push([...items]);
        await new Promise<void>((resolve) => release.push(resolve));
        return items.map((n) => n * 10);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = reads.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => reads.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches, "nothing leaves while the one allowed batch runs").toEqual([[1]]);
    release.shift()!();
    expect(await first).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    release.shift()!();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it("a failed batch rejects each of its reads; the next batch is not affected", async () => {
    let calls = 0;
    const reads = new TurnBatch<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) throw new Error("down");
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const failed = await Promise.allSettled([reads.submit(1), reads.submit(2)]);
    expect(failed.map((s) => (s.status === "rejected" ? String(s.reason) : s.value))).toEqual([
      "Error: down",
      "Error: down",
    ]);
    expect(await reads.submit(3)).toBe(3);
  });

  it("a batch answering too few results rejects the reads left without one", async () => {
    const reads = new TurnBatch<number, number>(async (items) => items.slice(0, 1), {
      maxBatch: 10,
      maxInFlight: 1,
    });
    const settled = await Promise.allSettled([reads.submit(1), reads.submit(2)]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
  });

  it("with sizeOf, a batch leaves once its items' sizes reach maxBatch", async () => {
    const batches: string[][][] = [];
    const lookups = new TurnBatch<string[], number>(
      async (items) => {
        batches.push(items);
        return items.map((ids) => ids.length);
      },
      { maxBatch: 5, sizeOf: (ids) => ids.length },
    );
    const first = lookups.submit(["a", "b", "c"]);
    const second = lookups.submit(["d", "e"]); // 5 ids: leaves at once
    expect(batches).toEqual([
      [
        ["a", "b", "c"],
        ["d", "e"],
      ],
    ]);
    const third = lookups.submit(["f", "g", "h", "i", "j", "k"]); // larger than maxBatch: alone
    const fourth = lookups.submit(["l"]);
    expect(await Promise.all([first, second, third, fourth])).toEqual([3, 2, 6, 1]);
    expect(batches).toEqual([
      [
        ["a", "b", "c"],
        ["d", "e"],
      ],
      [["f", "g", "h", "i", "j", "k"]],
      [["l"]],
    ]);
  });

  it("with windowMs, calls of later turns join the batch until the window ends; drain sends it at once", async () => {
    const batches: number[][] = [];
    const commits = new TurnBatch<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((n) => n * 10);
      },
      { maxBatch: 10, windowMs: 60_000 },
    );
    const first = commits.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const second = commits.submit(2);
    expect(batches, "a turn passed, the window did not").toEqual([]);
    await commits.drain();
    expect(batches).toEqual([[1, 2]]);
    expect(await Promise.all([first, second])).toEqual([10, 20]);
  });

  it("with windowMs, a call made while a batch runs waits for its own window, not for that batch's return", async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const commits = new TurnBatch<number, number>(
      async (items) => {
        batches.push(items);
        if (items[0] === 1) await new Promise<void>((resolve) => (release = resolve));
        return items;
      },
      { maxBatch: 10, windowMs: 200 },
    );
    const first = commits.submit(1);
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Batch [1] is running: 2 starts a window of its own.
    const second = commits.submit(2);
    release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    // [1] returned a turn ago; the window of 2 still runs, so 3 joins it.
    const third = commits.submit(3);
    await Promise.all([second, third]);
    expect(batches).toEqual([[1], [2, 3]]);
  });
});
