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
  it("is the least-squares slope of CPU over delivered rate of the drained steps", () => {
    // Server 55, 70, 85 % of a core at 1,000, 2,000, 3,000/s: 150,000 µs/s more per 1,000 more
    // messages/s = 150 µs; services 70, 78, 86 % add 80 µs: 230 µs. The undrained and the saturated steps are left out.
    const slopes = marginalCpu([
      step(3000, 85, 86),
      step(1000, 55, 70),
      step(2000, 70, 78),
      step(5000, 99, 99, false),
      step(4000, 95, 90), // saturated: its CPU could not follow the rate
    ]);
    expect(slopes).toEqual([
      {
        target: "full",
        phase: "direct",
        steps: 3,
        fromDelivered: 1000,
        toDelivered: 3000,
        serverUsPerMessage: 150,
        totalUsPerMessage: 230,
      },
    ]);
  });

  it("needs two steps at least 10 % apart", () => {
    expect(marginalCpu([step(1000, 60, 80), step(1050, 61, 80)])).toEqual([]);
    expect(marginalCpu([step(1000, 60, 80)])).toEqual([]);
  });

  it("fits instructions too when the steps were counted under callgrind", () => {
    // 1,000 + 2,000 kinstr per message/s: 2,000 kinstr per additional message.
    const counted = (delivered: number) => ({
      ...step(delivered, 50, 0),
      kiloInstructionsPerSecond: 1_000 + 2_000 * delivered,
    });
    const [fit] = marginalCpu([counted(20), counted(40), counted(60)]);
    expect(fit?.kiloInstructionsPerMessage).toBe(2000);
    const [uncounted] = marginalCpu([step(20, 50, 0), step(40, 60, 0)]);
    expect(uncounted).not.toHaveProperty("kiloInstructionsPerMessage");
  });

  it("fits through noise: a step above the line does not make the slope negative", () => {
    const [fit] = marginalCpu([step(1000, 49, 71), step(2000, 57, 80), step(3000, 59, 75)]);
    expect(fit?.serverUsPerMessage).toBe(50);
    expect(fit?.totalUsPerMessage).toBe(70);
  });
});
