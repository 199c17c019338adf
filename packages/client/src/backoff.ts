/** Reconnect backoff settings (the delay itself is `backoffDelay` from `@lucky-im/protocol`). */
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
