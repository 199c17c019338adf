import { describe, expect, it } from "vitest";
import { isConfigError } from "../config-error.js";
import { createMemoryTransport } from "../transport/memory-transport.js";
import { createImServer } from "./im-server.js";
import type { ImServerOptions } from "./options.js";
import { resolveServerConfig } from "./resolved-config.js";

const base = (): ImServerOptions => ({
  transport: createMemoryTransport(),
  authenticator: {
    async authenticate() {
      throw new Error("not used");
    },
  },
});

/** The ConfigError `fn` throws. */
function configErrorOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(isConfigError(error), String(error)).toBe(true);
    return error as { option?: string; message: string };
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("resolveServerConfig", () => {
  it("applies the defaults of every group", () => {
    const config = resolveServerConfig(base());
    expect(config.relay).toEqual({
      intervalMs: 1_000,
      batchSize: 100,
      leaseMs: 30_000,
      outboxRetentionMs: 3_600_000,
    });
    expect(config.caches.group).toEqual({ ttlMs: 10_000, maxEntries: 10_000, missingTtlMs: 2_000 });
    expect(config.caches.dedupe).toEqual({ ttlMs: 3_600_000, maxEntries: 100_000 });
    expect(config.delivery).toEqual({
      receipts: "direct",
      receiptBatchMs: 20,
      sentHoldMs: 100,
      cursorBatchMs: 20,
      settleAfterOffline: false,
      presenceBatchMaxUsers: 5_000,
    });
    expect(config.presenceTracking.notifyPartners).toBe(false);
    expect(config.joinPurge).toEqual({ intervalMs: 3_600_000, expiredRetentionMs: 86_400_000 });
    expect(config.admin.claim).toBe("admin");
  });

  it("reads the grouped options", () => {
    const isAdmin = () => true;
    const config = resolveServerConfig({
      ...base(),
      relay: { intervalMs: 50, leaseMs: 100 },
      caches: { relation: { ttlMs: 0 }, suspension: { maxEntries: 7 } },
      delivery: { receipts: "all", settleAfterOffline: true },
      presenceTracking: { notifyPartners: true, heartbeatMs: 300 },
      joinPurge: { intervalMs: 0 },
      admin: { isAdmin, claim: null, statsIntervalMs: 20 },
    });
    expect(config.relay).toMatchObject({ intervalMs: 50, leaseMs: 100, batchSize: 100 });
    expect(config.caches.relation).toEqual({ ttlMs: 0, maxEntries: 100_000 });
    expect(config.caches.suspension).toEqual({ ttlMs: 10_000, maxEntries: 7 });
    expect(config.delivery).toMatchObject({ receipts: "all", settleAfterOffline: true });
    expect(config.presenceTracking).toMatchObject({ notifyPartners: true, heartbeatMs: 300 });
    expect(config.joinPurge.intervalMs).toBe(0);
    expect(config.admin).toEqual({ isAdmin, claim: undefined, statsIntervalMs: 20 });
  });

  it("still reads each deprecated flat alias", () => {
    const isAdmin = () => true;
    const config = resolveServerConfig({
      ...base(),
      relayIntervalMs: 50,
      relayBatchSize: 10,
      relayLeaseMs: 100,
      outboxRetentionMs: 60_000,
      groupCacheMs: 1,
      groupCacheSize: 2,
      relationCacheMs: 3,
      relationCacheSize: 4,
      dedupeCacheMs: 5,
      dedupeCacheSize: 6,
      settingsCacheMs: 7,
      settingsCacheSize: 8,
      suspensionCacheMs: 9,
      suspensionCacheSize: 10,
      deliveryReceipts: "none",
      receiptBatchMs: 0,
      cursorBatchMs: 30,
      settleAfterOffline: true,
      presenceBatchMaxUsers: 11,
      presenceHeartbeatMs: 12,
      presenceEvents: true,
      presenceFanoutChunk: 13,
      presenceAudienceConversations: 14,
      lastSeenBatchMs: 15,
      joinPurgeIntervalMs: 16,
      expiredJoinRetentionMs: 17,
      isAdmin,
      adminClaim: "root",
      adminStatsIntervalMs: 18,
    });
    expect(config.relay).toEqual({
      intervalMs: 50,
      batchSize: 10,
      leaseMs: 100,
      outboxRetentionMs: 60_000,
    });
    expect(config.caches).toEqual({
      group: { ttlMs: 1, maxEntries: 2, missingTtlMs: 2_000 },
      relation: { ttlMs: 3, maxEntries: 4 },
      dedupe: { ttlMs: 5, maxEntries: 6 },
      settings: { ttlMs: 7, maxEntries: 8 },
      suspension: { ttlMs: 9, maxEntries: 10 },
    });
    expect(config.delivery).toEqual({
      receipts: "none",
      receiptBatchMs: 0,
      sentHoldMs: 100,
      cursorBatchMs: 30,
      settleAfterOffline: true,
      presenceBatchMaxUsers: 11,
    });
    expect(config.presenceTracking).toEqual({
      heartbeatMs: 12,
      notifyPartners: true,
      fanoutChunk: 13,
      audienceConversations: 14,
      lastSeenBatchMs: 15,
    });
    expect(config.joinPurge).toEqual({ intervalMs: 16, expiredRetentionMs: 17 });
    expect(config.admin).toEqual({ isAdmin, claim: "root", statsIntervalMs: 18 });
  });

  it("accepts a grouped option and its alias given with the same value", () => {
    const config = resolveServerConfig({
      ...base(),
      relay: { intervalMs: 50 },
      relayIntervalMs: 50,
    });
    expect(config.relay.intervalMs).toBe(50);
  });

  it("refuses a grouped option and its alias that disagree, naming the grouped option", () => {
    const error = configErrorOf(() =>
      resolveServerConfig({ ...base(), relay: { intervalMs: 50 }, relayIntervalMs: 60 }),
    );
    expect(error.option).toBe("relay.intervalMs");
    expect(error.message).toContain("relayIntervalMs");
    expect(
      configErrorOf(() =>
        resolveServerConfig({
          ...base(),
          caches: { dedupe: { maxEntries: 1 } },
          dedupeCacheSize: 2,
        }),
      ).option,
    ).toBe("caches.dedupe.maxEntries");
    expect(
      configErrorOf(() =>
        resolveServerConfig({ ...base(), admin: { claim: null }, adminClaim: "admin" }),
      ).option,
    ).toBe("admin.claim");
  });

  it("checks a number under the name the caller used", () => {
    expect(
      configErrorOf(() => resolveServerConfig({ ...base(), relay: { batchSize: 0 } })).option,
    ).toBe("relay.batchSize");
    expect(
      configErrorOf(() => resolveServerConfig({ ...base(), relayBatchSize: 1.5 })).option,
    ).toBe("relayBatchSize");
    expect(
      configErrorOf(() => resolveServerConfig({ ...base(), caches: { group: { ttlMs: -1 } } }))
        .option,
    ).toBe("caches.group.ttlMs");
    expect(
      configErrorOf(() => resolveServerConfig({ ...base(), presenceTracking: { heartbeatMs: 0 } }))
        .option,
    ).toBe("presenceTracking.heartbeatMs");
  });

  it("createImServer throws the ConfigError before opening anything", () => {
    const error = configErrorOf(() =>
      createImServer({
        ...base(),
        delivery: { settleAfterOffline: true },
        settleAfterOffline: false,
      }),
    );
    expect(error.option).toBe("delivery.settleAfterOffline");
  });
});
