import { describe, expect, it } from "vitest";
import { DedupeCache } from "./dedupe-cache.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DedupeCache", () => {
  it("is bounded by maxKeys and evicts the least recently seen key, not the first inserted", () => {
    const cache = new DedupeCache({ maxKeys: 2, ttlMs: 0 });
    expect(cache.firstSight("a")).toBe(true);
    expect(cache.firstSight("b")).toBe(true);
    expect(cache.firstSight("a"), "a repeat").toBe(false);
    expect(cache.firstSight("c")).toBe(true);
    expect(cache.size).toBe(2);
    // A FIFO would have dropped "a" (inserted first); the LRU drops "b".
    expect(cache.firstSight("a"), "a, seen again lately, is still known").toBe(false);
    expect(cache.firstSight("b"), "b was evicted").toBe(true);
  });

  it("forgets a key after ttlMs", async () => {
    const cache = new DedupeCache({ maxKeys: 100, ttlMs: 5 });
    expect(cache.firstSight("m")).toBe(true);
    expect(cache.firstSight("m")).toBe(false);
    await pause(40);
    expect(cache.firstSight("m"), "expired").toBe(true);
  });
});
