/**
 * Marginal CPU per message: what one more message per second costs a target. The average (CPU /
 * delivered) folds in fixed costs that do not grow with the load (RabbitMQ's schedulers
 * busy-waiting, polling loops, timers); the slope of CPU over delivered rate leaves them out, so
 * it says what a message itself costs (issue 22 asks for both). Single steps are noisy on a
 * shared machine, so the slope is a least-squares fit over every drained step, not a difference
 * of two. A step whose server used most of its core is left out: its CPU could not grow with the
 * rate, so it would flatten the slope.
 */
import type { StepResult } from "./population.js";

/** The slope of CPU over delivered rate of one target and phase. */
export interface MarginalCpu {
  target: string;
  phase: string;
  /** The drained steps fitted, and their lowest and highest delivered/s. */
  steps: number;
  fromDelivered: number;
  toDelivered: number;
  /** Server CPU µs per additional delivered message. */
  serverUsPerMessage: number;
  /** Server plus services CPU µs per additional delivered message. */
  totalUsPerMessage: number;
  /** Server instructions (thousands) per additional delivered message, under callgrind only. */
  kiloInstructionsPerMessage?: number;
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return covariance / variance;
}

/** Server CPU (% of one core) from which a step counts as saturated. */
const SATURATED_PERCENT = 90;

/** µs of CPU per second at `percent` of one core. */
const usPerSecond = (percent: number) => percent * 10_000;

const oneDecimal = (value: number) => Math.round(value * 10) / 10;

/**
 * The marginal CPU of each target over its drained, unsaturated steps; a target needs two steps
 * at least 10 % apart in delivered rate (closer ones would make the slope mostly noise).
 */
export function marginalCpu(steps: readonly StepResult[]): MarginalCpu[] {
  const groups = new Map<string, StepResult[]>();
  for (const step of steps) {
    if (!step.drained || step.cpuPercent >= SATURATED_PERCENT) continue;
    const key = `${step.phase}\u0000${step.target}`;
    const group = groups.get(key) ?? [];
    group.push(step);
    groups.set(key, group);
  }
  const result: MarginalCpu[] = [];
  for (const group of groups.values()) {
    const rates = group.map((s) => s.delivered);
    const from = Math.min(...rates);
    const to = Math.max(...rates);
    if (group.length < 2 || to - from < from * 0.1) continue;
    const first = group[0] as StepResult;
    const server = slope(group.map((s) => [s.delivered, usPerSecond(s.cpuPercent)] as const));
    const total = slope(
      group.map(
        (s) =>
          [s.delivered, usPerSecond(s.cpuPercent) + usPerSecond(s.servicesCpuPercent)] as const,
      ),
    );
    const counted = group.every((s) => s.kiloInstructionsPerSecond !== undefined);
    const instructions = counted
      ? slope(group.map((s) => [s.delivered, s.kiloInstructionsPerSecond ?? 0] as const))
      : undefined;
    result.push({
      ...(instructions === undefined
        ? {}
        : { kiloInstructionsPerMessage: oneDecimal(instructions) }),
      target: first.target,
      phase: first.phase,
      steps: group.length,
      fromDelivered: from,
      toDelivered: to,
      serverUsPerMessage: oneDecimal(server),
      totalUsPerMessage: oneDecimal(total),
    });
  }
  return result;
}
