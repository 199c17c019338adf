/**
 * @packageDocumentation
 * Lucky IM storage on PostgreSQL (kysely + pg): messages, conversations,
 * cursors, groups and the outbox, with group commit and migrations.
 */

export { type MigrateOptions, type MigrateResult, migrateToLatest } from "./migrate-to-latest.js";
export { postgresStoreMigrations } from "./migrations.js";
export {
  createPostgresStore,
  type PostgresStore,
  type Unsubscribe,
} from "./postgres-store.js";
export type { PostgresStoreOptions } from "./postgres-store-options.js";
