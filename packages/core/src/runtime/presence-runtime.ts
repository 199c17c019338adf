import type { Presence } from "../contracts/presence.js";
import {
  type AdapterRuntimeOptions,
  finishRuntime,
  guardMethods,
  isAdapterRuntime,
  type RuntimeGate,
  type RuntimeMethodKinds,
} from "./adapter-runtime.js";

const PRESENCE: RuntimeMethodKinds<Omit<Presence, "close">> = {
  register: "async",
  unregister: "async",
  heartbeat: "async",
  removeNode: "async",
  sessionsOf: "async",
  nodesOf: "async",
  status: "async",
  ping: "ping",
};

/**
 * Wraps a {@link Presence} in the runtime every adapter gets from the engine: `close()` is
 * idempotent (later calls return the first call's promise); once it was called, every
 * method rejects with `ImError("unavailable", "<label> is closed ...")` and `ping()`
 * resolves `false`. Calls that started before close run to their end. Other members of the
 * adapter are reached through the wrapper unchanged; wrapping a wrapped presence returns
 * it as is.
 *
 * @example
 * ```ts
 * export function createMyPresence(options: MyOptions): Presence {
 *   return withPresenceRuntime(openMyPresence(options), { label: "[my-app] [my-presence] presence" });
 * }
 * ```
 */
export function withPresenceRuntime<T extends Presence>(
  presence: T,
  options: AdapterRuntimeOptions = {},
): T {
  if (isAdapterRuntime(presence)) return presence;
  const gate: RuntimeGate = { label: options.label ?? "[lucky-im] presence", closed: false };
  const wrapper = guardMethods<Presence>(presence, PRESENCE, gate);
  finishRuntime(wrapper, gate, () => presence.close());
  return wrapper as T;
}
