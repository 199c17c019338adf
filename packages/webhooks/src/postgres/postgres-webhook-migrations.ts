import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";
import { quoteIdent } from "./sql-pool.js";

/** kysely's bookkeeping table of the webhook migrations (its lock table adds `_lock`). */
export const WEBHOOK_MIGRATION_TABLE = "lucky_im_webhook_migration";

/** @internal The DDL of the webhook table in `schema`, every statement idempotent. */
export function postgresWebhookTableStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.webhook_deliveries (
  id text PRIMARY KEY,
  endpoint_id text NOT NULL,
  event jsonb NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  lease_until bigint,
  last_error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS webhook_deliveries_due_idx ON ${s}.webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    `CREATE INDEX IF NOT EXISTS webhook_deliveries_dead_idx ON ${s}.webhook_deliveries (id) WHERE status = 'dead'`,
    `CREATE INDEX IF NOT EXISTS webhook_deliveries_done_idx ON ${s}.webhook_deliveries (created_at) WHERE status = 'delivered'`,
  ];
}

/**
 * The versioned migrations of the PostgreSQL webhook table (`webhook_deliveries`) in
 * `schema`, as the settings of a kysely `Migrator` (spread them, add `db`). Their
 * bookkeeping is `lucky_im_webhook_migration` in the same schema, apart from the
 * store's, so all share a schema.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
 * await new Migrator({ db, ...postgresWebhookMigrations("chat") }).migrateToLatest();
 * ```
 */
export function postgresWebhookMigrations(schema: string): Omit<MigratorProps, "db"> {
  const migrations: Record<string, Migration> = {
    "0001_webhook_deliveries": {
      async up(db: Kysely<unknown>) {
        for (const statement of postgresWebhookTableStatements(schema)) {
          await sql.raw(statement).execute(db);
        }
      },
      async down(db: Kysely<unknown>) {
        await sql.raw(`DROP TABLE IF EXISTS ${quoteIdent(schema)}.webhook_deliveries`).execute(db);
      },
    },
  };
  return {
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: WEBHOOK_MIGRATION_TABLE,
    migrationLockTableName: `${WEBHOOK_MIGRATION_TABLE}_lock`,
  };
}
