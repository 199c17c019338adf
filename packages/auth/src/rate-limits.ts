import { createMemoryRateLimiter, type RateLimiter } from "@lucky-im/core";

/** A budget: `points` actions per `durationMs`. */
export interface RateLimit {
  /** How many actions the budget allows per window; the next one is refused with `rate_limited`. */
  points: number;
  /** The window's length in milliseconds; the points come back when it ends. */
  durationMs: number;
}

/** A named budget: the name tells limiters apart (`auth_login_user`, `auth_code_ip`, ...). */
export interface RateLimitSpec extends RateLimit {
  /** Unique per budget; a shared (Redis) limiter uses it as its key prefix. */
  name: string;
}

/**
 * Makes the limiter of one named budget. Pass one backed by Redis
 * (`createRedisRateLimiter` of `@lucky-im/presence-redis`) to share limits across nodes.
 */
export type RateLimiterFactory = (spec: RateLimitSpec) => RateLimiter;

/** The default factory: core's in-memory limiter, one per budget, keyed by its name. */
export const inMemoryRateLimits: RateLimiterFactory = (spec) =>
  createMemoryRateLimiter({
    points: spec.points,
    durationMs: spec.durationMs,
    keyPrefix: spec.name,
  });
