import { Kysely, type SqliteDatabase, SqliteDialect } from "kysely";
import { type MigrateResult, runMigrations } from "./migrations.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import { toStoreError } from "./sqlite-errors.js";
import { configure, openConnection } from "./sqlite-store.js";

/** Options of {@link migrateToLatest}. Give either `path` or `database`. */
export interface MigrateOptions {
  /** The database file (created if missing); closed after the migration. */
  path?: string;
  /** An open better-sqlite3 `Database`; it is left open. */
  database?: SqliteConnection;
  /**
   * How long to wait for another connection's write lock, in ms.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/**
 * Brings a database up to date with this package's migrations (kysely's
 * `Migrator`, in one `BEGIN IMMEDIATE` transaction). `createSqliteStore`
 * does the same unless `migrate: false`; this is for a deploy step.
 *
 * @example
 * ```ts
 * const { applied } = await migrateToLatest({ path: "./data/lucky-im.sqlite" });
 * ```
 */
export async function migrateToLatest(options: MigrateOptions): Promise<MigrateResult> {
  const { connection, owned } = openConnection(options);
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: connection as unknown as SqliteDatabase }),
  });
  try {
    configure(connection, options);
    return await runMigrations(db, connection);
  } catch (error) {
    throw toStoreError(error, "migrating");
  } finally {
    if (owned) connection.close();
  }
}
