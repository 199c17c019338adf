import { type Kysely, type Migration, type MigratorProps, sql } from "kysely";

/** The chat server's own table: the login key shared by the nodes (see login-keys.ts). */
export const LOGIN_KEY_TABLE = "example_login_keys";

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The chat server's own PostgreSQL migrations (the shared login key), as the
 * settings of a kysely `Migrator`. Bookkeeping in `example_chat_server_migration`,
 * apart from the store's and the auth tables'. The first one uses `IF NOT EXISTS`:
 * servers before it created the table at start.
 */
export function loginKeyMigrations(schema: string): Omit<MigratorProps, "db"> {
  const table = `${quote(schema)}.${LOGIN_KEY_TABLE}`;
  const migrations: Record<string, Migration> = {
    "0001_login_keys": {
      async up(db: Kysely<unknown>) {
        await sql
          .raw(
            `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, sealed text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
          )
          .execute(db);
      },
      async down(db: Kysely<unknown>) {
        await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db);
      },
    },
  };
  return {
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: "example_chat_server_migration",
    migrationLockTableName: "example_chat_server_migration_lock",
  };
}
