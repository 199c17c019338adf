import type { CredentialStore, UserCredentials } from "../contracts/credential-store.js";
import { authError } from "../internal/errors.js";
import {
  isUniqueViolation,
  type PostgresAuthOptions,
  quoteIdent,
  type SqlPool,
} from "./sql-pool.js";

interface Row {
  user_id: string;
  username: string;
  password_hash: string;
  token_version: number;
  recipient: string | null;
}

const toUser = (row: Row | undefined): UserCredentials | undefined =>
  row && {
    userId: row.user_id,
    username: row.username,
    passwordHash: row.password_hash,
    tokenVersion: Number(row.token_version),
    ...(row.recipient === null || row.recipient === undefined ? {} : { recipient: row.recipient }),
  };

/**
 * A {@link CredentialStore} in PostgreSQL (table `auth_credentials`; create it
 * with `createAuthTables`). Pass your own `pg.Pool`; it is never closed here.
 */
export function createPostgresCredentialStore(
  pool: SqlPool,
  options: PostgresAuthOptions = {},
): CredentialStore {
  const table = `${quoteIdent(options.schema ?? "public")}.auth_credentials`;
  const columns = "user_id, username, password_hash, token_version, recipient";

  return {
    async create({ userId, username, passwordHash }) {
      try {
        const { rows } = await pool.query(
          `INSERT INTO ${table} (user_id, username, password_hash) VALUES ($1, $2, $3) RETURNING ${columns}`,
          [userId, username, passwordHash],
        );
        return toUser(rows[0])!;
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw authError("conflict", `username "${username}" is taken`, { cause: error });
        }
        throw error;
      }
    },
    async findByUsername(username) {
      const { rows } = await pool.query(`SELECT ${columns} FROM ${table} WHERE username = $1`, [
        username,
      ]);
      return toUser(rows[0]);
    },
    async findById(userId) {
      const { rows } = await pool.query(`SELECT ${columns} FROM ${table} WHERE user_id = $1`, [
        userId,
      ]);
      return toUser(rows[0]);
    },
    async getTokenVersion(userId) {
      const { rows } = await pool.query(`SELECT token_version FROM ${table} WHERE user_id = $1`, [
        userId,
      ]);
      return rows[0] ? Number(rows[0].token_version) : undefined;
    },
    async setPasswordHash(userId, passwordHash, options = {}) {
      const { rows } = await pool.query(
        `UPDATE ${table} SET password_hash = $2, updated_at = now(),
           token_version = token_version + CASE WHEN $3::boolean THEN 1 ELSE 0 END
         WHERE user_id = $1 AND ($4::text IS NULL OR password_hash = $4) RETURNING ${columns}`,
        [userId, passwordHash, options.revokeTokens === true, options.ifPasswordHash ?? null],
      );
      return toUser(rows[0]);
    },
    async findByRecipient(recipient) {
      const { rows } = await pool.query(`SELECT ${columns} FROM ${table} WHERE recipient = $1`, [
        recipient,
      ]);
      return toUser(rows[0]);
    },
    async setRecipient(userId, recipient) {
      try {
        const { rows } = await pool.query(
          `UPDATE ${table} SET recipient = $2, updated_at = now() WHERE user_id = $1 RETURNING ${columns}`,
          [userId, recipient],
        );
        return toUser(rows[0]);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw authError("conflict", "this recipient belongs to another account", {
            cause: error,
          });
        }
        throw error;
      }
    },
    async incrementTokenVersion(userId) {
      const { rows } = await pool.query(
        `UPDATE ${table} SET token_version = token_version + 1, updated_at = now()
         WHERE user_id = $1 RETURNING token_version`,
        [userId],
      );
      return rows[0] ? Number(rows[0].token_version) : undefined;
    },
  };
}
