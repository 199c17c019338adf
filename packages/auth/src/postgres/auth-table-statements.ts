import { quoteIdent } from "./sql-pool.js";

/**
 * The DDL of the Postgres auth tables, one statement per entry, every one
 * idempotent (`IF NOT EXISTS`): run by `createAuthTables` and by the first
 * auth migration, which must accept tables an older release created.
 */
export function postgresAuthTableStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.auth_credentials (
  user_id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  token_version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE TABLE IF NOT EXISTS ${s}.auth_refresh_families (
  family_id text PRIMARY KEY,
  user_id text NOT NULL,
  device_id text,
  device_class text,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
)`,
    `CREATE INDEX IF NOT EXISTS auth_refresh_families_user_idx ON ${s}.auth_refresh_families (user_id)`,
    `CREATE TABLE IF NOT EXISTS ${s}.auth_refresh_tokens (
  token_hash text PRIMARY KEY,
  family_id text NOT NULL REFERENCES ${s}.auth_refresh_families (family_id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
)`,
    // The successor sealed with the used token, for the reuse interval (added later: old tables gain it).
    `ALTER TABLE ${s}.auth_refresh_tokens ADD COLUMN IF NOT EXISTS successor_sealed text`,
    `CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family_idx ON ${s}.auth_refresh_tokens (family_id)`,
    `CREATE INDEX IF NOT EXISTS auth_refresh_tokens_expires_idx ON ${s}.auth_refresh_tokens (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${s}.auth_codes (
  purpose text NOT NULL,
  recipient text NOT NULL,
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  PRIMARY KEY (purpose, recipient)
)`,
  ];
}

/** The auth tables, dependents first: the order to drop them in. */
export const AUTH_TABLES_DROP_ORDER = [
  "auth_codes",
  "auth_refresh_tokens",
  "auth_refresh_families",
  "auth_credentials",
] as const;
