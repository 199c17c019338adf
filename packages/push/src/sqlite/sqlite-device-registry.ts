import type { DeviceRegistry, PushDevice, PushPlatform } from "../contracts/device-registry.js";
import { checkRegistration, type DeviceRegistryLimits, resolveLimits } from "../registry-limits.js";
import { tokenHash } from "../token-hash.js";
import type { SqliteDb, SqliteDbStatement } from "./sqlite-db.js";

/** Options of {@link createSqliteDeviceRegistry}. */
export type SqliteDeviceRegistryOptions = DeviceRegistryLimits;

interface Row {
  user_id: string;
  device_id: string;
  platform: PushPlatform;
  token: string;
  registered_at: number;
}

const toDevice = (row: Row): PushDevice => ({
  userId: row.user_id,
  deviceId: row.device_id,
  platform: row.platform,
  token: row.token,
  registeredAt: Number(row.registered_at),
});

const COLUMNS = "user_id, device_id, platform, token, registered_at";

/**
 * A {@link DeviceRegistry} in SQLite (table `push_devices`; create it with
 * `sqlitePushMigrations`). Registration runs in one `BEGIN IMMEDIATE`
 * transaction, so processes sharing the file see it whole.
 */
export function createSqliteDeviceRegistry(
  db: SqliteDb,
  options: SqliteDeviceRegistryOptions = {},
): DeviceRegistry {
  const limits = resolveLimits(options);
  const cache = new Map<string, SqliteDbStatement>();
  const statement = (text: string) => {
    let prepared = cache.get(text);
    if (prepared === undefined) {
      prepared = db.prepare(text);
      cache.set(text, prepared);
    }
    return prepared;
  };

  return {
    async register(registration) {
      checkRegistration(registration, limits);
      const { userId, deviceId, platform, token } = registration;
      const hash = tokenHash(token);
      const now = Date.now();
      db.exec("BEGIN IMMEDIATE");
      try {
        const { seq } = statement(
          "SELECT coalesce(max(seq), 0) + 1 AS seq FROM push_devices",
        ).get() as { seq: number };
        statement(
          `INSERT INTO push_devices (user_id, device_id, platform, token, token_hash, registered_at, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id, device_id) DO UPDATE SET
             platform = excluded.platform, token = excluded.token, token_hash = excluded.token_hash,
             registered_at = excluded.registered_at, seq = excluded.seq`,
        ).run(userId, deviceId, platform, token, hash, now, seq);
        // The token moves here (a device changed hands); the user keeps the newest devices.
        statement("DELETE FROM push_devices WHERE platform = ? AND token_hash = ? AND seq < ?").run(
          platform,
          hash,
          seq,
        );
        statement(
          `DELETE FROM push_devices WHERE user_id = ? AND seq NOT IN (
             SELECT seq FROM push_devices WHERE user_id = ? ORDER BY seq DESC LIMIT ?)`,
        ).run(userId, userId, limits.maxDevicesPerUser);
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
      return { userId, deviceId, platform, token, registeredAt: now };
    },
    async unregister(userId, deviceId) {
      return (
        statement("DELETE FROM push_devices WHERE user_id = ? AND device_id = ?").run(
          userId,
          deviceId,
        ).changes > 0
      );
    },
    async unregisterUser(userId) {
      return statement("DELETE FROM push_devices WHERE user_id = ?").run(userId).changes;
    },
    async listByUser(userId) {
      return (
        statement(`SELECT ${COLUMNS} FROM push_devices WHERE user_id = ? ORDER BY seq`).all(
          userId,
        ) as Row[]
      ).map(toDevice);
    },
    async dropToken(platform, token) {
      return statement(
        "DELETE FROM push_devices WHERE platform = ? AND token_hash = ? AND token = ?",
      ).run(platform, tokenHash(token), token).changes;
    },
  };
}
