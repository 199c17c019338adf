export {
  ADAPTER_RUNTIME,
  type AdapterRuntimeOptions,
  isAdapterRuntime,
} from "./adapter-runtime.js";
export { withBrokerRuntime } from "./broker-runtime.js";
export { withPresenceRuntime } from "./presence-runtime.js";
export { type RuntimeRateLimiter, withRateLimiterRuntime } from "./rate-limiter-runtime.js";
export { type RuntimeStorage, withStorageRuntime } from "./storage-runtime.js";
