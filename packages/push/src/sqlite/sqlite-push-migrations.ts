import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";
import { PUSH_MIGRATION_TABLE } from "../postgres/postgres-push-migrations.js";

const MIGRATIONS: Record<string, Migration> = {
  "0001_push_devices": {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE IF NOT EXISTS push_devices (
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  token TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS push_devices_token_idx ON push_devices (platform, token_hash)`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE IF EXISTS push_devices`.execute(db);
    },
  },
};

/**
 * The versioned migrations of the SQLite push table (`push_devices`), as the
 * settings of a kysely `Migrator` (spread them, add `db`). Their bookkeeping
 * is `lucky_im_push_migration`, apart from the store's and auth's, so all
 * share one file.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
 * await new Migrator({ db, ...sqlitePushMigrations() }).migrateToLatest();
 * ```
 */
export function sqlitePushMigrations(): Omit<MigratorProps, "db"> {
  return {
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: PUSH_MIGRATION_TABLE,
    migrationLockTableName: `${PUSH_MIGRATION_TABLE}_lock`,
  };
}
