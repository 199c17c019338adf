import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { DeviceRegistry } from "../contracts/device-registry.js";
import { DEFAULT_DEVICE_REGISTRY_LIMITS, InvalidRegistrationError } from "../registry-limits.js";

/** Options of {@link deviceRegistryConformance}. */
export interface DeviceRegistryConformanceOptions {
  /** Names the implementation in the test titles. */
  name: string;
  /** A registry with the default limits (called inside tests; may share storage between calls). */
  create: () => DeviceRegistry | Promise<DeviceRegistry>;
}

const user = () => `u-${randomUUID()}`;

/**
 * The vitest suite every {@link DeviceRegistry} implementation passes. Users
 * are fresh per test, so the storage may be shared.
 */
export function deviceRegistryConformance(options: DeviceRegistryConformanceOptions): void {
  describe(`DeviceRegistry conformance: ${options.name}`, () => {
    it("registers devices per user and lists them oldest first", async () => {
      const registry = await options.create();
      const alice = user();
      const bob = user();
      const a1 = await registry.register({
        userId: alice,
        deviceId: "phone",
        platform: "fcm",
        token: `t-${alice}-1`,
      });
      expect(a1).toMatchObject({
        userId: alice,
        deviceId: "phone",
        platform: "fcm",
        token: `t-${alice}-1`,
      });
      expect(typeof a1.registeredAt).toBe("number");
      await registry.register({
        userId: alice,
        deviceId: "laptop",
        platform: "web",
        token: `t-${alice}-2`,
      });
      await registry.register({
        userId: bob,
        deviceId: "phone",
        platform: "fcm",
        token: `t-${bob}-1`,
      });
      expect((await registry.listByUser(alice)).map((d) => d.deviceId)).toEqual([
        "phone",
        "laptop",
      ]);
      expect((await registry.listByUser(bob)).map((d) => d.token)).toEqual([`t-${bob}-1`]);
      expect(await registry.listByUser(user())).toEqual([]);
    });

    it("re-registering a device replaces its token and makes it the newest", async () => {
      const registry = await options.create();
      const alice = user();
      await registry.register({
        userId: alice,
        deviceId: "a",
        platform: "fcm",
        token: `old-${alice}`,
      });
      await registry.register({
        userId: alice,
        deviceId: "b",
        platform: "fcm",
        token: `b-${alice}`,
      });
      await registry.register({
        userId: alice,
        deviceId: "a",
        platform: "web",
        token: `new-${alice}`,
      });
      const devices = await registry.listByUser(alice);
      expect(devices.map((d) => [d.deviceId, d.platform, d.token])).toEqual([
        ["b", "fcm", `b-${alice}`],
        ["a", "web", `new-${alice}`],
      ]);
    });

    it("moves a token registered by another user (a device changed hands)", async () => {
      const registry = await options.create();
      const alice = user();
      const bob = user();
      const token = `shared-${alice}`;
      await registry.register({ userId: alice, deviceId: "phone", platform: "fcm", token });
      await registry.register({ userId: bob, deviceId: "phone", platform: "fcm", token });
      expect(await registry.listByUser(alice)).toEqual([]);
      expect((await registry.listByUser(bob)).map((d) => d.token)).toEqual([token]);
    });

    it("unregisters only the user's own device", async () => {
      const registry = await options.create();
      const alice = user();
      const bob = user();
      await registry.register({
        userId: alice,
        deviceId: "phone",
        platform: "fcm",
        token: `t-${alice}`,
      });
      expect(await registry.unregister(bob, "phone")).toBe(false);
      expect(await registry.listByUser(alice)).toHaveLength(1);
      expect(await registry.unregister(alice, "phone")).toBe(true);
      expect(await registry.unregister(alice, "phone")).toBe(false);
      expect(await registry.listByUser(alice)).toEqual([]);
    });

    it("removes every device of a user on logout", async () => {
      const registry = await options.create();
      const alice = user();
      const bob = user();
      await registry.register({
        userId: alice,
        deviceId: "1",
        platform: "fcm",
        token: `1-${alice}`,
      });
      await registry.register({
        userId: alice,
        deviceId: "2",
        platform: "web",
        token: `2-${alice}`,
      });
      await registry.register({ userId: bob, deviceId: "1", platform: "fcm", token: `1-${bob}` });
      expect(await registry.unregisterUser(alice)).toBe(2);
      expect(await registry.listByUser(alice)).toEqual([]);
      expect(await registry.listByUser(bob)).toHaveLength(1);
      expect(await registry.unregisterUser(alice)).toBe(0);
    });

    it("drops a token a provider reported invalid, on its platform only", async () => {
      const registry = await options.create();
      const alice = user();
      const token = `dead-${alice}`;
      await registry.register({ userId: alice, deviceId: "1", platform: "fcm", token });
      await registry.register({ userId: alice, deviceId: "2", platform: "apns", token });
      expect(await registry.dropToken("fcm", token)).toBe(1);
      expect((await registry.listByUser(alice)).map((d) => d.platform)).toEqual(["apns"]);
      expect(await registry.dropToken("fcm", token)).toBe(0);
    });

    it("keeps at most maxDevicesPerUser devices, evicting the oldest", async () => {
      const registry = await options.create();
      const alice = user();
      const max = DEFAULT_DEVICE_REGISTRY_LIMITS.maxDevicesPerUser;
      for (let i = 0; i <= max; i++) {
        await registry.register({
          userId: alice,
          deviceId: `d${i}`,
          platform: "fcm",
          token: `${i}-${alice}`,
        });
      }
      const devices = await registry.listByUser(alice);
      expect(devices).toHaveLength(max);
      expect(devices[0]?.deviceId).toBe("d1");
      expect(devices.at(-1)?.deviceId).toBe(`d${max}`);
    });

    it("refuses an unknown platform, an oversize token and an oversize device id", async () => {
      const registry = await options.create();
      const alice = user();
      const bad = [
        { userId: alice, deviceId: "x", platform: "pager" as "fcm", token: "t" },
        {
          userId: alice,
          deviceId: "x",
          platform: "fcm" as const,
          token: "t".repeat(DEFAULT_DEVICE_REGISTRY_LIMITS.maxTokenLength + 1),
        },
        { userId: alice, deviceId: "d".repeat(129), platform: "fcm" as const, token: "t" },
        { userId: alice, deviceId: "", platform: "fcm" as const, token: "t" },
        { userId: alice, deviceId: "x", platform: "fcm" as const, token: "" },
      ];
      for (const registration of bad) {
        await expect(registry.register(registration)).rejects.toBeInstanceOf(
          InvalidRegistrationError,
        );
      }
      expect(await registry.listByUser(alice)).toEqual([]);
    });
  });
}
