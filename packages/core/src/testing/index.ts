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
 *   destroy: (storage) => storage.close(),
 * });
 * ```
 */

export { brokerConformance } from "./broker-conformance.js";
export { type EventuallyOptions, eventually } from "./eventually.js";
export { groupJoinConformance } from "./group-join-conformance.js";
export { presenceConformance } from "./presence-conformance.js";
export { rateLimiterConformance } from "./rate-limiter-conformance.js";
export { storageConformance } from "./storage-conformance.js";
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
