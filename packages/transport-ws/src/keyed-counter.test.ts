import { describe, expect, it } from "vitest";
import { KeyedCounter } from "./keyed-counter.js";

describe("KeyedCounter", () => {
  it("caps per key, releases once, and forgets keys at zero", () => {
    const counter = new KeyedCounter();
    const a1 = counter.acquire("a", 2);
    const a2 = counter.acquire("a", 2);
    expect(counter.acquire("a", 2)).toBeUndefined();
    expect(counter.acquire("b", 2)).toBeDefined();
    a1!();
    a1!();
    expect(counter.get("a")).toBe(1);
    a2!();
    expect(counter.get("a")).toBe(0);
    expect(counter.size).toBe(1);
    expect(counter.acquire("c", 0)).toBeUndefined();
  });
});
