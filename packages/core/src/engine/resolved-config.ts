import { ConfigError } from "../config-error.js";
import type { MessageBodyType } from "../protocol/schemas.js";
import { checkOption, type OptionRule } from "../util/check-option.js";
import {
  DEFAULT_LIMITS,
  type ImAdminOptions,
  type ImLimits,
  type ImServerOptions,
  type MultiDevicePolicy,
} from "./options.js";

const ALL_BODY_TYPES: readonly MessageBodyType[] = [
  "text",
  "image",
  "voice",
  "video",
  "file",
  "location",
  "custom",
];

/** A timer's longest delay: a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** One cache's settings, resolved. */
export interface ResolvedCache {
  /** How long an entry is trusted, in ms. */
  ttlMs: number;
  /** Most entries kept. */
  maxEntries: number;
}

/**
 * Every setting of the engine, resolved from {@link ImServerOptions} in one place
 * ({@link resolveServerConfig}): each group's field over its deprecated flat alias,
 * defaults applied, numbers checked. The engine's modules read this, never the options.
 */
export interface ResolvedServerConfig {
  /** Every limit, defaults filled in. */
  limits: ImLimits;
  /** The outbox relay. */
  relay: { intervalMs: number; batchSize: number; leaseMs: number; outboxRetentionMs: number };
  /** The per-node caches. */
  caches: {
    group: ResolvedCache & { missingTtlMs: number };
    relation: ResolvedCache;
    dedupe: ResolvedCache;
    settings: ResolvedCache;
    suspension: ResolvedCache;
  };
  /** Delivery of messages, receipts and read state. */
  delivery: {
    receipts: "direct" | "all" | "none";
    receiptBatchMs: number;
    sentHoldMs: number;
    cursorBatchMs: number;
    settleAfterOffline: boolean;
    presenceBatchMaxUsers: number;
  };
  /** Tracking who is online. */
  presenceTracking: {
    heartbeatMs: number;
    notifyPartners: boolean;
    fanoutChunk: number;
    audienceConversations: number;
    lastSeenBatchMs: number;
  };
  /** The purge of expired join tickets and invite links. */
  joinPurge: { intervalMs: number; expiredRetentionMs: number };
  /** Admins and admin statistics; `claim` undefined: no claim makes an admin. */
  admin: {
    isAdmin: ImAdminOptions["isAdmin"];
    claim: string | undefined;
    statsIntervalMs: number;
  };
  /** The heartbeat interval announced in `ready`. */
  heartbeatMs: number;
  /** The multi-device policy. */
  multiDevice: MultiDevicePolicy;
  /** The message body types accepted. */
  allowedBodyTypes: ReadonlySet<MessageBodyType>;
  /** Every group member may mention `all` (else owners and admins only). */
  mentionAllByMembers: boolean;
  /** A forwarded copy names the original sender. */
  forwardShowsSender: boolean;
  /** An external rate limiter counts per user rather than per connection. */
  rateLimitByUser: boolean;
}

/** A value given under its grouped name, its deprecated flat alias, or neither. */
interface Chosen<T> {
  /** The value, undefined when neither name was given. */
  value: T | undefined;
  /** The name the caller used (the grouped name when neither was given). */
  name: string;
}

/**
 * The grouped value when given, else its deprecated alias's. Both given and different
 * is a {@link ConfigError}: one of them would be ignored silently.
 */
function choose<T>(
  name: string,
  value: T | undefined,
  alias: string,
  aliasValue: T | undefined,
): Chosen<T> {
  if (value !== undefined && aliasValue !== undefined && value !== aliasValue) {
    throw new ConfigError(
      "core",
      `options ${name} and ${alias} (its deprecated alias) disagree: ${String(value)} and ${String(aliasValue)}; set ${name} only`,
      { option: name },
    );
  }
  if (value !== undefined) return { value, name };
  if (aliasValue !== undefined) return { value: aliasValue, name: alias };
  return { value: undefined, name };
}

/** A numeric option chosen by {@link choose}, checked under the name the caller used. */
function numberOption(chosen: Chosen<number>, rule: OptionRule & { default: number }): number {
  return checkOption("core", chosen.name, chosen.value, rule);
}

const TTL: OptionRule = { min: 0, max: MAX_TIMER_MS };
const COUNT: OptionRule = { min: 1, integer: true };
const INTERVAL: OptionRule = { above: 0, max: MAX_TIMER_MS };

/**
 * Resolves the options of {@link createImServer} into the engine's settings: the one
 * place that reads a grouped option or its deprecated flat alias, applies the defaults
 * and checks the numbers. Throws a {@link ConfigError} for a bad value, or for a grouped
 * option and its alias given with different values.
 */
export function resolveServerConfig(options: ImServerOptions): ResolvedServerConfig {
  const o = options;
  const limits: ImLimits = { ...DEFAULT_LIMITS, ...o.limits };
  // Without a host limiter the engine counts frames itself, with these two.
  if (!o.rateLimiter) {
    checkOption("core", "limits.framesPerWindow", limits.framesPerWindow, COUNT);
    checkOption("core", "limits.rateWindowMs", limits.rateWindowMs, { above: 0 });
  }
  // The bound of `acks` frames must let at least one entry through.
  checkOption("core", "limits.maxAcksPerFrame", limits.maxAcksPerFrame, COUNT);
  checkOption("core", "limits.maxReceiptsPerFrame", limits.maxReceiptsPerFrame, COUNT);

  const cache = (
    group: "group" | "relation" | "dedupe" | "settings" | "suspension",
    ttl: { alias: string; value: number | undefined; default: number },
    size: { alias: string; value: number | undefined; default: number },
  ): ResolvedCache => ({
    ttlMs: numberOption(
      choose(`caches.${group}.ttlMs`, o.caches?.[group]?.ttlMs, ttl.alias, ttl.value),
      {
        ...TTL,
        default: ttl.default,
      },
    ),
    maxEntries: numberOption(
      choose(`caches.${group}.maxEntries`, o.caches?.[group]?.maxEntries, size.alias, size.value),
      { ...COUNT, default: size.default },
    ),
  });

  const claim = choose("admin.claim", o.admin?.claim, "adminClaim", o.adminClaim).value;
  return {
    limits,
    relay: {
      intervalMs: numberOption(
        choose("relay.intervalMs", o.relay?.intervalMs, "relayIntervalMs", o.relayIntervalMs),
        { ...INTERVAL, default: 1_000 },
      ),
      batchSize: numberOption(
        choose("relay.batchSize", o.relay?.batchSize, "relayBatchSize", o.relayBatchSize),
        { ...COUNT, default: 100 },
      ),
      leaseMs: numberOption(
        choose("relay.leaseMs", o.relay?.leaseMs, "relayLeaseMs", o.relayLeaseMs),
        {
          above: 0,
          default: 30_000,
        },
      ),
      outboxRetentionMs: numberOption(
        choose(
          "relay.outboxRetentionMs",
          o.relay?.outboxRetentionMs,
          "outboxRetentionMs",
          o.outboxRetentionMs,
        ),
        { min: 0, default: 3_600_000 },
      ),
    },
    caches: {
      group: {
        ...cache(
          "group",
          { alias: "groupCacheMs", value: o.groupCacheMs, default: 10_000 },
          { alias: "groupCacheSize", value: o.groupCacheSize, default: 10_000 },
        ),
        missingTtlMs: checkOption(
          "core",
          "caches.group.missingTtlMs",
          o.caches?.group?.missingTtlMs,
          {
            ...TTL,
            default: 2_000,
          },
        ),
      },
      relation: cache(
        "relation",
        { alias: "relationCacheMs", value: o.relationCacheMs, default: 10_000 },
        { alias: "relationCacheSize", value: o.relationCacheSize, default: 100_000 },
      ),
      dedupe: cache(
        "dedupe",
        { alias: "dedupeCacheMs", value: o.dedupeCacheMs, default: 3_600_000 },
        { alias: "dedupeCacheSize", value: o.dedupeCacheSize, default: 100_000 },
      ),
      settings: cache(
        "settings",
        { alias: "settingsCacheMs", value: o.settingsCacheMs, default: 10_000 },
        { alias: "settingsCacheSize", value: o.settingsCacheSize, default: 100_000 },
      ),
      suspension: cache(
        "suspension",
        { alias: "suspensionCacheMs", value: o.suspensionCacheMs, default: 10_000 },
        { alias: "suspensionCacheSize", value: o.suspensionCacheSize, default: 100_000 },
      ),
    },
    delivery: {
      receipts:
        choose("delivery.receipts", o.delivery?.receipts, "deliveryReceipts", o.deliveryReceipts)
          .value ?? "direct",
      receiptBatchMs: numberOption(
        choose(
          "delivery.receiptBatchMs",
          o.delivery?.receiptBatchMs,
          "receiptBatchMs",
          o.receiptBatchMs,
        ),
        { ...TTL, default: 20 },
      ),
      // An answer held for seconds would look like a lost send: a few seconds at most.
      sentHoldMs: checkOption("core", "delivery.sentHoldMs", o.delivery?.sentHoldMs, {
        min: 0,
        max: 10_000,
        integer: true,
        default: 100,
      }),
      cursorBatchMs: numberOption(
        choose(
          "delivery.cursorBatchMs",
          o.delivery?.cursorBatchMs,
          "cursorBatchMs",
          o.cursorBatchMs,
        ),
        { ...TTL, default: 20 },
      ),
      settleAfterOffline:
        choose(
          "delivery.settleAfterOffline",
          o.delivery?.settleAfterOffline,
          "settleAfterOffline",
          o.settleAfterOffline,
        ).value ?? false,
      presenceBatchMaxUsers: numberOption(
        choose(
          "delivery.presenceBatchMaxUsers",
          o.delivery?.presenceBatchMaxUsers,
          "presenceBatchMaxUsers",
          o.presenceBatchMaxUsers,
        ),
        { ...COUNT, default: 5_000 },
      ),
    },
    presenceTracking: {
      heartbeatMs: numberOption(
        choose(
          "presenceTracking.heartbeatMs",
          o.presenceTracking?.heartbeatMs,
          "presenceHeartbeatMs",
          o.presenceHeartbeatMs,
        ),
        { ...INTERVAL, default: 10_000 },
      ),
      notifyPartners:
        choose(
          "presenceTracking.notifyPartners",
          o.presenceTracking?.notifyPartners,
          "presenceEvents",
          o.presenceEvents,
        ).value ?? false,
      fanoutChunk: numberOption(
        choose(
          "presenceTracking.fanoutChunk",
          o.presenceTracking?.fanoutChunk,
          "presenceFanoutChunk",
          o.presenceFanoutChunk,
        ),
        { ...COUNT, default: 500 },
      ),
      audienceConversations: numberOption(
        choose(
          "presenceTracking.audienceConversations",
          o.presenceTracking?.audienceConversations,
          "presenceAudienceConversations",
          o.presenceAudienceConversations,
        ),
        { min: 0, integer: true, default: 200 },
      ),
      lastSeenBatchMs: numberOption(
        choose(
          "presenceTracking.lastSeenBatchMs",
          o.presenceTracking?.lastSeenBatchMs,
          "lastSeenBatchMs",
          o.lastSeenBatchMs,
        ),
        { ...TTL, default: 1_000 },
      ),
    },
    joinPurge: {
      intervalMs: numberOption(
        choose(
          "joinPurge.intervalMs",
          o.joinPurge?.intervalMs,
          "joinPurgeIntervalMs",
          o.joinPurgeIntervalMs,
        ),
        { ...TTL, default: 3_600_000 },
      ),
      expiredRetentionMs: numberOption(
        choose(
          "joinPurge.expiredRetentionMs",
          o.joinPurge?.expiredRetentionMs,
          "expiredJoinRetentionMs",
          o.expiredJoinRetentionMs,
        ),
        { min: 0, default: 86_400_000 },
      ),
    },
    admin: {
      isAdmin: choose("admin.isAdmin", o.admin?.isAdmin, "isAdmin", o.isAdmin).value,
      claim: claim === null ? undefined : (claim ?? "admin"),
      statsIntervalMs: numberOption(
        choose(
          "admin.statsIntervalMs",
          o.admin?.statsIntervalMs,
          "adminStatsIntervalMs",
          o.adminStatsIntervalMs,
        ),
        { ...INTERVAL, default: 10_000 },
      ),
    },
    heartbeatMs: o.heartbeatMs ?? o.transport.heartbeatMs ?? 25_000,
    multiDevice: o.multiDevice ?? "multi",
    allowedBodyTypes: new Set(o.allowedBodyTypes ?? ALL_BODY_TYPES),
    mentionAllByMembers: o.mentionAll === "members",
    forwardShowsSender: o.forwardShowsSender ?? true,
    rateLimitByUser: o.rateLimitScope === "user",
  };
}
