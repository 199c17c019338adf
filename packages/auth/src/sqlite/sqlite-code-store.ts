import type { CodeStore, StoredCode } from "../contracts/code-store.js";
import { type SqliteDb, statementCache } from "./sqlite-db.js";

interface Row {
  recipient: string;
  purpose: string;
  code_hash: string;
  expires_at: number;
  attempts: number;
}

const toCode = (row: Row): StoredCode => ({
  recipient: row.recipient,
  purpose: row.purpose,
  codeHash: row.code_hash,
  expiresAt: row.expires_at,
  attempts: row.attempts,
});

/**
 * A {@link CodeStore} in SQLite (table `auth_codes`; create it with
 * `createSqliteAuthTables`). Every method is one statement.
 */
export function createSqliteCodeStore(db: SqliteDb): CodeStore {
  const q = statementCache(db);
  return {
    async put(code) {
      q(
        `INSERT INTO auth_codes (purpose, recipient, code_hash, expires_at, attempts)
         VALUES (?, ?, ?, ?, 0)
         ON CONFLICT (purpose, recipient)
         DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0`,
      ).run(code.purpose, code.recipient, code.codeHash, code.expiresAt);
    },
    async attempt(recipient, purpose, now) {
      const row = q(
        `UPDATE auth_codes SET attempts = attempts + 1
         WHERE purpose = ? AND recipient = ? AND expires_at > ?
         RETURNING recipient, purpose, code_hash, expires_at, attempts`,
      ).get(purpose, recipient, now) as Row | undefined;
      return row ? toCode(row) : undefined;
    },
    async consume(recipient, purpose, codeHash) {
      const { changes } = q(
        "DELETE FROM auth_codes WHERE purpose = ? AND recipient = ? AND code_hash = ?",
      ).run(purpose, recipient, codeHash);
      return changes > 0;
    },
    async delete(recipient, purpose) {
      q("DELETE FROM auth_codes WHERE purpose = ? AND recipient = ?").run(purpose, recipient);
    },
    async purgeExpired(now) {
      return q("DELETE FROM auth_codes WHERE expires_at <= ?").run(now).changes;
    },
  };
}
