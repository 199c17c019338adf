/**
 * The bench's regression check: CPU per message of each Lucky IM target as a
 * ratio to a baseline measured in the same run (`--max-cpu-ratio N`,
 * `--ratio-baseline ws`). A ratio, not a time: the two share the machine and
 * its noise, so a slower send path shows while a slower CI machine does not.
 */
import type { StepResult } from "./population.js";

/** One target's CPU per message over all its steps, against the baseline's. */
export interface RatioFinding {
  target: string;
  phase: string;
  cpuUsPerMessage: number;
  baselineCpuUsPerMessage: number;
  ratio: number;
  /** Whether the ratio is at most the allowed one. */
  ok: boolean;
}

/** CPU µs per message weighted by deliveries, over the steps that drained. */
function weightedCpuUs(steps: readonly StepResult[]): number | undefined {
  let cpu = 0;
  let delivered = 0;
  for (const step of steps) {
    if (!step.drained || step.delivered <= 0) continue;
    cpu += step.cpuUsPerMessage * step.delivered;
    delivered += step.delivered;
  }
  return delivered > 0 ? cpu / delivered : undefined;
}

/**
 * Compares every target but the baseline with the baseline, phase by phase.
 * Throws when the baseline has no drained step (nothing to compare with).
 */
export function checkCpuRatios(
  steps: readonly StepResult[],
  baseline: string,
  maxRatio: number,
): RatioFinding[] {
  const findings: RatioFinding[] = [];
  for (const phase of new Set(steps.map((s) => s.phase))) {
    const inPhase = steps.filter((s) => s.phase === phase);
    const base = weightedCpuUs(inPhase.filter((s) => s.target === baseline));
    if (base === undefined || base <= 0)
      throw new Error(`regression check: the baseline ${baseline} has no drained ${phase} step`);
    for (const target of new Set(inPhase.map((s) => s.target))) {
      if (target === baseline) continue;
      const cpu = weightedCpuUs(inPhase.filter((s) => s.target === target));
      // A target that drained no step regressed beyond measure.
      const ratio = cpu === undefined ? Number.POSITIVE_INFINITY : cpu / base;
      findings.push({
        target,
        phase,
        cpuUsPerMessage: Math.round((cpu ?? Number.NaN) * 10) / 10,
        baselineCpuUsPerMessage: Math.round(base * 10) / 10,
        ratio: Math.round(ratio * 100) / 100,
        ok: ratio <= maxRatio,
      });
    }
  }
  return findings;
}
