import { quoteIdent, type SqlPool } from "./sql-pool.js";

/**
 * Creates the schema and the tables of the Postgres auth stores when they do
 * not exist. Idempotent, and safe when several nodes run it at once (one
 * transaction under an advisory lock).
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString });
 * await createAuthTables(pool, "chat");
 * const credentials = createPostgresCredentialStore(pool, { schema: "chat" });
 * ```
 */
export async function createAuthTables(pool: SqlPool, schema = "public"): Promise<void> {
  const s = quoteIdent(schema);
  // No parameters: pg sends it as one simple query, run as one transaction on one connection.
  await pool.query(`
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('lucky-im/auth/create-auth-tables'));
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.auth_credentials (
  user_id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  token_version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s}.auth_refresh_families (
  family_id text PRIMARY KEY,
  user_id text NOT NULL,
  device_id text,
  device_class text,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS auth_refresh_families_user_idx ON ${s}.auth_refresh_families (user_id);
CREATE TABLE IF NOT EXISTS ${s}.auth_refresh_tokens (
  token_hash text PRIMARY KEY,
  family_id text NOT NULL REFERENCES ${s}.auth_refresh_families (family_id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
-- The successor sealed with the used token, for the reuse interval (added later: old tables gain it).
ALTER TABLE ${s}.auth_refresh_tokens ADD COLUMN IF NOT EXISTS successor_sealed text;
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family_idx ON ${s}.auth_refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_expires_idx ON ${s}.auth_refresh_tokens (expires_at);
CREATE TABLE IF NOT EXISTS ${s}.auth_codes (
  purpose text NOT NULL,
  recipient text NOT NULL,
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  PRIMARY KEY (purpose, recipient)
);
COMMIT;`);
}
