/**
 * The delay before reconnect attempt `attempt` (0 for the first retry): exponential growth from
 * `initialDelayMs`, capped at `maxDelayMs`, with "equal jitter" (half fixed, half random) so that
 * clients or nodes cut off together do not all come back in the same millisecond. The client's
 * reconnects and the AMQP broker's reconnects both use it.
 *
 * @param attempt - 0-based number of the attempt; values above 30 count as 30 (no overflow).
 * @param initialDelayMs - the delay ceiling of the first attempt, in milliseconds.
 * @param maxDelayMs - the largest delay ceiling, in milliseconds.
 * @param random - a source of numbers in [0, 1); `Math.random` unless given (tests pass a fixed one).
 * @returns the delay in whole milliseconds, between half the ceiling and the ceiling.
 *
 * @example
 * ```ts
 * setTimeout(reconnect, backoffDelay(attempt++, 500, 30_000));
 * ```
 */
export function backoffDelay(
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
