import { quoteIdent } from "./sql-pool.js";

/**
 * The DDL of the second Postgres auth migration (`0002_account_recovery`): the
 * verified recipient of each account, unique, and the QR login challenges.
 * Idempotent, like the first one's.
 */
export function postgresAccountStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `ALTER TABLE ${s}.auth_credentials ADD COLUMN IF NOT EXISTS recipient text`,
    `CREATE UNIQUE INDEX IF NOT EXISTS auth_credentials_recipient_idx ON ${s}.auth_credentials (recipient)`,
    `CREATE TABLE IF NOT EXISTS ${s}.auth_login_challenges (
  challenge_id text PRIMARY KEY,
  secret_hash text NOT NULL,
  status text NOT NULL,
  description text NOT NULL,
  ip text,
  device_id text,
  device_class text,
  user_id text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS auth_login_challenges_expires_idx ON ${s}.auth_login_challenges (expires_at)`,
  ];
}

/** Undoes {@link postgresAccountStatements}. */
export function postgresAccountDownStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `DROP TABLE IF EXISTS ${s}.auth_login_challenges`,
    `DROP INDEX IF EXISTS ${s}.auth_credentials_recipient_idx`,
    `ALTER TABLE ${s}.auth_credentials DROP COLUMN IF EXISTS recipient`,
  ];
}
