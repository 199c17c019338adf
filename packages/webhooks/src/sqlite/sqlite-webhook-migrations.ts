import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";
import { WEBHOOK_MIGRATION_TABLE } from "../postgres/postgres-webhook-migrations.js";

const MIGRATIONS: Record<string, Migration> = {
  "0001_webhook_deliveries": {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at)`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE IF EXISTS webhook_deliveries`.execute(db);
    },
  },
};

/**
 * The versioned migrations of the SQLite webhook table (`webhook_deliveries`), as the
 * settings of a kysely `Migrator` (spread them, add `db`). Their bookkeeping is
 * `lucky_im_webhook_migration`, apart from the store's, so all share one file.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
 * await new Migrator({ db, ...sqliteWebhookMigrations() }).migrateToLatest();
 * ```
 */
export function sqliteWebhookMigrations(): Omit<MigratorProps, "db"> {
  return {
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: WEBHOOK_MIGRATION_TABLE,
    migrationLockTableName: `${WEBHOOK_MIGRATION_TABLE}_lock`,
  };
}
