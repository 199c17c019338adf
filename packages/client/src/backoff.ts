/** Reconnect backoff settings. */
export interface BackoffOptions {
  /**
   * Delay before the first reconnect attempt, in milliseconds.
   * @default 500
   */
  initialDelayMs?: number;
  /**
   * Upper bound of a reconnect delay, in milliseconds.
   * @default 30000
   */
  maxDelayMs?: number;
  /**
   * Give up (and close with an `unavailable` error) after this many failed
   * attempts in a row. A successful `ready` resets the count.
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * Minimum delay after the server closed with 4429 (rate limited) or 1008
   * (policy violation), in milliseconds.
   * @default 15000
   */
  rateLimitedDelayMs?: number;
}

/**
 * The delay before reconnect attempt `attempt` (0-based): exponential growth
 * capped at `maxDelayMs`, with "equal jitter" (half fixed, half random) so a
 * crowd of clients dropped together does not come back in lockstep.
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
