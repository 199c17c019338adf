import type {
  LoginChallengeStatus,
  LoginChallengeStore,
} from "../contracts/login-challenge-store.js";
import { toChallenge } from "../internal/challenge-row.js";
import { authError } from "../internal/errors.js";
import { isUniqueViolation, type SqliteDb, statementCache } from "./sqlite-db.js";

interface Row {
  challenge_id: string;
  secret_hash: string;
  status: LoginChallengeStatus;
  description: string;
  ip: string | null;
  device_id: string | null;
  device_class: string | null;
  user_id: string | null;
  created_at: number;
  expires_at: number;
}

const COLUMNS =
  "challenge_id, secret_hash, status, description, ip, device_id, device_class, user_id, created_at, expires_at";

/**
 * A {@link LoginChallengeStore} in SQLite (table `auth_login_challenges`, made
 * by the auth migration `0002_account_recovery`). Every method is one statement.
 */
export function createSqliteLoginChallengeStore(db: SqliteDb): LoginChallengeStore {
  const q = statementCache(db);
  const one = (row: unknown) => (row ? toChallenge(row as Row) : undefined);
  return {
    async create(challenge) {
      try {
        q(
          `INSERT INTO auth_login_challenges (challenge_id, secret_hash, status, description, ip, device_id, device_class, created_at, expires_at)
           VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
        ).run(
          challenge.challengeId,
          challenge.secretHash,
          challenge.description,
          challenge.ip ?? null,
          challenge.deviceId ?? null,
          challenge.deviceClass ?? null,
          challenge.createdAt,
          challenge.expiresAt,
        );
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw authError("conflict", "this login challenge id is taken", { cause: error });
        }
        throw error;
      }
    },
    async get(challengeId, now) {
      return one(
        q(
          `SELECT ${COLUMNS} FROM auth_login_challenges WHERE challenge_id = ? AND expires_at > ?`,
        ).get(challengeId, now),
      );
    },
    async decide(challengeId, userId, decision, now) {
      return one(
        q(
          `UPDATE auth_login_challenges SET status = ?, user_id = ?
           WHERE challenge_id = ? AND status = 'pending' AND expires_at > ? RETURNING ${COLUMNS}`,
        ).get(decision, userId, challengeId, now),
      );
    },
    async consume(challengeId, secretHash, now) {
      return one(
        q(
          `UPDATE auth_login_challenges SET status = 'consumed'
           WHERE challenge_id = ? AND secret_hash = ? AND status = 'approved' AND expires_at > ?
           RETURNING ${COLUMNS}`,
        ).get(challengeId, secretHash, now),
      );
    },
    async purgeExpired(now) {
      return q("DELETE FROM auth_login_challenges WHERE expires_at <= ?").run(now).changes;
    },
  };
}
