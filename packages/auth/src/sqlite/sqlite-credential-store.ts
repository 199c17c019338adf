import type { CredentialStore, UserCredentials } from "../contracts/credential-store.js";
import { authError } from "../internal/errors.js";
import { isUniqueViolation, type SqliteDb, statementCache } from "./sqlite-db.js";

interface Row {
  user_id: string;
  username: string;
  password_hash: string;
  token_version: number;
  recipient: string | null;
}

const toUser = (row: unknown): UserCredentials | undefined => {
  const r = row as Row | undefined;
  return (
    r && {
      userId: r.user_id,
      username: r.username,
      passwordHash: r.password_hash,
      tokenVersion: r.token_version,
      ...(r.recipient === null || r.recipient === undefined ? {} : { recipient: r.recipient }),
    }
  );
};

const COLUMNS = "user_id, username, password_hash, token_version, recipient";

/**
 * A {@link CredentialStore} in SQLite (table `auth_credentials`; create it
 * with `createSqliteAuthTables`). Every method is one statement.
 */
export function createSqliteCredentialStore(db: SqliteDb): CredentialStore {
  const q = statementCache(db);
  return {
    async create({ userId, username, passwordHash }) {
      try {
        const now = Date.now();
        return toUser(
          q(
            `INSERT INTO auth_credentials (user_id, username, password_hash, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
          ).get(userId, username, passwordHash, now, now),
        )!;
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw authError("conflict", `username "${username}" is taken`, { cause: error });
        }
        throw error;
      }
    },
    async findByUsername(username) {
      return toUser(q(`SELECT ${COLUMNS} FROM auth_credentials WHERE username = ?`).get(username));
    },
    async findById(userId) {
      return toUser(q(`SELECT ${COLUMNS} FROM auth_credentials WHERE user_id = ?`).get(userId));
    },
    async getTokenVersion(userId) {
      const row = q("SELECT token_version FROM auth_credentials WHERE user_id = ?").get(userId) as
        | { token_version: number }
        | undefined;
      return row?.token_version;
    },
    async setPasswordHash(userId, passwordHash, options = {}) {
      return toUser(
        q(
          `UPDATE auth_credentials SET password_hash = ?, updated_at = ?,
             token_version = token_version + ?
           WHERE user_id = ? AND (? IS NULL OR password_hash = ?) RETURNING ${COLUMNS}`,
        ).get(
          passwordHash,
          Date.now(),
          options.revokeTokens === true ? 1 : 0,
          userId,
          options.ifPasswordHash ?? null,
          options.ifPasswordHash ?? null,
        ),
      );
    },
    async findByRecipient(recipient) {
      return toUser(
        q(`SELECT ${COLUMNS} FROM auth_credentials WHERE recipient = ?`).get(recipient),
      );
    },
    async setRecipient(userId, recipient) {
      try {
        return toUser(
          q(
            `UPDATE auth_credentials SET recipient = ?, updated_at = ? WHERE user_id = ? RETURNING ${COLUMNS}`,
          ).get(recipient, Date.now(), userId),
        );
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
      const row = q(
        `UPDATE auth_credentials SET token_version = token_version + 1, updated_at = ?
         WHERE user_id = ? RETURNING token_version`,
      ).get(Date.now(), userId) as { token_version: number } | undefined;
      return row?.token_version;
    },
  };
}
