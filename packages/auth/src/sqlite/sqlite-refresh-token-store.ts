import type {
  RefreshFamily,
  RefreshTokenStore,
  RotateResult,
} from "../contracts/refresh-token-store.js";
import { immediate, type SqliteDb, statementCache } from "./sqlite-db.js";

interface FamilyRow {
  family_id: string;
  user_id: string;
  device_id: string | null;
  device_class: string | null;
}

const toFamily = (row: FamilyRow): RefreshFamily => ({
  familyId: row.family_id,
  userId: row.user_id,
  ...(row.device_id === null ? {} : { deviceId: row.device_id }),
  ...(row.device_class === null ? {} : { deviceClass: row.device_class }),
});

/**
 * A {@link RefreshTokenStore} in SQLite (tables `auth_refresh_families` and
 * `auth_refresh_tokens`; create them with `createSqliteAuthTables`). Methods
 * that write several rows run in one `BEGIN IMMEDIATE` transaction, without
 * yielding: two rotations of one token cannot both succeed.
 */
export function createSqliteRefreshTokenStore(db: SqliteDb): RefreshTokenStore {
  const q = statementCache(db);

  /** The family of a token, with the token's state. */
  const tokenFamily = (tokenHash: string) =>
    q(
      `SELECT f.family_id, f.user_id, f.device_id, f.device_class, f.revoked_at,
         t.used_at, t.expires_at, t.successor_sealed
       FROM auth_refresh_tokens t JOIN auth_refresh_families f ON f.family_id = t.family_id
       WHERE t.token_hash = ?`,
    ).get(tokenHash) as
      | (FamilyRow & {
          revoked_at: number | null;
          used_at: number | null;
          expires_at: number;
          successor_sealed: string | null;
        })
      | undefined;

  return {
    async createFamily(family, token, now) {
      immediate(db, () => {
        q(
          `INSERT INTO auth_refresh_families (family_id, user_id, device_id, device_class, created_at)
           VALUES (?, ?, ?, ?, ?)`,
        ).run(
          family.familyId,
          family.userId,
          family.deviceId ?? null,
          family.deviceClass ?? null,
          now,
        );
        q(
          "INSERT INTO auth_refresh_tokens (token_hash, family_id, expires_at) VALUES (?, ?, ?)",
        ).run(token.tokenHash, family.familyId, token.expiresAt);
      });
    },
    async rotate(tokenHash, next, now, options): Promise<RotateResult> {
      return immediate(db, (): RotateResult => {
        const row = tokenFamily(tokenHash);
        if (!row || row.expires_at <= now || row.revoked_at !== null) return { status: "invalid" };
        const family = toFamily(row);
        if (row.used_at !== null) {
          // Rotated within the reuse interval: a retried or concurrent refresh.
          const since = now - (options?.reuseIntervalMs ?? 0);
          if (row.successor_sealed !== null && row.used_at > since) {
            return { status: "replayed", family, sealedSuccessor: row.successor_sealed };
          }
          q("UPDATE auth_refresh_families SET revoked_at = ? WHERE family_id = ?").run(
            now,
            row.family_id,
          );
          return { status: "reused", family };
        }
        q(
          "UPDATE auth_refresh_tokens SET used_at = ?, successor_sealed = ? WHERE token_hash = ?",
        ).run(now, options?.sealedSuccessor ?? null, tokenHash);
        q(
          "INSERT INTO auth_refresh_tokens (token_hash, family_id, expires_at) VALUES (?, ?, ?)",
        ).run(next.tokenHash, row.family_id, next.expiresAt);
        return { status: "rotated", family };
      });
    },
    async revokeByToken(tokenHash, now, userId) {
      return immediate(db, () => {
        const row = tokenFamily(tokenHash);
        // With userId: only a family of that user (a logout names its own token).
        if (!row || (userId !== undefined && row.user_id !== userId)) return undefined;
        q(
          "UPDATE auth_refresh_families SET revoked_at = coalesce(revoked_at, ?) WHERE family_id = ?",
        ).run(now, row.family_id);
        return toFamily(row);
      });
    },
    async revokeUser(userId, now) {
      q(
        "UPDATE auth_refresh_families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
      ).run(now, userId);
    },
    async purgeExpired(now) {
      return immediate(db, () => {
        const deleted = q("DELETE FROM auth_refresh_tokens WHERE expires_at <= ?").run(now).changes;
        q(
          `DELETE FROM auth_refresh_families
           WHERE NOT EXISTS (SELECT 1 FROM auth_refresh_tokens t WHERE t.family_id = auth_refresh_families.family_id)`,
        ).run();
        return deleted;
      });
    },
  };
}
