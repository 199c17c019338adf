import type {
  DeviceRegistration,
  DeviceRegistry,
  PushDevice,
  PushPlatform,
} from "../contracts/device-registry.js";
import { checkRegistration, type DeviceRegistryLimits, resolveLimits } from "../registry-limits.js";

/** Options of {@link createMemoryDeviceRegistry}. */
export interface MemoryDeviceRegistryOptions extends DeviceRegistryLimits {
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * A {@link DeviceRegistry} in process memory: for tests and single-node
 * development (registrations are lost on restart).
 */
export function createMemoryDeviceRegistry(
  options: MemoryDeviceRegistryOptions = {},
): DeviceRegistry {
  const limits = resolveLimits(options);
  const now = options.now ?? Date.now;
  // userId -> deviceId -> device; a Map keeps insertion order, so re-registering deletes first.
  const byUser = new Map<string, Map<string, PushDevice>>();
  let lastTime = 0;

  const removeToken = (platform: PushPlatform, token: string, keep?: PushDevice): number => {
    let removed = 0;
    for (const [userId, devices] of byUser) {
      for (const [deviceId, device] of devices) {
        if (device === keep || device.platform !== platform || device.token !== token) continue;
        devices.delete(deviceId);
        removed++;
      }
      if (devices.size === 0) byUser.delete(userId);
    }
    return removed;
  };

  return {
    async register(registration: DeviceRegistration) {
      checkRegistration(registration, limits);
      const { userId, deviceId, platform, token } = registration;
      // Strictly increasing: "oldest first" must hold within one millisecond too.
      lastTime = Math.max(now(), lastTime + 1);
      const device: PushDevice = { userId, deviceId, platform, token, registeredAt: lastTime };
      let devices = byUser.get(userId);
      if (devices === undefined) {
        devices = new Map();
        byUser.set(userId, devices);
      }
      devices.delete(deviceId);
      devices.set(deviceId, device);
      removeToken(platform, token, device);
      while (devices.size > limits.maxDevicesPerUser) {
        const oldest = devices.keys().next().value as string;
        devices.delete(oldest);
      }
      return { ...device };
    },
    async unregister(userId, deviceId) {
      const devices = byUser.get(userId);
      const removed = devices?.delete(deviceId) ?? false;
      if (devices?.size === 0) byUser.delete(userId);
      return removed;
    },
    async unregisterUser(userId) {
      const count = byUser.get(userId)?.size ?? 0;
      byUser.delete(userId);
      return count;
    },
    async listByUser(userId) {
      return [...(byUser.get(userId)?.values() ?? [])].map((device) => ({ ...device }));
    },
    async dropToken(platform, token) {
      return removeToken(platform, token);
    },
  };
}
