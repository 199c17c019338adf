/**
 * The delay before reconnect attempt `attempt` (0 for the first retry):
 * exponential from `initialMs`, capped at `maxMs`, with "equal jitter" (a
 * random half of the delay) so that nodes cut off together do not all come
 * back in the same millisecond.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + random() * (base / 2));
}
