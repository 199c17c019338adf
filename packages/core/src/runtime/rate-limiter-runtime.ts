import type { RateLimiter } from "../contracts/rate-limiter.js";
import {
  type AdapterRuntimeOptions,
  finishRuntime,
  guardMethods,
  isAdapterRuntime,
  type RuntimeGate,
  type RuntimeMethodKinds,
} from "./adapter-runtime.js";

/** A {@link RateLimiter} from {@link withRateLimiterRuntime}: `close()` is always there. */
export type RuntimeRateLimiter<T extends RateLimiter = RateLimiter> = T & {
  /** Idempotent; a limiter without a `close` of its own closes with nothing to release. */
  close(): Promise<void>;
};

const RATE_LIMITER: RuntimeMethodKinds<Omit<RateLimiter, "close">> = {
  consume: "async",
};

/**
 * Wraps a {@link RateLimiter} in the runtime every adapter gets from the engine: `close()`
 * is always present (a no-op when the limiter has none) and idempotent (later calls return
 * the first call's promise); once it was called, `consume` rejects with
 * `ImError("unavailable", "<label> is closed ...")`. Other members of the adapter are
 * reached through the wrapper unchanged; wrapping a wrapped limiter returns it as is.
 *
 * @example
 * ```ts
 * const limiter = withRateLimiterRuntime(createMemoryRateLimiter({ points: 20, durationMs: 1000 }));
 * await limiter.close(); // always callable
 * ```
 */
export function withRateLimiterRuntime<T extends RateLimiter>(
  limiter: T,
  options: AdapterRuntimeOptions = {},
): RuntimeRateLimiter<T> {
  if (isAdapterRuntime(limiter)) return limiter as RuntimeRateLimiter<T>;
  const gate: RuntimeGate = { label: options.label ?? "[lucky-im] rate limiter", closed: false };
  const wrapper = guardMethods<RateLimiter>(limiter, RATE_LIMITER, gate);
  const close = limiter.close;
  finishRuntime(wrapper, gate, close ? () => close.call(limiter) : undefined);
  return wrapper as RuntimeRateLimiter<T>;
}
