import type { DeviceRegistry, PushDevice, PushPlatform } from "../contracts/device-registry.js";
import { checkRegistration, type DeviceRegistryLimits, resolveLimits } from "../registry-limits.js";
import { tokenHash } from "../token-hash.js";
import { quoteIdent, type SqlPool } from "./sql-pool.js";

/** Options of {@link createPostgresDeviceRegistry}. */
export interface PostgresDeviceRegistryOptions extends DeviceRegistryLimits {
  /** The schema of `push_devices` (made by `postgresPushMigrations`). @default "public" */
  schema?: string;
}

interface Row {
  user_id: string;
  device_id: string;
  platform: PushPlatform;
  token: string;
  registered_at: string | number;
}

const toDevice = (row: Row): PushDevice => ({
  userId: row.user_id,
  deviceId: row.device_id,
  platform: row.platform,
  token: row.token,
  registeredAt: Number(row.registered_at),
});

/**
 * A {@link DeviceRegistry} in PostgreSQL (table `push_devices`; create it with
 * `postgresPushMigrations`). A token registered by two devices at once ends
 * with the later registration.
 */
export function createPostgresDeviceRegistry(
  pool: SqlPool,
  options: PostgresDeviceRegistryOptions = {},
): DeviceRegistry {
  const limits = resolveLimits(options);
  const schema = quoteIdent(options.schema ?? "public");
  const table = `${schema}.push_devices`;
  const sequence = `${schema}.push_devices_seq`;
  const columns = "user_id, device_id, platform, token, registered_at";

  return {
    async register(registration) {
      checkRegistration(registration, limits);
      const { userId, deviceId, platform, token } = registration;
      const hash = tokenHash(token);
      const { rows } = await pool.query(
        `INSERT INTO ${table} (user_id, device_id, platform, token, token_hash, registered_at, seq)
         VALUES ($1, $2, $3, $4, $5, $6, nextval('${sequence}'))
         ON CONFLICT (user_id, device_id) DO UPDATE SET
           platform = EXCLUDED.platform, token = EXCLUDED.token, token_hash = EXCLUDED.token_hash,
           registered_at = EXCLUDED.registered_at, seq = EXCLUDED.seq
         RETURNING ${columns}, seq`,
        [userId, deviceId, platform, token, hash, Date.now()],
      );
      const row = rows[0] as Row & { seq: string };
      // The token moves here from older registrations (a device changed hands), and the
      // user keeps only the newest maxDevicesPerUser devices.
      await pool.query(
        `WITH moved AS (
           DELETE FROM ${table} WHERE platform = $1 AND token_hash = $2 AND seq < $3
         )
         DELETE FROM ${table} WHERE user_id = $4 AND seq NOT IN (
           SELECT seq FROM ${table} WHERE user_id = $4 ORDER BY seq DESC LIMIT $5
         )`,
        [platform, hash, row.seq, userId, limits.maxDevicesPerUser],
      );
      return toDevice(row);
    },
    async unregister(userId, deviceId) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE user_id = $1 AND device_id = $2`,
        [userId, deviceId],
      );
      return (rowCount ?? 0) > 0;
    },
    async unregisterUser(userId) {
      const { rowCount } = await pool.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId]);
      return rowCount ?? 0;
    },
    async listByUser(userId) {
      const { rows } = await pool.query(
        `SELECT ${columns} FROM ${table} WHERE user_id = $1 ORDER BY seq`,
        [userId],
      );
      return (rows as Row[]).map(toDevice);
    },
    async dropToken(platform, token) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE platform = $1 AND token_hash = $2 AND token = $3`,
        [platform, tokenHash(token), token],
      );
      return rowCount ?? 0;
    },
  };
}
