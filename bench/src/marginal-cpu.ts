/**
 * Marginal CPU per message: what one more message per second costs, from two rates of one target.
 * The average (CPU / delivered) folds in fixed costs that do not grow with the load (RabbitMQ's
 * schedulers busy-waiting, polling loops, timers); the slope between two steps leaves them out,
 * so it says what a message itself costs (issue 22 asks for both).
 */
import type { StepResult } from "./population.js";

/** The slope between two consecutive drained steps of one target and phase. */
export interface MarginalCpu {
  target: string;
  phase: string;
  /** Delivered/s of the lower and the higher step. */
  fromDelivered: number;
  toDelivered: number;
  /** Server CPU µs per additional delivered message. */
  serverUsPerMessage: number;
  /** Server plus services CPU µs per additional delivered message. */
  totalUsPerMessage: number;
}

/** µs of CPU per second at `percent` of one core. */
const usPerSecond = (percent: number) => percent * 10_000;

/**
 * The marginal CPU of each target between its consecutive drained steps (by delivered rate);
 * pairs less than 10 % apart in rate are skipped (the slope would be mostly noise).
 */
export function marginalCpu(steps: readonly StepResult[]): MarginalCpu[] {
  const groups = new Map<string, StepResult[]>();
  for (const step of steps) {
    if (!step.drained) continue;
    const key = `${step.phase}\u0000${step.target}`;
    const group = groups.get(key) ?? [];
    group.push(step);
    groups.set(key, group);
  }
  const result: MarginalCpu[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.delivered - b.delivered);
    for (let i = 1; i < group.length; i++) {
      const low = group[i - 1] as StepResult;
      const high = group[i] as StepResult;
      const rateDelta = high.delivered - low.delivered;
      if (rateDelta < low.delivered * 0.1) continue;
      const server = usPerSecond(high.cpuPercent) - usPerSecond(low.cpuPercent);
      const services = usPerSecond(high.servicesCpuPercent) - usPerSecond(low.servicesCpuPercent);
      result.push({
        target: high.target,
        phase: high.phase,
        fromDelivered: low.delivered,
        toDelivered: high.delivered,
        serverUsPerMessage: Math.round((server / rateDelta) * 10) / 10,
        totalUsPerMessage: Math.round(((server + services) / rateDelta) * 10) / 10,
      });
    }
  }
  return result;
}
