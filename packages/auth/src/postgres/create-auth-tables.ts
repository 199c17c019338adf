import { postgresAccountStatements } from "./account-table-statements.js";
import { postgresAuthTableStatements } from "./auth-table-statements.js";
import type { SqlPool } from "./sql-pool.js";

/**
 * Creates the schema and the tables of the Postgres auth stores when they do
 * not exist. Idempotent, and safe when several nodes run it at once (one
 * transaction under an advisory lock).
 *
 * @deprecated Use the versioned migrations instead ({@link postgresAuthMigrations}
 * with kysely's `Migrator`, or `lucky-im migrate up`): later schema changes ship
 * only as migrations. Tables made by this function are accepted by the first one.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString });
 * await createAuthTables(pool, "chat");
 * const credentials = createPostgresCredentialStore(pool, { schema: "chat" });
 * ```
 */
export async function createAuthTables(pool: SqlPool, schema = "public"): Promise<void> {
  // No parameters: pg sends it as one simple query, run as one transaction on one connection.
  await pool.query(
    [
      "BEGIN",
      "SELECT pg_advisory_xact_lock(hashtext('lucky-im/auth/create-auth-tables'))",
      ...postgresAuthTableStatements(schema),
      // What the migration 0002_account_recovery adds, so that the stores work on these tables too.
      ...postgresAccountStatements(schema),
      "COMMIT",
    ].join(";\n"),
  );
}
