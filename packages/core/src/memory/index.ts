/**
 * In-memory adapters of every infrastructure contract: the embedded default
 * (one process, no services) and the test doubles of a cluster in one process.
 */

export {
  createMemoryBroker,
  type MemoryBroker,
  type MemoryBrokerOptions,
  type MemoryDeadLetter,
} from "./memory-broker.js";
export { createMemoryBrokerHub, type MemoryBrokerHub } from "./memory-broker-hub.js";
export {
  createMemoryPresence,
  createMemoryPresenceHub,
  type MemoryPresenceHub,
  type MemoryPresenceOptions,
} from "./memory-presence.js";
export { createMemoryRateLimiter, type MemoryRateLimiterOptions } from "./memory-rate-limiter.js";
export type { MemoryRetentionOptions } from "./memory-retention.js";
export { createMemoryStorage, type MemoryStorageOptions } from "./memory-storage.js";
export { createMemoryStorageBackend, type MemoryStorageBackend } from "./memory-storage-backend.js";
