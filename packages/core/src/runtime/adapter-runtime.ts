import { ImError } from "../errors.js";

/**
 * Marks an adapter returned by one of the runtime wrappers ({@link withStorageRuntime},
 * {@link withBrokerRuntime}, {@link withPresenceRuntime}, {@link withRateLimiterRuntime}):
 * wrapping it again returns it as is. A registered symbol, so that the ESM and CommonJS
 * builds of core loaded side by side recognise each other's wrappers.
 */
export const ADAPTER_RUNTIME: unique symbol = Symbol.for("@lucky-im/core.adapter-runtime");

/**
 * How a runtime wrapper treats one contract method once `close()` was called:
 * - `async`: the returned promise rejects with `ImError("unavailable")`;
 * - `sync`: throws `ImError("unavailable")`;
 * - `ping`: resolves `false` (a closed adapter does not answer readiness probes);
 * - `unguarded`: passes through (in-process settings that touch no backing service).
 */
export type RuntimeMethodKind = "async" | "sync" | "ping" | "unguarded";

/** The names of `T`'s methods (optional ones included). */
export type MethodNames<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never;
}[keyof T] &
  string;

/**
 * How each method of a contract is guarded. Typed as a complete record, so a method added
 * to a contract does not compile until its wrapper says how to guard it.
 */
export type RuntimeMethodKinds<T> = { readonly [K in MethodNames<T>]-?: RuntimeMethodKind };

/**
 * True when `adapter` came from a runtime wrapper (wrapping it again is a no-op). A
 * decorator over a wrapped adapter (a Proxy, an object built on it) is not one: it gets a
 * runtime of its own, so its own `close` and methods are guarded too.
 */
export function isAdapterRuntime(adapter: object): boolean {
  // The mark holds the wrapper itself: what inherits or forwards it is another object.
  return (adapter as { [ADAPTER_RUNTIME]?: unknown })[ADAPTER_RUNTIME] === adapter;
}

/** @internal What the wrappers of one adapter share: whether `close()` was called. */
export interface RuntimeGate {
  /** Names the adapter in errors, for example `"[lucky-im] [store-postgres] storage"`. */
  readonly label: string;
  /** Set by the first `close()`. */
  closed: boolean;
}

/** @internal The error of a call made after `close()`. */
export function closedError(gate: RuntimeGate, method: string): ImError {
  return new ImError("unavailable", `${gate.label} is closed (${method} called after close())`);
}

type AnyMethod = (...args: unknown[]) => unknown;

/** One guarded method: a plain closure (no Proxy), one boolean test per call. */
function guardMethod(
  gate: RuntimeGate,
  name: string,
  kind: RuntimeMethodKind,
  method: AnyMethod,
  target: object,
): AnyMethod {
  switch (kind) {
    case "async":
      return (...args) =>
        gate.closed ? Promise.reject(closedError(gate, name)) : method.apply(target, args);
    case "sync":
      return (...args) => {
        if (gate.closed) throw closedError(gate, name);
        return method.apply(target, args);
      };
    case "ping":
      return (...args) => (gate.closed ? Promise.resolve(false) : method.apply(target, args));
    case "unguarded":
      return method.bind(target);
  }
}

/**
 * @internal Wraps the contract methods of `target` in a new object whose prototype is
 * `target`: the guarded methods are own properties (looked up first, at no cost); anything
 * else the adapter offers (`schema`, `deadLetters()`...) is reached through the prototype.
 * A method the adapter lacks takes its default from `defaults`, when there is one. `kinds`
 * is partial here so a wrapper can leave `close` out; each wrapper declares its table as a
 * complete {@link RuntimeMethodKinds} of its contract. `prefix` names the store in errors
 * (`"messages."`).
 */
export function guardMethods<T extends object>(
  target: T,
  kinds: Partial<Record<MethodNames<T>, RuntimeMethodKind>>,
  gate: RuntimeGate,
  defaults: Partial<Record<MethodNames<T>, AnyMethod>> = {},
  prefix = "",
): T {
  const wrapper = Object.create(target) as T;
  for (const name of Object.keys(kinds) as MethodNames<T>[]) {
    const own = (target as Record<string, unknown>)[name];
    const method = typeof own === "function" ? (own as AnyMethod) : defaults[name];
    if (!method) continue;
    Object.defineProperty(wrapper, name, {
      value: guardMethod(gate, prefix + name, kinds[name] ?? "async", method, target),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return wrapper;
}

/**
 * @internal Makes `close` idempotent: the first call marks the gate closed (calls that
 * start afterwards are refused) and runs the adapter's close; every call returns that
 * first promise.
 */
export function idempotentClose(
  gate: RuntimeGate,
  close: (() => Promise<void>) | undefined,
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    if (!closing) {
      gate.closed = true;
      try {
        closing = Promise.resolve(close?.());
      } catch (error) {
        closing = Promise.reject(error);
      }
    }
    return closing;
  };
}

/** @internal Defines `close` and the {@link ADAPTER_RUNTIME} mark on a wrapper. */
export function finishRuntime(
  wrapper: object,
  gate: RuntimeGate,
  close: (() => Promise<void>) | undefined,
): void {
  Object.defineProperty(wrapper, "close", {
    value: idempotentClose(gate, close),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(wrapper, ADAPTER_RUNTIME, { value: wrapper });
}

/** Options of the runtime wrappers. */
export interface AdapterRuntimeOptions {
  /**
   * Names the adapter in the `unavailable` error of a call after close, for example
   * `"[lucky-im] [store-postgres] storage"`.
   * @default "[lucky-im] storage" (or broker, presence, rate limiter)
   */
  label?: string;
}
