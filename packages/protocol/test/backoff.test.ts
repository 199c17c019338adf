import { describe, expect, it } from "vitest";
import { backoffDelay } from "../src/backoff.js";

describe("backoffDelay", () => {
  it("grows exponentially from the initial delay", () => {
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(200);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
  });

  it("is capped, also for very large attempt counts", () => {
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(10_000, 100, 10_000, () => 1)).toBe(10_000);
  });

  it("jitters over the upper half of the delay", () => {
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(400);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(600);
  });

  it("stays within [ceiling/2, ceiling] with the client's defaults", () => {
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(250);
    expect(backoffDelay(0, 500, 30_000, () => 1)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, () => 1)).toBe(4000);
    expect(backoffDelay(20, 500, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(1000, 500, 30_000, () => 0.5)).toBe(22_500);
  });
});
