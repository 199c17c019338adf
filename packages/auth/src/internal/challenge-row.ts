import type { LoginChallenge, LoginChallengeStatus } from "../contracts/login-challenge-store.js";
import { toMs } from "../postgres/sql-pool.js";

/** A row of `auth_login_challenges` as a challenge (PostgreSQL times are dates, SQLite's numbers). */
export function toChallenge(row: {
  challenge_id: string;
  secret_hash: string;
  status: LoginChallengeStatus;
  description: string;
  ip: string | null;
  device_id: string | null;
  device_class: string | null;
  user_id: string | null;
  created_at: Date | string | number;
  expires_at: Date | string | number;
}): LoginChallenge {
  const challenge: LoginChallenge = {
    challengeId: row.challenge_id,
    secretHash: row.secret_hash,
    status: row.status,
    description: row.description,
    createdAt: toMs(row.created_at),
    expiresAt: toMs(row.expires_at),
  };
  if (row.ip !== null) challenge.ip = row.ip;
  if (row.device_id !== null) challenge.deviceId = row.device_id;
  if (row.device_class !== null) challenge.deviceClass = row.device_class;
  if (row.user_id !== null) challenge.userId = row.user_id;
  return challenge;
}
