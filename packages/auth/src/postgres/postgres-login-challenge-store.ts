import type {
  LoginChallengeStatus,
  LoginChallengeStore,
} from "../contracts/login-challenge-store.js";
import { toChallenge } from "../internal/challenge-row.js";
import { authError } from "../internal/errors.js";
import {
  isUniqueViolation,
  type PostgresAuthOptions,
  quoteIdent,
  type SqlPool,
} from "./sql-pool.js";

interface Row {
  challenge_id: string;
  secret_hash: string;
  status: LoginChallengeStatus;
  description: string;
  ip: string | null;
  device_id: string | null;
  device_class: string | null;
  user_id: string | null;
  created_at: Date | string;
  expires_at: Date | string;
}

const COLUMNS =
  "challenge_id, secret_hash, status, description, ip, device_id, device_class, user_id, created_at, expires_at";

/**
 * A {@link LoginChallengeStore} in PostgreSQL (table `auth_login_challenges`,
 * made by the auth migration `0002_account_recovery`). Every method is one
 * statement; purge expired challenges now and then with `purgeExpired`.
 */
export function createPostgresLoginChallengeStore(
  pool: SqlPool,
  options: PostgresAuthOptions = {},
): LoginChallengeStore {
  const table = `${quoteIdent(options.schema ?? "public")}.auth_login_challenges`;
  const first = (rows: Row[]) => (rows[0] ? toChallenge(rows[0]) : undefined);

  return {
    async create(challenge) {
      try {
        await pool.query(
          `INSERT INTO ${table} (challenge_id, secret_hash, status, description, ip, device_id, device_class, created_at, expires_at)
           VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8)`,
          [
            challenge.challengeId,
            challenge.secretHash,
            challenge.description,
            challenge.ip ?? null,
            challenge.deviceId ?? null,
            challenge.deviceClass ?? null,
            new Date(challenge.createdAt),
            new Date(challenge.expiresAt),
          ],
        );
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw authError("conflict", "this login challenge id is taken", { cause: error });
        }
        throw error;
      }
    },
    async get(challengeId, now) {
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM ${table} WHERE challenge_id = $1 AND expires_at > $2`,
        [challengeId, new Date(now)],
      );
      return first(rows);
    },
    async decide(challengeId, userId, decision, now) {
      const { rows } = await pool.query(
        `UPDATE ${table} SET status = $3, user_id = $2
         WHERE challenge_id = $1 AND status = 'pending' AND expires_at > $4 RETURNING ${COLUMNS}`,
        [challengeId, userId, decision, new Date(now)],
      );
      return first(rows);
    },
    async consume(challengeId, secretHash, now) {
      const { rows } = await pool.query(
        `UPDATE ${table} SET status = 'consumed'
         WHERE challenge_id = $1 AND secret_hash = $2 AND status = 'approved' AND expires_at > $3
         RETURNING ${COLUMNS}`,
        [challengeId, secretHash, new Date(now)],
      );
      return first(rows);
    },
    async purgeExpired(now) {
      const { rowCount } = await pool.query(`DELETE FROM ${table} WHERE expires_at <= $1`, [
        new Date(now),
      ]);
      return rowCount ?? 0;
    },
  };
}
