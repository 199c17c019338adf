/** Adds the recipient column; SQLite has no ADD COLUMN IF NOT EXISTS: run it when missing. */
export const SQLITE_ADD_RECIPIENT = "ALTER TABLE auth_credentials ADD COLUMN recipient TEXT";

/** One row, `n` = 1 when `auth_credentials` has the recipient column already. */
export const SQLITE_HAS_RECIPIENT =
  "SELECT count(*) AS n FROM pragma_table_info('auth_credentials') WHERE name = 'recipient'";

/**
 * The DDL of the second SQLite auth migration (`0002_account_recovery`): the
 * verified recipient of each account, unique, and the QR login challenges
 * (times in ms since the epoch), after {@link SQLITE_ADD_RECIPIENT}.
 */
export const SQLITE_ACCOUNT_STATEMENTS: readonly string[] = [
  "CREATE UNIQUE INDEX IF NOT EXISTS auth_credentials_recipient_idx ON auth_credentials (recipient)",
  `CREATE TABLE IF NOT EXISTS auth_login_challenges (
  challenge_id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  description TEXT NOT NULL,
  ip TEXT,
  device_id TEXT,
  device_class TEXT,
  user_id TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
)`,
  "CREATE INDEX IF NOT EXISTS auth_login_challenges_expires_idx ON auth_login_challenges (expires_at)",
];

/** Undoes {@link SQLITE_ACCOUNT_STATEMENTS} (SQLite 3.35+ drops columns). */
export const SQLITE_ACCOUNT_DOWN_STATEMENTS: readonly string[] = [
  "DROP TABLE IF EXISTS auth_login_challenges",
  "DROP INDEX IF EXISTS auth_credentials_recipient_idx",
  "ALTER TABLE auth_credentials DROP COLUMN recipient",
];
