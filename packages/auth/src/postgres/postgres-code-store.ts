import type { CodeStore, StoredCode } from "../contracts/code-store.js";
import { type PostgresAuthOptions, quoteIdent, type SqlPool, toMs } from "./sql-pool.js";

interface Row {
  recipient: string;
  purpose: string;
  code_hash: string;
  expires_at: Date | string;
  attempts: number;
}

const toCode = (row: Row): StoredCode => ({
  recipient: row.recipient,
  purpose: row.purpose,
  codeHash: row.code_hash,
  expiresAt: toMs(row.expires_at),
  attempts: Number(row.attempts),
});

/**
 * A {@link CodeStore} in PostgreSQL (table `auth_codes`; create it with
 * `createAuthTables`). Purge expired codes now and then with `purgeExpired`.
 */
export function createPostgresCodeStore(
  pool: SqlPool,
  options: PostgresAuthOptions = {},
): CodeStore {
  const table = `${quoteIdent(options.schema ?? "public")}.auth_codes`;

  return {
    async put(code) {
      await pool.query(
        `INSERT INTO ${table} (purpose, recipient, code_hash, expires_at, attempts)
         VALUES ($1, $2, $3, $4, 0)
         ON CONFLICT (purpose, recipient)
         DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, attempts = 0`,
        [code.purpose, code.recipient, code.codeHash, new Date(code.expiresAt)],
      );
    },
    async attempt(recipient, purpose, now) {
      const { rows } = await pool.query(
        `UPDATE ${table} SET attempts = attempts + 1
         WHERE purpose = $1 AND recipient = $2 AND expires_at > $3
         RETURNING recipient, purpose, code_hash, expires_at, attempts`,
        [purpose, recipient, new Date(now)],
      );
      return rows[0] ? toCode(rows[0]) : undefined;
    },
    async consume(recipient, purpose, codeHash) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE purpose = $1 AND recipient = $2 AND code_hash = $3`,
        [purpose, recipient, codeHash],
      );
      return (rowCount ?? 0) > 0;
    },
    async delete(recipient, purpose) {
      await pool.query(`DELETE FROM ${table} WHERE purpose = $1 AND recipient = $2`, [
        purpose,
        recipient,
      ]);
    },
    async purgeExpired(now) {
      const { rowCount } = await pool.query(`DELETE FROM ${table} WHERE expires_at <= $1`, [
        new Date(now),
      ]);
      return rowCount ?? 0;
    },
  };
}
