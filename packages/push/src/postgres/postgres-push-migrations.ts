import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";
import { quoteIdent } from "./sql-pool.js";

/** kysely's bookkeeping table of the push migrations (its lock table adds `_lock`). */
export const PUSH_MIGRATION_TABLE = "lucky_im_push_migration";

/** @internal The DDL of the push tables in `schema`, every statement idempotent. */
export function postgresPushTableStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    // Orders a user's devices (oldest first): strictly increasing, unlike a clock.
    `CREATE SEQUENCE IF NOT EXISTS ${s}.push_devices_seq`,
    `CREATE TABLE IF NOT EXISTS ${s}.push_devices (
  user_id text NOT NULL,
  device_id text NOT NULL,
  platform text NOT NULL,
  token text NOT NULL,
  token_hash text NOT NULL,
  registered_at bigint NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (user_id, device_id)
)`,
    `CREATE INDEX IF NOT EXISTS push_devices_token_idx ON ${s}.push_devices (platform, token_hash)`,
  ];
}

/** @internal The DDL of the push job queue in `schema` (migration 0002), every statement idempotent. */
export function postgresPushJobStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.push_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text NOT NULL,
  conversation_id text NOT NULL,
  count integer NOT NULL,
  latest text NOT NULL,
  latest_seq bigint NOT NULL,
  mentioned boolean NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  devices text,
  state text NOT NULL,
  created_at bigint NOT NULL,
  due_at bigint NOT NULL,
  lease text,
  lease_until bigint,
  last_error text,
  settled_at bigint
)`,
    // One job per user and conversation still open for batching (never attempted).
    `CREATE UNIQUE INDEX IF NOT EXISTS push_jobs_open_idx ON ${s}.push_jobs (user_id, conversation_id)
  WHERE state = 'pending' AND attempts = 0`,
    `CREATE INDEX IF NOT EXISTS push_jobs_due_idx ON ${s}.push_jobs (due_at) WHERE state = 'pending'`,
    `CREATE INDEX IF NOT EXISTS push_jobs_lease_idx ON ${s}.push_jobs (lease_until) WHERE state = 'leased'`,
    `CREATE INDEX IF NOT EXISTS push_jobs_dead_idx ON ${s}.push_jobs (settled_at) WHERE state = 'dead'`,
  ];
}

/**
 * The versioned migrations of the PostgreSQL push tables (`push_devices`, `push_jobs`) in
 * `schema`, as the settings of a kysely `Migrator` (spread them, add `db`).
 * Their bookkeeping is `lucky_im_push_migration` in the same schema, apart
 * from the store's and auth's, so all share a schema.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
 * await new Migrator({ db, ...postgresPushMigrations("chat") }).migrateToLatest();
 * ```
 */
export function postgresPushMigrations(schema: string): Omit<MigratorProps, "db"> {
  const migrations: Record<string, Migration> = {
    "0001_push_devices": {
      async up(db: Kysely<unknown>) {
        for (const statement of postgresPushTableStatements(schema)) {
          await sql.raw(statement).execute(db);
        }
      },
      async down(db: Kysely<unknown>) {
        const s = quoteIdent(schema);
        await sql.raw(`DROP TABLE IF EXISTS ${s}.push_devices`).execute(db);
        await sql.raw(`DROP SEQUENCE IF EXISTS ${s}.push_devices_seq`).execute(db);
      },
    },
    "0002_push_jobs": {
      async up(db: Kysely<unknown>) {
        for (const statement of postgresPushJobStatements(schema)) {
          await sql.raw(statement).execute(db);
        }
      },
      async down(db: Kysely<unknown>) {
        await sql.raw(`DROP TABLE IF EXISTS ${quoteIdent(schema)}.push_jobs`).execute(db);
      },
    },
  };
  return {
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: PUSH_MIGRATION_TABLE,
    migrationLockTableName: `${PUSH_MIGRATION_TABLE}_lock`,
  };
}
