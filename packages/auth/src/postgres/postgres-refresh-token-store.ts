import type { RefreshFamily, RefreshTokenStore } from "../contracts/refresh-token-store.js";
import { type PostgresAuthOptions, quoteIdent, type SqlPool } from "./sql-pool.js";

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
 * A {@link RefreshTokenStore} in PostgreSQL (tables `auth_refresh_families`
 * and `auth_refresh_tokens`; create them with `createAuthTables`). Every
 * method is one statement, so rotation is atomic on any pool.
 */
export function createPostgresRefreshTokenStore(
  pool: SqlPool,
  options: PostgresAuthOptions = {},
): RefreshTokenStore {
  const s = quoteIdent(options.schema ?? "public");
  const families = `${s}.auth_refresh_families`;
  const tokens = `${s}.auth_refresh_tokens`;
  const familyColumns = "f.family_id, f.user_id, f.device_id, f.device_class";

  return {
    async createFamily(family, token, now) {
      await pool.query(
        `WITH f AS (
           INSERT INTO ${families} (family_id, user_id, device_id, device_class, created_at)
           VALUES ($1, $2, $3, $4, $5) RETURNING family_id
         )
         INSERT INTO ${tokens} (token_hash, family_id, expires_at) SELECT $6, family_id, $7 FROM f`,
        [
          family.familyId,
          family.userId,
          family.deviceId ?? null,
          family.deviceClass ?? null,
          new Date(now),
          token.tokenHash,
          new Date(token.expiresAt),
        ],
      );
    },
    async rotate(tokenHash, next, now, options) {
      const at = new Date(now);
      // The row lock of the UPDATE serialises concurrent rotations of one token:
      // the second re-checks `used_at IS NULL` after the first commits, and fails.
      const rotated = await pool.query(
        `WITH cur AS (
           UPDATE ${tokens} t SET used_at = $3, successor_sealed = $5
           FROM ${families} f
           WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $3
             AND f.family_id = t.family_id AND f.revoked_at IS NULL
           RETURNING ${familyColumns}
         ), ins AS (
           INSERT INTO ${tokens} (token_hash, family_id, expires_at)
           SELECT $2, family_id, $4 FROM cur
         )
         SELECT * FROM cur`,
        [tokenHash, next.tokenHash, at, new Date(next.expiresAt), options?.sealedSuccessor ?? null],
      );
      if (rotated.rows[0]) return { status: "rotated", family: toFamily(rotated.rows[0]) };
      // The token was used (by a commit the UPDATE above waited for, or earlier). One
      // statement decides replay or reuse under the family's row lock, so a concurrent
      // logout either wins (then: invalid) or waits.
      const since = new Date(now - (options?.reuseIntervalMs ?? 0));
      const used = await pool.query(
        `WITH hit AS (
           SELECT ${familyColumns}, t.successor_sealed,
                  (t.successor_sealed IS NOT NULL AND t.used_at > $3) AS replay
           FROM ${tokens} t JOIN ${families} f ON f.family_id = t.family_id
           WHERE t.token_hash = $1 AND t.used_at IS NOT NULL AND t.expires_at > $2
             AND f.revoked_at IS NULL
           FOR UPDATE OF f
         ), revoked AS (
           UPDATE ${families} f SET revoked_at = $2 FROM hit
           WHERE f.family_id = hit.family_id AND NOT hit.replay
           RETURNING f.family_id
         )
         SELECT hit.*, (SELECT count(*) FROM revoked) AS n FROM hit`,
        [tokenHash, at, since],
      );
      const row = used.rows[0];
      if (!row) return { status: "invalid" };
      if (row.replay) {
        return {
          status: "replayed",
          family: toFamily(row),
          sealedSuccessor: row.successor_sealed,
        };
      }
      return { status: "reused", family: toFamily(row) };
    },
    async revokeByToken(tokenHash, now, userId) {
      const { rows } = await pool.query(
        `UPDATE ${families} f SET revoked_at = COALESCE(f.revoked_at, $2)
         FROM ${tokens} t
         WHERE t.token_hash = $1 AND f.family_id = t.family_id
           AND ($3::text IS NULL OR f.user_id = $3)
         RETURNING ${familyColumns}`,
        [tokenHash, new Date(now), userId ?? null],
      );
      return rows[0] ? toFamily(rows[0]) : undefined;
    },
    async revokeUser(userId, now) {
      await pool.query(
        `UPDATE ${families} SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId, new Date(now)],
      );
    },
    async purgeExpired(now) {
      const deleted = await pool.query(`DELETE FROM ${tokens} WHERE expires_at <= $1`, [
        new Date(now),
      ]);
      await pool.query(
        `DELETE FROM ${families} f
         WHERE NOT EXISTS (SELECT 1 FROM ${tokens} t WHERE t.family_id = f.family_id)`,
      );
      return deleted.rowCount ?? 0;
    },
  };
}
