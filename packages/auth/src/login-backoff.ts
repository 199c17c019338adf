import type { RateLimiter } from "@lucky-im/core";
import { ConfigError } from "@lucky-im/core";
import { authError, wrapError } from "./internal/errors.js";
import type { RateLimiterFactory } from "./rate-limits.js";

/** Exponential backoff of failed logins, per (username, client IP). */
export interface LoginBackoffOptions {
  /**
   * Wrong passwords a (username, IP) pair may try without waiting.
   * @default 5
   */
  freeFailures?: number;
  /**
   * The wait after the first failure past the free ones, in ms; each further failure doubles it.
   * @default 1000
   */
  baseDelayMs?: number;
  /**
   * The longest wait, in ms.
   * @default 900000 (15 minutes)
   */
  maxDelayMs?: number;
  /**
   * How long failures are remembered, in ms (counted from the first of them).
   * @default 3600000 (one hour)
   */
  memoryMs?: number;
}

/**
 * Failed-login backoff of one (username, IP) pair. Only failures that cost a
 * password hash count, and a pair's backoff never touches the same user
 * logging in from another address: nobody can lock a user out.
 */
export interface LoginBackoff {
  /** Rejects with `rate_limited` (and `details.retryAfterMs`) while the pair must wait. */
  check(key: string): Promise<void>;
  /** Records a wrong password; the next attempt waits if the free ones are used up. */
  fail(key: string): Promise<void>;
}

// A budget far above any real count: the failure counter is a counter, never a limit.
const COUNTER_POINTS = 1_000_000;

async function consume(limiter: RateLimiter, key: string, points: number) {
  try {
    return await limiter.consume(key, points);
  } catch (error) {
    throw wrapError(error, "unavailable", "rate limiter failed");
  }
}

/**
 * Builds the backoff on the rate limiter factory, so that a Redis-backed
 * factory shares it between nodes. The failure count is a limiter that never
 * refuses (read by consuming 0 points); failure number `n` past the free ones
 * opens the window of gate `n` (one point per `baseDelayMs * 2^n`), and an
 * attempt waits while the gate of the current count is spent.
 */
export function createLoginBackoff(
  factory: RateLimiterFactory,
  options: LoginBackoffOptions = {},
): LoginBackoff {
  const freeFailures = options.freeFailures ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 900_000;
  const memoryMs = options.memoryMs ?? 3_600_000;
  if (!Number.isInteger(freeFailures) || freeFailures < 0) {
    throw new ConfigError("auth", "loginBackoff.freeFailures must be an integer >= 0");
  }
  if (!(baseDelayMs >= 1 && maxDelayMs >= baseDelayMs && memoryMs >= 1)) {
    throw new ConfigError(
      "auth",
      "loginBackoff needs 1 <= baseDelayMs <= maxDelayMs and memoryMs >= 1",
    );
  }
  const failures = factory({
    name: "auth_login_failures",
    points: COUNTER_POINTS,
    durationMs: memoryMs,
  });
  const levels = Math.ceil(Math.log2(maxDelayMs / baseDelayMs)) + 1;
  const delayOf = (level: number) => Math.min(maxDelayMs, baseDelayMs * 2 ** level);
  const gates = Array.from({ length: levels }, (_, level) =>
    factory({ name: `auth_login_backoff_${level}`, points: 1, durationMs: delayOf(level) }),
  );
  const gateOf = (count: number) => Math.min(levels - 1, count - freeFailures);

  return {
    async check(key) {
      const count = COUNTER_POINTS - (await consume(failures, key, 0)).remaining;
      if (count < freeFailures) return;
      const level = gateOf(count);
      const gate = await consume(gates[level]!, key, 0);
      if (gate.remaining > 0) return;
      // The gate cannot say how much of its window is left: announce the whole of it.
      const retryAfterMs = delayOf(level);
      throw authError(
        "rate_limited",
        `too many failed logins: retry in ${Math.ceil(retryAfterMs / 1000)} s`,
        { details: { retryAfterMs } },
      );
    },
    async fail(key) {
      const result = await consume(failures, key, 1);
      const count = COUNTER_POINTS - result.remaining;
      if (count < freeFailures) return;
      await consume(gates[gateOf(count)]!, key, 1);
    },
  };
}
