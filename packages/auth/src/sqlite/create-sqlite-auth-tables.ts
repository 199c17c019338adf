import {
  SQLITE_ACCOUNT_STATEMENTS,
  SQLITE_ADD_RECIPIENT,
  SQLITE_HAS_RECIPIENT,
} from "./sqlite-account-table-statements.js";
import { SQLITE_AUTH_TABLE_STATEMENTS } from "./sqlite-auth-table-statements.js";
import type { SqliteDb } from "./sqlite-db.js";
import { immediate } from "./sqlite-db.js";

/**
 * Creates the tables of the SQLite auth stores when they do not exist
 * (`auth_credentials`, `auth_refresh_families`, `auth_refresh_tokens`,
 * `auth_codes`; times in ms since the epoch). Idempotent; one `BEGIN
 * IMMEDIATE` transaction, so several processes may run it at once. They
 * may share the file of `@lucky-im/store-sqlite` (no table names clash).
 *
 * @deprecated Use the versioned migrations instead ({@link sqliteAuthMigrations}
 * with kysely's `Migrator`, or `lucky-im migrate up`): later schema changes ship
 * only as migrations. Tables made by this function are accepted by the first one.
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 *
 * const db = new Database("./data/lucky-im.sqlite");
 * createSqliteAuthTables(db);
 * const auth = createAuthService({ ...createSqliteAuthStores(db), signingKey, issuer, audience });
 * ```
 */
export function createSqliteAuthTables(db: SqliteDb): void {
  // Tokens go with their families (ON DELETE CASCADE).
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(["BEGIN IMMEDIATE", ...SQLITE_AUTH_TABLE_STATEMENTS, "COMMIT;"].join(";\n"));
  // What the migration 0002_account_recovery adds, so that the stores work on these tables too.
  immediate(db, () => {
    const found = db.prepare(SQLITE_HAS_RECIPIENT).get() as { n: number } | undefined;
    if (Number(found?.n ?? 0) === 0) db.exec(SQLITE_ADD_RECIPIENT);
    for (const statement of SQLITE_ACCOUNT_STATEMENTS) db.exec(statement);
  });
}
