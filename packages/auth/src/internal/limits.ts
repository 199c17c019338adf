import type { RateLimiter } from "@lucky-im/core";
import { authError, wrapError } from "./errors.js";

/** Takes one point from each (limiter, key) pair; rejects with `rate_limited` when one is spent. */
export async function enforce(
  checks: Array<[RateLimiter, string | undefined]>,
  what: string,
): Promise<void> {
  for (const [limiter, key] of checks) {
    if (key === undefined) continue;
    let result: Awaited<ReturnType<RateLimiter["consume"]>>;
    try {
      result = await limiter.consume(key);
    } catch (error) {
      throw wrapError(error, "unavailable", "rate limiter failed");
    }
    if (!result.allowed) {
      throw authError(
        "rate_limited",
        `too many ${what}: retry in ${Math.ceil(result.retryAfterMs / 1000)} s`,
        {
          details: { retryAfterMs: result.retryAfterMs },
        },
      );
    }
  }
}
