/**
 * @packageDocumentation
 * The Lucky IM adapter conformance kit: one vitest suite per contract, which
 * the in-memory adapters and every adapter package run against their real
 * service. Import it from `@lucky-im/core/testing` in a test file; it needs
 * `vitest` (an optional peer dependency of `@lucky-im/core`).
 *
 * @example
 * ```ts
 * import { storageConformance } from "@lucky-im/core/testing";
 * import { createPostgresStore } from "@lucky-im/store-postgres";
 *
 * storageConformance({
 *   name: "postgres",
 *   create: () => createPostgresStore({ connectionString: process.env.DATABASE_URL!, schema: "conformance" }),
 *   createWithLimits: (messageChanges) => createPostgresStore({ connectionString: process.env.DATABASE_URL!, schema: "conformance", messageChanges }),
 *   destroy: (storage) => storage.close(),
 * });
 * ```
 */

export { brokerConformance } from "./broker-conformance.js";
export { contactStoreConformance, contactStoreSuite } from "./contact-store-conformance.js";
export {
  conversationSettingsConformance,
  conversationSettingsSuite,
} from "./conversation-settings-conformance.js";
export { cursorStoreConformance, cursorStoreSuite } from "./cursor-store-conformance.js";
export { domainEventConformance, domainEventSuite } from "./domain-event-conformance.js";
export { type EventuallyOptions, eventually } from "./eventually.js";
export { freePort } from "./free-port.js";
export { groupJoinConformance, groupJoinSuite } from "./group-join-conformance.js";
export { groupStoreConformance, groupStoreSuite } from "./group-store-conformance.js";
export {
  type MessageChangeSuiteOptions,
  messageChangeConformance,
  messageChangeSuite,
} from "./message-change-conformance.js";
export { messageStoreConformance, messageStoreSuite } from "./message-store-conformance.js";
export {
  moderationStoreConformance,
  moderationStoreSuite,
} from "./moderation-store-conformance.js";
export { outboxStoreConformance, outboxStoreSuite } from "./outbox-store-conformance.js";
export { presenceConformance } from "./presence-conformance.js";
export { profileStoreConformance, profileStoreSuite } from "./profile-store-conformance.js";
export { rateLimiterConformance } from "./rate-limiter-conformance.js";
export { storageConformance, storageSuites } from "./storage-conformance.js";
export {
  storageLifecycleConformance,
  storageLifecycleSuite,
} from "./storage-lifecycle-conformance.js";
export {
  runStorageSuites,
  type StorageCapability,
  type StorageSuite,
  type StorageSuiteContext,
  type StorageSuiteOptions,
} from "./storage-suite.js";
export type {
  PresenceSuiteOptions,
  RateLimiterSuiteOptions,
  SuiteOptions,
} from "./suite-options.js";
export {
  type BackpressureLimits,
  type StalledPeer,
  type TransportBackpressureSuiteOptions,
  transportBackpressureConformance,
} from "./transport-backpressure-conformance.js";
export {
  type CloseInfo,
  type ListeningTransport,
  type OpenedConnection,
  type ServerSide,
  type TransportSuiteContext,
  type TransportSuiteOptions,
  type TransportTestClient,
  type TransportUnderTest,
  transportConformance,
} from "./transport-conformance.js";
export { uniqueName } from "./unique-name.js";
