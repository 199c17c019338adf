import type { Broker } from "../contracts/broker.js";
import {
  type AdapterRuntimeOptions,
  finishRuntime,
  guardMethods,
  isAdapterRuntime,
  type RuntimeGate,
  type RuntimeMethodKinds,
} from "./adapter-runtime.js";

const BROKER: RuntimeMethodKinds<Omit<Broker, "close">> = {
  publish: "async",
  subscribe: "async",
  broadcast: "async",
  subscribeControl: "async",
  ping: "ping",
};

/**
 * Wraps a {@link Broker} in the runtime every adapter gets from the engine: `close()` is
 * idempotent (later calls return the first call's promise); once it was called, `publish`,
 * `subscribe`, `broadcast` and `subscribeControl` reject with
 * `ImError("unavailable", "<label> is closed ...")` and `ping()` resolves `false`. Calls
 * that started before close run to their end. Other members of the adapter are reached
 * through the wrapper unchanged; wrapping a wrapped broker returns it as is.
 *
 * @example
 * ```ts
 * export function createMyBroker(options: MyOptions): Broker {
 *   return withBrokerRuntime(new MyBroker(options), { label: "[my-app] [my-broker] broker" });
 * }
 * ```
 */
export function withBrokerRuntime<T extends Broker>(
  broker: T,
  options: AdapterRuntimeOptions = {},
): T {
  if (isAdapterRuntime(broker)) return broker;
  const gate: RuntimeGate = { label: options.label ?? "[lucky-im] broker", closed: false };
  const wrapper = guardMethods<Broker>(broker, BROKER, gate);
  finishRuntime(wrapper, gate, () => broker.close());
  return wrapper as T;
}
