import type { SqliteDb } from "./sqlite-db.js";

/**
 * Creates the tables of the SQLite auth stores when they do not exist
 * (`auth_credentials`, `auth_refresh_families`, `auth_refresh_tokens`,
 * `auth_codes`; times in ms since the epoch). Idempotent; one `BEGIN
 * IMMEDIATE` transaction, so several processes may run it at once. They
 * may share the file of `@lucky-im/store-sqlite` (no table names clash).
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
  db.exec(`
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS auth_credentials (
  user_id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  token_version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_refresh_families (
  family_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT,
  device_class TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS auth_refresh_families_user_idx ON auth_refresh_families (user_id);
CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES auth_refresh_families (family_id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  -- The successor sealed with the used token, for the reuse interval.
  successor_sealed TEXT
);
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family_idx ON auth_refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_expires_idx ON auth_refresh_tokens (expires_at);
CREATE TABLE IF NOT EXISTS auth_codes (
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (purpose, recipient)
);
COMMIT;`);
}
