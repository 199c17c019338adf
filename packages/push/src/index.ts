/**
 * @packageDocumentation
 * Push notifications for Lucky IM: a device registry and a durable job queue
 * (memory, PostgreSQL, SQLite), push providers (Web Push with VAPID, Firebase
 * Cloud Messaging HTTP v1, APNs with token-based authentication) and a notifier that the engine's `onOffline` hook feeds.
 *
 * @example
 * ```ts
 * const registry = createMemoryDeviceRegistry();
 * const notifier = createPushNotifier({
 *   registry,
 *   queue: createPostgresPushQueue(pool, { schema: "chat" }), // or createSqlitePushQueue(db)
 *   providers: [createWebPushProvider({ vapid: { publicKey, privateKey, subject: "mailto:ops@example.com" } })],
 * });
 * const engine = createImEngine({ ...deps, hooks: { onOffline: notifier.onOffline } });
 * ```
 */

export {
  type DeviceRegistration,
  type DeviceRegistry,
  PUSH_PLATFORMS,
  type PushDevice,
  type PushPlatform,
} from "./contracts/device-registry.js";
export type { PushNotification, PushProvider, PushResult } from "./contracts/push-provider.js";
export type {
  ClaimedPushJob,
  PushClaimOptions,
  PushFailure,
  PushJob,
  PushQueue,
  PushQueueEntry,
  PushQueueStats,
} from "./contracts/push-queue.js";
export {
  createMemoryDeviceRegistry,
  type MemoryDeviceRegistryOptions,
} from "./memory/memory-device-registry.js";
export { createMemoryPushQueue, type MemoryPushQueueOptions } from "./memory/memory-push-queue.js";
export {
  MAX_PREVIEW_LENGTH,
  type NotificationBatch,
  type NotificationContent,
  type NotificationText,
} from "./notification-content.js";
export {
  createPostgresDeviceRegistry,
  type PostgresDeviceRegistryOptions,
} from "./postgres/postgres-device-registry.js";
export {
  PUSH_MIGRATION_TABLE,
  postgresPushMigrations,
} from "./postgres/postgres-push-migrations.js";
export {
  createPostgresPushQueue,
  type PostgresPushQueueOptions,
} from "./postgres/postgres-push-queue.js";
export type { SqlPool } from "./postgres/sql-pool.js";
export {
  APNS_PRODUCTION,
  APNS_SANDBOX,
  type ApnsProviderOptions,
  type ApnsSigningKey,
  apnsCollapseId,
  createApnsProvider,
} from "./providers/apns-provider.js";
export {
  createFcmProvider,
  FCM_SCOPE,
  type FcmProviderOptions,
  type FcmServiceAccount,
  parseFcmServiceAccount,
} from "./providers/fcm-provider.js";
export {
  createWebPushProvider,
  type VapidKeys,
  type WebPushPayload,
  type WebPushProviderOptions,
  webPushTopic,
} from "./providers/web-push-provider.js";
export {
  parseWebPushSubscription,
  type WebPushSubscription,
} from "./providers/web-push-subscription.js";
export type { PushCounterName, PushCounters, PushMetricsListener } from "./push-counters.js";
export {
  createPushNotifier,
  type PushNotifier,
  type PushNotifierOptions,
} from "./push-notifier.js";
export {
  DEFAULT_DEVICE_REGISTRY_LIMITS,
  type DeviceRegistryLimits,
  InvalidRegistrationError,
  MAX_DEVICE_ID_LENGTH,
} from "./registry-limits.js";
export type { SqliteDb, SqliteDbStatement } from "./sqlite/sqlite-db.js";
export {
  createSqliteDeviceRegistry,
  type SqliteDeviceRegistryOptions,
} from "./sqlite/sqlite-device-registry.js";
export { sqlitePushMigrations } from "./sqlite/sqlite-push-migrations.js";
export { createSqlitePushQueue } from "./sqlite/sqlite-push-queue.js";
