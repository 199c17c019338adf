import { describe, expect, it } from "vitest";
import type { StepResult } from "./population.js";
import { checkCpuRatios } from "./regression-check.js";

/** A step with the fields the check reads; the rest is irrelevant to it. */
function step(target: string, cpuUsPerMessage: number, delivered: number, drained = true) {
  return { target, phase: "direct", cpuUsPerMessage, delivered, drained } as StepResult;
}

describe("checkCpuRatios", () => {
  it("weights each target's CPU per message by deliveries and compares it with the baseline", () => {
    const findings = checkCpuRatios(
      [
        step("ws", 100, 1000),
        step("ws", 50, 3000),
        step("embedded", 150, 1000),
        step("embedded", 90, 3000),
      ],
      "ws",
      2,
    );
    // ws: (100*1000 + 50*3000) / 4000 = 62.5; embedded: (150*1000 + 90*3000) / 4000 = 105
    expect(findings).toEqual([
      {
        target: "embedded",
        phase: "direct",
        cpuUsPerMessage: 105,
        baselineCpuUsPerMessage: 62.5,
        ratio: 1.68,
        ok: true,
      },
    ]);
  });

  it("fails a target above the allowed ratio, and one that drained no step", () => {
    const findings = checkCpuRatios(
      [step("ws", 50, 1000), step("embedded", 200, 1000), step("sqlite", 80, 1000, false)],
      "ws",
      2.5,
    );
    expect(findings.map((f) => [f.target, f.ok])).toEqual([
      ["embedded", false],
      ["sqlite", false],
    ]);
  });

  it("refuses a run whose baseline drained nothing", () => {
    expect(() =>
      checkCpuRatios([step("ws", 50, 1000, false), step("embedded", 60, 1000)], "ws", 2),
    ).toThrow(/baseline ws has no drained direct step/);
  });
});
