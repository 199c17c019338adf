import type { RateLimiter } from "@lucky-im/core";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** A budget: `points` actions per `durationMs` window. */
export interface RateLimit {
  /** Actions allowed per window. */
  points: number;
  /** The window, in ms. */
  durationMs: number;
}

/** What a {@link RateLimiterFactory} is asked for: a named budget. */
export interface RateLimitSpec extends RateLimit {
  /** Which limit this is (`auth_login_user`, `auth_code_ip`, ...): use it as a key prefix. */
  name: string;
}

/**
 * Makes the rate limiters the auth service needs, one per named budget. Pass
 * one that builds Redis-backed limiters to share budgets between nodes.
 */
export type RateLimiterFactory = (spec: RateLimitSpec) => RateLimiter;

/**
 * A {@link RateLimiter} in process memory (over `rate-limiter-flexible`); its
 * timers do not keep the process alive. Budgets are per process.
 */
export function createMemoryRateLimiter(limit: RateLimit): RateLimiter {
  const limiter = new RateLimiterMemory({
    points: limit.points,
    duration: limit.durationMs / 1000,
  });
  return {
    async consume(key, points = 1) {
      try {
        const res = await limiter.consume(key, points);
        return { allowed: true, remaining: res.remainingPoints, retryAfterMs: 0 };
      } catch (error) {
        // rate-limiter-flexible rejects with a RateLimiterRes when the budget is spent.
        if (error instanceof RateLimiterRes) {
          return { allowed: false, remaining: 0, retryAfterMs: error.msBeforeNext };
        }
        throw error;
      }
    },
  };
}
