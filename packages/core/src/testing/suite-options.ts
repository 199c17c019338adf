import type { Presence } from "../contracts/presence.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";

/**
 * How a conformance suite gets instances of the adapter under test.
 *
 * Every instance `create` returned is passed to `destroy` (or, without
 * `destroy`, closed) once, after the suite's last test. `destroy` MUST accept
 * an instance the suite already closed.
 */
export interface SuiteOptions<T> {
  /** Names the adapter in the suite's `describe` title, for example `"postgres"`. */
  name: string;
  /** A new instance. Instances from several calls MUST share one backend (as several nodes do). */
  create: () => Promise<T>;
  /** Releases an instance and what `create` opened for it. */
  destroy?: (instance: T) => Promise<void>;
}

/** Options of {@link presenceConformance}. */
export interface PresenceSuiteOptions {
  /** Names the adapter in the suite's `describe` title. */
  name: string;
  /** A new instance with this node TTL; instances MUST share one backend. */
  create: (opts: { nodeTtlMs: number }) => Promise<Presence>;
  /** Releases an instance (default: `close()`); MUST accept a closed one. */
  destroy?: (presence: Presence) => Promise<void>;
}

/** Options of {@link rateLimiterConformance}. */
export interface RateLimiterSuiteOptions {
  /** Names the adapter in the suite's `describe` title. */
  name: string;
  /** A new limiter with this budget. Its keys MUST NOT collide with other limiters' (the suite uses unique keys anyway). */
  create: (opts: { points: number; durationMs: number }) => Promise<RateLimiter>;
  /** Releases a limiter and what `create` opened for it. */
  destroy?: (limiter: RateLimiter) => Promise<void>;
}
