/**
 * @packageDocumentation
 * Lucky IM storage on SQLite (kysely + better-sqlite3): messages,
 * conversations, cursors, groups and the outbox in one local file, with
 * migrations. The durable embedded default of a single node.
 */

export { type MigrateOptions, migrateToLatest } from "./migrate-to-latest.js";
export { type MigrateResult, sqliteStoreMigrations } from "./migrations.js";
export type { SqliteConnection, SqliteStatement, SqliteTransaction } from "./sqlite-connection.js";
export { createSqliteStore, type SqliteStore } from "./sqlite-store.js";
export type { SqliteStoreOptions } from "./sqlite-store-options.js";
