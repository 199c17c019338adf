import { afterEach, describe, expect, it, vi } from "vitest";
import { DedupeCache } from "./dedupe-cache.js";

/** Moves the fake clocks (performance.now included) to `ms` after the test started. */
let origin = 0;
function advanceTo(ms: number) {
  vi.advanceTimersByTime(ms - (performance.now() - origin));
}

describe("DedupeCache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("remembers at most maxKeys keys and at least the newest half of them", () => {
    const cache = new DedupeCache({ maxKeys: 4, ttlMs: 0 });
    for (const key of ["a", "b", "c", "d", "e"]) expect(cache.firstSight(key)).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(4);
    // The newest two (half of maxKeys) are known whatever the generations did.
    expect(cache.firstSight("e")).toBe(false);
    expect(cache.firstSight("d")).toBe(false);
    expect(cache.firstSight("a"), "the oldest was forgotten").toBe(true);
    for (let i = 0; i < 1000; i++) cache.firstSight(`k${i}`);
    expect(cache.size).toBeLessThanOrEqual(4);
  });

  it("keeps a key that keeps coming back, where a first-in-first-out cache would drop it", () => {
    const cache = new DedupeCache({ maxKeys: 4, ttlMs: 0 });
    expect(cache.firstSight("hot")).toBe(true);
    for (let i = 0; i < 100; i++) {
      cache.firstSight(`cold${i}`);
      expect(cache.firstSight("hot"), `repeat ${i}`).toBe(false);
    }
  });

  it("forgets a key after the TTL (at most two TTLs later) and never before", () => {
    vi.useFakeTimers({ now: 0 });
    origin = performance.now();
    const cache = new DedupeCache({ maxKeys: 100, ttlMs: 1000 });
    expect(cache.firstSight("m")).toBe(true);
    advanceTo(999);
    expect(cache.firstSight("m"), "within the TTL").toBe(false);
    advanceTo(1998);
    expect(cache.firstSight("m"), "seen again: still known").toBe(false);
    advanceTo(1998 + 2000);
    expect(cache.firstSight("m"), "two TTLs without a sight").toBe(true);
  });

  it("forgets everything after two idle TTLs", () => {
    vi.useFakeTimers({ now: 0 });
    origin = performance.now();
    const cache = new DedupeCache({ maxKeys: 100, ttlMs: 10 });
    cache.firstSight("a");
    advanceTo(5);
    cache.firstSight("b");
    advanceTo(25);
    expect(cache.firstSight("b")).toBe(true);
    expect(cache.firstSight("a")).toBe(true);
  });
});
