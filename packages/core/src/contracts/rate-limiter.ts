/** The answer of a {@link RateLimiter}. */
export interface RateLimitResult {
  /** False when the key is over its limit: refuse the action. */
  allowed: boolean;
  /** Points left in the current window. */
  remaining: number;
  /** When not allowed: milliseconds until the next point is available. */
  retryAfterMs: number;
}

/**
 * Counts actions per key (a connection, a user, an IP) against a budget.
 * The in-memory default is per process; a Redis-backed one holds across nodes.
 */
export interface RateLimiter {
  /** Takes `points` (default 1) from `key`'s budget. */
  consume(key: string, points?: number): Promise<RateLimitResult>;
  /**
   * Releases what the limiter opened (a Redis client, say). Optional; idempotent. Through
   * `withRateLimiterRuntime` it is always there, and `consume` rejects after it.
   */
  close?(): Promise<void>;
}
