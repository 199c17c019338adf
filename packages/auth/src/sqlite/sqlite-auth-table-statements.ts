/**
 * The DDL of the SQLite auth tables (times in ms since the epoch), one
 * statement per entry, every one idempotent (`IF NOT EXISTS`): run by
 * `createSqliteAuthTables` and by the first auth migration, which must accept
 * tables an older release created.
 */
export const SQLITE_AUTH_TABLE_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS auth_credentials (
  user_id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  token_version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS auth_refresh_families (
  family_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT,
  device_class TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
)`,
  "CREATE INDEX IF NOT EXISTS auth_refresh_families_user_idx ON auth_refresh_families (user_id)",
  `CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES auth_refresh_families (family_id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  -- The successor sealed with the used token, for the reuse interval.
  successor_sealed TEXT
)`,
  "CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family_idx ON auth_refresh_tokens (family_id)",
  "CREATE INDEX IF NOT EXISTS auth_refresh_tokens_expires_idx ON auth_refresh_tokens (expires_at)",
  `CREATE TABLE IF NOT EXISTS auth_codes (
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (purpose, recipient)
)`,
];
