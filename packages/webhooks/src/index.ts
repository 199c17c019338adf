/**
 * @packageDocumentation
 * Durable webhooks for Lucky IM: the engine's writes become signed HTTP events,
 * recorded in a durable queue (memory, PostgreSQL, SQLite) before their outbox entry
 * is settled, posted with retries, exponential backoff and dead letters; plus a
 * synchronous before-send webhook and {@link verifyWebhookSignature} for receivers.
 *
 * @example
 * ```ts
 * const webhooks = createWebhookDispatcher({
 *   queue: createPostgresWebhookQueue(pool, { schema: "chat" }),
 *   endpoints: [{ id: "crm", url: "https://crm.example.com/hooks", secret, events: ["message.stored"] }],
 * });
 * const im = createImServer({ ...deps, storage: withWebhookEvents(storage, webhooks) });
 * webhooks.start();
 * ```
 */

export {
  type BeforeSendFailurePolicy,
  type BeforeSendWebhookOptions,
  createBeforeSendWebhook,
} from "./before-send-webhook.js";
export { recordConnectionEvents } from "./connection-events.js";
export type {
  NewWebhookDelivery,
  WebhookClaimOptions,
  WebhookDeadListOptions,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookQueue,
  WebhookQueueStats,
} from "./contracts/webhook-queue.js";
export { createMemoryWebhookQueue } from "./memory/memory-webhook-queue.js";
export {
  postgresWebhookMigrations,
  WEBHOOK_MIGRATION_TABLE,
} from "./postgres/postgres-webhook-migrations.js";
export {
  createPostgresWebhookQueue,
  type PostgresWebhookQueueOptions,
} from "./postgres/postgres-webhook-queue.js";
export type { SqlPool } from "./postgres/sql-pool.js";
export type { SqliteDb, SqliteDbStatement } from "./sqlite/sqlite-db.js";
export { sqliteWebhookMigrations } from "./sqlite/sqlite-webhook-migrations.js";
export { createSqliteWebhookQueue } from "./sqlite/sqlite-webhook-queue.js";
export {
  createWebhookDispatcher,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from "./webhook-dispatcher.js";
export {
  checkWebhookEndpoints,
  MAX_WEBHOOK_TIMEOUT_MS,
  MIN_WEBHOOK_SECRET_LENGTH,
  WebhookConfigError,
  type WebhookEndpoint,
} from "./webhook-endpoint.js";
export {
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from "./webhook-event.js";
export type {
  WebhookCounterName,
  WebhookCounters,
  WebhookMetricsListener,
} from "./webhook-metrics.js";
export type { WebhookFetch } from "./webhook-post.js";
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  signWebhookPayload,
  type VerifyWebhookSignatureOptions,
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
  type WebhookVerification,
} from "./webhook-signature.js";
export {
  type WebhookEventSink,
  type WebhookStorageOptions,
  withWebhookEvents,
} from "./webhook-storage.js";
