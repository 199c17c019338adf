import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";
import {
  postgresAccountDownStatements,
  postgresAccountStatements,
} from "./account-table-statements.js";
import { AUTH_TABLES_DROP_ORDER, postgresAuthTableStatements } from "./auth-table-statements.js";
import { quoteIdent } from "./sql-pool.js";

/** kysely's bookkeeping table of the auth migrations (its lock table adds `_lock`). */
export const AUTH_MIGRATION_TABLE = "lucky_im_auth_migration";

/**
 * The versioned migrations of the Postgres auth tables in `schema`, as the
 * settings of a kysely `Migrator` (spread them, add `db`). Their bookkeeping
 * is `lucky_im_auth_migration` in the same schema, apart from a store's, so
 * both share a schema. The first migration uses `IF NOT EXISTS`: a schema made
 * by `createAuthTables` migrates cleanly.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
 * await new Migrator({ db, ...postgresAuthMigrations("chat") }).migrateToLatest();
 * ```
 */
export function postgresAuthMigrations(schema: string): Omit<MigratorProps, "db"> {
  const migrations: Record<string, Migration> = {
    "0001_auth_tables": {
      async up(db: Kysely<unknown>) {
        for (const statement of postgresAuthTableStatements(schema)) {
          await sql.raw(statement).execute(db);
        }
      },
      async down(db: Kysely<unknown>) {
        for (const table of AUTH_TABLES_DROP_ORDER) {
          await sql.raw(`DROP TABLE IF EXISTS ${quoteIdent(schema)}.${table}`).execute(db);
        }
      },
    },
    // The verified recipient (password reset, code login) and the QR login challenges.
    "0002_account_recovery": {
      async up(db: Kysely<unknown>) {
        for (const statement of postgresAccountStatements(schema)) {
          await sql.raw(statement).execute(db);
        }
      },
      async down(db: Kysely<unknown>) {
        for (const statement of postgresAccountDownStatements(schema)) {
          await sql.raw(statement).execute(db);
        }
      },
    },
  };
  return {
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: AUTH_MIGRATION_TABLE,
    migrationLockTableName: `${AUTH_MIGRATION_TABLE}_lock`,
  };
}
