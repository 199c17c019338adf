import { describe, expect, it } from "vitest";
import { marginalCpu } from "./marginal-cpu.js";
import type { StepResult } from "./population.js";

/** A step with the fields the slope reads. */
function step(delivered: number, cpuPercent: number, servicesCpuPercent: number, drained = true) {
  return {
    target: "full",
    phase: "direct",
    delivered,
    cpuPercent,
    servicesCpuPercent,
    drained,
  } as StepResult;
}

describe("marginalCpu", () => {
  it("is the slope of CPU over delivered rate between consecutive drained steps", () => {
    // 1,000/s: 60 % + 80 %; 3,000/s: 90 % + 96 %. Server: 300,000 µs/s over 2,000 more
    // messages/s = 150 µs; with services: 460,000 / 2,000 = 230 µs (the averages: 1,400 and 620).
    const slopes = marginalCpu([step(3000, 90, 96), step(1000, 60, 80), step(5000, 99, 99, false)]);
    expect(slopes).toEqual([
      {
        target: "full",
        phase: "direct",
        fromDelivered: 1000,
        toDelivered: 3000,
        serverUsPerMessage: 150,
        totalUsPerMessage: 230,
      },
    ]);
  });

  it("skips steps closer than 10 % in rate", () => {
    expect(marginalCpu([step(1000, 60, 80), step(1050, 61, 80)])).toEqual([]);
  });
});
