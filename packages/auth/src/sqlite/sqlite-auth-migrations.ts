import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";
import { AUTH_TABLES_DROP_ORDER } from "../postgres/auth-table-statements.js";
import { AUTH_MIGRATION_TABLE } from "../postgres/postgres-auth-migrations.js";
import {
  SQLITE_ACCOUNT_DOWN_STATEMENTS,
  SQLITE_ACCOUNT_STATEMENTS,
  SQLITE_ADD_RECIPIENT,
  SQLITE_HAS_RECIPIENT,
} from "./sqlite-account-table-statements.js";
import { SQLITE_AUTH_TABLE_STATEMENTS } from "./sqlite-auth-table-statements.js";

const MIGRATIONS: Record<string, Migration> = {
  "0001_auth_tables": {
    async up(db: Kysely<unknown>) {
      for (const statement of SQLITE_AUTH_TABLE_STATEMENTS) await sql.raw(statement).execute(db);
      // The first SQLite release made auth_refresh_tokens without successor_sealed, and
      // IF NOT EXISTS never added it; SQLite has no ADD COLUMN IF NOT EXISTS.
      const { rows } = await sql<{
        name: string;
      }>`SELECT name FROM pragma_table_info('auth_refresh_tokens')`.execute(db);
      if (!rows.some((row) => row.name === "successor_sealed")) {
        await sql`ALTER TABLE auth_refresh_tokens ADD COLUMN successor_sealed TEXT`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const table of AUTH_TABLES_DROP_ORDER) {
        await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db);
      }
    },
  },
  // The verified recipient (password reset, code login) and the QR login challenges.
  "0002_account_recovery": {
    async up(db: Kysely<unknown>) {
      // createSqliteAuthTables adds the column too: a file it made migrates cleanly.
      const { rows } = await sql.raw<{ n: number }>(SQLITE_HAS_RECIPIENT).execute(db);
      if (Number(rows[0]?.n ?? 0) === 0) {
        await sql.raw(SQLITE_ADD_RECIPIENT).execute(db);
      }
      for (const statement of SQLITE_ACCOUNT_STATEMENTS) await sql.raw(statement).execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const statement of SQLITE_ACCOUNT_DOWN_STATEMENTS) await sql.raw(statement).execute(db);
    },
  },
};

/**
 * The versioned migrations of the SQLite auth tables, as the settings of a
 * kysely `Migrator` (spread them, add `db`). Their bookkeeping is
 * `lucky_im_auth_migration`, apart from `@lucky-im/store-sqlite`'s, so both
 * share one file. The first migration uses `IF NOT EXISTS`: a file made by
 * `createSqliteAuthTables` migrates cleanly.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
 * await new Migrator({ db, ...sqliteAuthMigrations() }).migrateToLatest();
 * ```
 */
export function sqliteAuthMigrations(): Omit<MigratorProps, "db"> {
  return {
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: AUTH_MIGRATION_TABLE,
    migrationLockTableName: `${AUTH_MIGRATION_TABLE}_lock`,
  };
}
