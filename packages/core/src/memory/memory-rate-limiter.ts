import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import { toImError } from "../errors.js";
import { withRateLimiterRuntime } from "../runtime/rate-limiter-runtime.js";
import { checkOption } from "../util/check-option.js";

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /** Points each key may take per window. */
  points: number;
  /** The window, in milliseconds (fixed window, starting at a key's first point). */
  durationMs: number;
  /**
   * Once a key is over budget, refuse it for this long (ms) instead of until
   * the window ends. `0` refuses only until the window ends.
   * @default 0
   */
  blockDurationMs?: number;
  /**
   * Prefix of every key, to keep several limiters apart in logs and dumps.
   * @default "lucky-im"
   */
  keyPrefix?: string;
}

/**
 * Creates a {@link RateLimiter} counting in this process, on
 * rate-limiter-flexible's `RateLimiterMemory` (its expiry timers are
 * `unref()`ed). Limits hold per process: use the Redis limiter of
 * `@lucky-im/presence-redis` to hold them across nodes.
 *
 * @example
 * ```ts
 * const limiter = createMemoryRateLimiter({ points: 20, durationMs: 1000 });
 * const { allowed, retryAfterMs } = await limiter.consume(connectionId);
 * ```
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const { points, durationMs, blockDurationMs = 0, keyPrefix = "lucky-im" } = options;
  checkOption("core", "points", points, { min: 1, integer: true });
  checkOption("core", "durationMs", durationMs, { above: 0 });
  checkOption("core", "blockDurationMs", blockDurationMs, { min: 0 });
  // rate-limiter-flexible counts in seconds; fractions work (it multiplies by 1000).
  const limiter = new RateLimiterMemory({
    points,
    duration: durationMs / 1000,
    blockDuration: blockDurationMs / 1000,
    keyPrefix,
  });
  const memoryLimiter: RateLimiter = {
    async consume(key, cost = 1) {
      try {
        const res = await limiter.consume(key, cost);
        return { allowed: true, remaining: res.remainingPoints, retryAfterMs: 0 };
      } catch (error) {
        // Over budget: the library rejects with a RateLimiterRes, not an Error.
        if (error instanceof RateLimiterRes) {
          return {
            allowed: false,
            remaining: Math.max(0, error.remainingPoints),
            retryAfterMs: Math.max(1, Math.ceil(error.msBeforeNext)),
          };
        }
        throw toImError(error, "internal", "[lucky-im] [core] memory rate limiter failed");
      }
    },
  };
  return withRateLimiterRuntime(memoryLimiter, { label: "[lucky-im] [core] memory rate limiter" });
}
