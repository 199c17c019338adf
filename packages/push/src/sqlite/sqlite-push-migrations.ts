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
  "0002_push_jobs": {
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE IF NOT EXISTS push_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  count INTEGER NOT NULL,
  latest TEXT NOT NULL,
  latest_seq INTEGER NOT NULL,
  mentioned INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  devices TEXT,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  lease TEXT,
  lease_until INTEGER,
  last_error TEXT,
  settled_at INTEGER
)`.execute(db);
      // One job per user and conversation still open for batching (never attempted).
      await sql`CREATE UNIQUE INDEX IF NOT EXISTS push_jobs_open_idx ON push_jobs (user_id, conversation_id)
  WHERE state = 'pending' AND attempts = 0`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS push_jobs_due_idx ON push_jobs (state, due_at)`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await sql`DROP TABLE IF EXISTS push_jobs`.execute(db);
    },
  },
};

/**
 * The versioned migrations of the SQLite push tables (`push_devices`, `push_jobs`), as the
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
