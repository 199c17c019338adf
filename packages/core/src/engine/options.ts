import type { Authenticator } from "../contracts/authenticator.js";
import type { Broker } from "../contracts/broker.js";
import type { ImHooks } from "../contracts/hooks.js";
import type { Presence } from "../contracts/presence.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import type { Storage } from "../contracts/storage.js";
import type { Transport } from "../contracts/transport.js";
import type { MessageBodyType } from "../protocol/schemas.js";

/**
 * Where the engine writes what it notices, in pino's argument order: structured fields first, then
 * the message. A pino logger, Fastify's `app.log` or any logger built on pino fits as it is.
 * Defaults to `console` (the message first, then the fields).
 */
export interface ImLogger {
  /** Something worth knowing. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Something that may need attention. */
  warn(fields: Record<string, unknown>, message: string): void;
  /** A failure. */
  error(fields: Record<string, unknown>, message: string): void;
}

/** How many sessions a user may hold at once. */
export type MultiDevicePolicy =
  /** Any number of sessions per user. */
  | "multi"
  /** One session per device class; a newer one replaces the older (close 4409), on any node. */
  | "one-per-device-class";

/** Every limit of the engine. Each has a default. */
export interface ImLimits {
  /**
   * Largest message body, in bytes of its JSON.
   * @default 16384
   */
  maxBodyBytes: number;
  /**
   * Largest group, owner included.
   * @default 500
   */
  maxGroupSize: number;
  /**
   * How long a join request stays pending before it expires, in ms.
   * @default 604800000 (7 days)
   */
  joinRequestTtlMs: number;
  /**
   * How long an invitation stays pending before it expires, in ms.
   * @default 604800000 (7 days)
   */
  invitationTtlMs: number;
  /**
   * How long an invite link works when its creator does not say, in ms; also the longest a creator may ask for.
   * @default 604800000 (7 days)
   */
  inviteLinkTtlMs: number;
  /**
   * Most pending join requests one user may have open at once, over every group; one more is refused
   * with `rate_limited`.
   * @default 20
   */
  maxPendingJoinRequestsPerUser: number;
  /**
   * Longest message of a join request or an invitation, in characters (UTF-16 units).
   * @default 500
   */
  maxJoinMessageLength: number;
  /**
   * Longest group description, in characters (UTF-16 units); a longer one is refused with `too_large`.
   * @default 500
   */
  maxGroupDescriptionLength: number;
  /**
   * Longest group announcement, in characters (UTF-16 units); a longer one is refused with `too_large`.
   * @default 2000
   */
  maxGroupAnnouncementLength: number;
  /**
   * Longest group avatar URL, in characters; a longer one is refused with `too_large`.
   * @default 2048
   */
  maxGroupAvatarLength: number;
  /**
   * Most messages in one `sync` answer (a client may ask for fewer with `limit`).
   * @default 200
   */
  syncPageSize: number;
  /**
   * Most bytes of `message` frames in one `sync` answer: the answer stops before the
   * message that would pass it (it always carries at least one) and says `more: true`.
   * Before each answer the engine also waits until the connection has at most this
   * many bytes queued, so a client gets history no faster than it reads. Keep twice
   * this below the transport's high-water mark.
   * @default 262144 (256 KiB)
   */
  syncPageBytes: number;
  /**
   * Most `sync` frames of one session not answered yet, the one being answered
   * included (they are answered one at a time, in order); one more is refused
   * with `error rate_limited`.
   * @default 4
   */
  maxQueuedSyncs: number;
  /**
   * Most messages in one history page (the host's HTTP API uses it).
   * @default 100
   */
  historyPageSize: number;
  /**
   * How long after sending a message its sender may recall it, in ms.
   * @default 120000
   */
  recallWindowMs: number;
  /**
   * How long after sending a text message its sender may edit it, in ms (docs/protocol.md §13.2).
   * @default 900000
   */
  editWindowMs: number;
  /**
   * Most targets of one `forward` frame (docs/protocol.md §13.2); more is `too_large`.
   * @default 10
   */
  maxForwardTargets: number;
  /**
   * Most entries of one `acks` frame (docs/protocol.md §3.3); more is `too_large` and none of
   * them is applied. Announced in `ready` (`maxAcksPerFrame`) to clients that offer `ack-batch`.
   * @default 100
   */
  maxAcksPerFrame: number;
  /**
   * Most receipts in one `receipts` frame (docs/protocol.md §5.3): a connection's batch that
   * reaches it goes out at once, before its window ends.
   * @default 100
   */
  maxReceiptsPerFrame: number;
  /**
   * Forwarded copies (one per target) one user may make per `forwardWindowMs` on a node;
   * more is `rate_limited`, and nothing of that forward is stored.
   * @default 100
   */
  forwardsPerWindow: number;
  /**
   * The window of `forwardsPerWindow`, in ms.
   * @default 60000
   */
  forwardWindowMs: number;
  /**
   * How long the engine waits for a client's `ack` before pushing a message again, in ms.
   * @default 5000
   */
  ackTimeoutMs: number;
  /**
   * How many times a message is pushed to one session (first push included) before
   * the engine gives up and leaves it to `sync`.
   * @default 3
   */
  maxPushAttempts: number;
  /**
   * How long a connection may stay unauthenticated, in ms (then close 4408).
   * @default 10000
   */
  authTimeoutMs: number;
  /**
   * Frames a connection may send per `rateWindowMs` before `error rate_limited`.
   * @default 40
   */
  framesPerWindow: number;
  /**
   * The rate-limit window, in ms.
   * @default 1000
   */
  rateWindowMs: number;
  /**
   * Refused frames in a row after which the connection is closed with 4429.
   * @default 50
   */
  maxRateLimitStrikes: number;
  /**
   * How long before a token expires the engine sends `auth_expiring`, in ms.
   * @default 60000
   */
  authExpiringLeadMs: number;
  /**
   * Frames a connection may send while its `auth` is being checked (queued, then handled).
   * @default 32
   */
  maxFramesBeforeReady: number;
  /**
   * Most sessions one user may hold on one node (the transport caps handshake-authenticated
   * connections too; this also covers first-frame `auth`). Beyond it: close 1008.
   * @default 10
   */
  maxSessionsPerUser: number;
  /**
   * Most un-acked pushes tracked per session; beyond it pushes still go out but are not
   * re-pushed (they stay available to `sync`).
   * @default 1000
   */
  maxPendingPerSession: number;
  /**
   * Most conversation ids in one `sync` frame's `cursors`.
   * @default 10000
   */
  maxSyncCursors: number;
  /**
   * Deepest nesting of objects and arrays in a client frame (the frame object counts as 1,
   * its `body` as 2). Deeper frames get `bad_request` before they are parsed: a value nested
   * thousands deep would overflow the stack of whatever later walks it.
   * @default 32
   */
  maxJsonDepth: number;
  /**
   * Largest client frame, in UTF-8 bytes (so also the largest `custom` or `signal` `data`);
   * larger frames get `bad_request`. The WebSocket transport's `maxPayload` (64 KiB) closes
   * the connection with 1009 before this is reached; this bounds every other transport.
   * @default 65536
   */
  maxFrameBytes: number;
  /**
   * First messages a user may send, per {@link unsolicitedWindowMs}, to users they never
   * talked to (no cursor in their direct conversation). Beyond it: `error rate_limited`.
   * @default 30
   */
  newDirectConversationsPerWindow: number;
  /**
   * Calls a user may start (`signal` frames with a new `callId`) per {@link unsolicitedWindowMs}.
   * Beyond it: `error rate_limited`.
   * @default 20
   */
  callsPerWindow: number;
  /**
   * Users a user may add to groups (`groups.create`, `groups.addMembers`) per
   * {@link unsolicitedWindowMs} among those they never talked to. Beyond it the
   * call rejects with `rate_limited`.
   * @default 1000
   */
  strangerAddsPerWindow: number;
  /**
   * Contact requests a user may send per {@link unsolicitedWindowMs}
   * (`im.contacts.request`). Beyond it the call rejects with `rate_limited`.
   * @default 20
   */
  contactRequestsPerWindow: number;
  /**
   * The window of the four limits above, in ms. Counted per node.
   * @default 600000 (10 minutes)
   */
  unsolicitedWindowMs: number;
  /**
   * Most users one `presence_subscribe` may name; more is `too_large`.
   * @default 1000
   */
  maxPresenceSubscriptions: number;
  /**
   * User searches (`im.profiles.search`) one user may make per `profileSearchWindowMs` on a node;
   * more is `rate_limited`.
   * @default 20
   */
  profileSearchesPerWindow: number;
  /**
   * The window of `profileSearchesPerWindow`, in ms.
   * @default 60000
   */
  profileSearchWindowMs: number;
  /**
   * Most messages one `im.sendMany` (or one `POST /server/messages` batch) may hold; more is
   * `too_large` and nothing is stored (docs/protocol.md §14).
   * @default 1000
   */
  maxServerBatch: number;
  /**
   * Most recipients of one `im.broadcast`; more is `too_large` and nothing is stored.
   * @default 10000
   */
  maxBroadcastUsers: number;
  /**
   * How many messages of one `im.broadcast` are stored and delivered at once.
   * @default 16
   */
  broadcastConcurrency: number;
  /**
   * Longest reason of a suspension, a report or a report's resolution, in characters
   * (at most `MODERATION_STORE_LIMITS.maxTextLength`).
   * @default 500
   */
  maxModerationReasonLength: number;
  /**
   * Reports (`im.admin.report`) one user may make per `reportWindowMs` on a node; more is `rate_limited`.
   * @default 10
   */
  reportsPerWindow: number;
  /**
   * The window of `reportsPerWindow`, in ms.
   * @default 3600000 (one hour)
   */
  reportWindowMs: number;
}

/** The default of every limit. */
export const DEFAULT_LIMITS: Readonly<ImLimits> = Object.freeze({
  maxBodyBytes: 16_384,
  maxGroupSize: 500,
  joinRequestTtlMs: 7 * 24 * 3_600_000,
  invitationTtlMs: 7 * 24 * 3_600_000,
  inviteLinkTtlMs: 7 * 24 * 3_600_000,
  maxPendingJoinRequestsPerUser: 20,
  maxJoinMessageLength: 500,
  maxGroupDescriptionLength: 500,
  maxGroupAnnouncementLength: 2000,
  maxGroupAvatarLength: 2048,
  syncPageSize: 200,
  syncPageBytes: 256 * 1024,
  maxQueuedSyncs: 4,
  historyPageSize: 100,
  recallWindowMs: 120_000,
  editWindowMs: 900_000,
  maxForwardTargets: 10,
  maxAcksPerFrame: 100,
  maxReceiptsPerFrame: 100,
  forwardsPerWindow: 100,
  forwardWindowMs: 60_000,
  ackTimeoutMs: 5_000,
  maxPushAttempts: 3,
  authTimeoutMs: 10_000,
  framesPerWindow: 40,
  rateWindowMs: 1_000,
  maxRateLimitStrikes: 50,
  authExpiringLeadMs: 60_000,
  maxFramesBeforeReady: 32,
  maxSyncCursors: 10_000,
  maxSessionsPerUser: 10,
  maxPendingPerSession: 1_000,
  maxJsonDepth: 32,
  maxFrameBytes: 65_536,
  newDirectConversationsPerWindow: 30,
  callsPerWindow: 20,
  strangerAddsPerWindow: 1_000,
  contactRequestsPerWindow: 20,
  unsolicitedWindowMs: 600_000,
  maxPresenceSubscriptions: 1_000,
  profileSearchesPerWindow: 20,
  profileSearchWindowMs: 60_000,
  maxServerBatch: 1_000,
  maxBroadcastUsers: 10_000,
  broadcastConcurrency: 16,
  maxModerationReasonLength: 500,
  reportsPerWindow: 10,
  reportWindowMs: 3_600_000,
});

/**
 * The outbox relay (`options.relay`): the background loop that publishes stored messages and
 * changes the fast path missed (a crash between storing and publishing, a broker outage).
 */
export interface ImRelayOptions {
  /**
   * How often the relay looks for outbox entries the fast path missed, in ms.
   * @default 1000
   */
  intervalMs?: number;
  /**
   * Most outbox entries the relay claims at once.
   * @default 100
   */
  batchSize?: number;
  /**
   * How long a relay's claim on outbox entries holds, in ms (then another node may take them).
   * @default 30000
   */
  leaseMs?: number;
  /**
   * Published outbox entries are purged after this long, in ms (the purge runs every
   * minute, or sooner for a shorter retention).
   * @default 3600000 (one hour)
   */
  outboxRetentionMs?: number;
}

/**
 * One per-node cache (an entry of `options.caches`): how long an entry is trusted and
 * how many entries are kept, the least recently used evicted first. Each cache says what
 * `ttlMs: 0` means for it and what its defaults are.
 */
export interface ImCacheOptions {
  /** How long an entry is trusted, in ms. */
  ttlMs?: number;
  /** Most entries kept. */
  maxEntries?: number;
}

/** The group membership cache (`options.caches.group`). */
export interface ImGroupCacheOptions extends ImCacheOptions {
  /**
   * How long a node remembers that a group does not exist, in ms (0: not at all): spares the
   * store repeated lookups of an unknown group id (acks naming made-up groups). Creating a
   * group through the engine drops it on every node at once.
   * @default 2000
   */
  missingTtlMs?: number;
}

/** The per-node caches of the engine (`options.caches`). */
export interface ImCachesOptions {
  /**
   * Group membership. Changes made through the engine invalidate it on every node at once.
   * @default { ttlMs: 10000, maxEntries: 10000, missingTtlMs: 2000 } (entries are groups)
   */
  group?: ImGroupCacheOptions;
  /**
   * Relations between users (contacts, blocks, privacy policies). `ttlMs` bounds how long a
   * change made behind the engine's back (or whose broadcast was lost) takes to hold; changes
   * made through `im.contacts` drop the cached entries on every node at once. `ttlMs: 0`
   * turns the cache off.
   * @default { ttlMs: 10000, maxEntries: 100000 } (entries are user pairs, and as many privacy policies)
   */
  relation?: ImCacheOptions;
  /**
   * Recently delivered message ids, remembered to drop duplicates (broker redeliveries, relay
   * re-publishes). `ttlMs: 0`: until evicted. The default `ttlMs` matches the outbox
   * retention: the relay does not re-publish an entry older than that. Kept in two
   * generations (no per-message LRU bookkeeping): at most `maxEntries` ids, at least the newest
   * half of them, each for at least `ttlMs` unless evicted (and forgotten within two).
   * @default { ttlMs: 3600000, maxEntries: 100000 }
   */
  dedupe?: ImCacheOptions;
  /**
   * Users' conversation settings (mute for `onOffline`, the unread mark). Changes made on any
   * node drop the entry at once (broadcast).
   * @default { ttlMs: 10000, maxEntries: 100000 } (entries are (user, conversation) pairs)
   */
  settings?: ImCacheOptions;
  /**
   * Users' suspension state. `ttlMs` bounds how long a suspended user may still connect to
   * a node that missed the `suspension_changed` broadcast (suspensions made through
   * `im.admin` reach every node at once). `ttlMs: 0`: no cache.
   * @default { ttlMs: 10000, maxEntries: 100000 } (entries are users)
   */
  suspension?: ImCacheOptions;
}

/** How messages, receipts and read state reach their recipients (`options.delivery`). */
export interface ImDeliveryOptions {
  /**
   * Send `receipt` frames of kind `delivered` to the sender when a recipient acks: in direct
   * conversations only (`"direct"`), in every conversation (`"all"`), or never (`"none"`).
   * Read receipts are always sent.
   * @default "direct"
   */
  receipts?: "direct" | "all" | "none";
  /**
   * How long receipts for a connection that announced `receipt-batch` wait to be sent together in
   * one `receipts` frame, in ms (docs/protocol.md §5.3); a receipt waits at most this long. 0: the
   * node does not accept the capability, and every client gets `receipt` frames.
   * @default 20
   */
  receiptBatchMs?: number;
  /**
   * How long the answer to a direct `send` from a connection that announced `sent-batch` may wait
   * for the recipient's `delivered` receipt, so both reach the sender in one `receipts` frame, in
   * ms (docs/protocol.md §5.3). The answer goes out as soon as that receipt comes, with any other
   * frame to the connection, or after this long. Answers that expect no receipt (groups, notes
   * to self, `receipts: "none"`, a recipient a lone node knows is offline) wait at most the
   * shorter of this and `receiptBatchMs`. 0: the node does not accept `sent-batch`. An integer,
   * at most 10,000.
   * @default 100
   */
  sentHoldMs?: number;
  /**
   * Acks and reads are written in batches: one write per user and conversation per this many ms.
   * @default 20
   */
  cursorBatchMs?: number;
  /**
   * Mark a message's outbox entry sent only once `hooks.onOffline` resolved for it
   * (when some recipient was offline). A hook that rejects leaves the entry pending:
   * the relay delivers the message again (clients de-duplicate by id) and calls the
   * hook again, so a hook that records durably (the push notifier on a PostgreSQL or
   * SQLite queue) loses no notification to a crash. Off: the entry is marked at once
   * and the hook runs beside it. The send path never waits for the hook either way;
   * keep the hook well under the outbox grace period (2 s) or the relay re-drives it.
   * @default false
   */
  settleAfterOffline?: boolean;
  /**
   * Presence lookups made in the same event-loop turn (one per stored message
   * and per receipt) are merged into one `presence.nodesOf` call; a batch that
   * reaches this many distinct users is sent at once.
   * @default 5000
   */
  presenceBatchMaxUsers?: number;
}

/**
 * How the engine tracks who is online and tells others (`options.presenceTracking`; the
 * `presence` option is the adapter that stores it).
 */
export interface ImPresenceTrackingOptions {
  /**
   * How often this node proves it is alive to presence, in ms (keep it well under the
   * adapter's node TTL).
   * @default 10000
   */
  heartbeatMs?: number;
  /**
   * Also push `presence` frames to every user who shares a conversation when a user comes online
   * or goes offline, subscribed or not (clients that use `presence_subscribe` do not need it).
   * @default false
   */
  notifyPartners?: boolean;
  /**
   * Watching sessions a `presence` change is pushed to before the node yields the event loop.
   * @default 500
   */
  fanoutChunk?: number;
  /**
   * How many of a user's most recent conversations make its presence audience (who may watch
   * it and gets its `profile` frames), besides the `relatedUsers` hook.
   * @default 200
   */
  audienceConversations?: number;
  /**
   * How long last-seen writes on final disconnects wait to be written together, in ms.
   * @default 1000
   */
  lastSeenBatchMs?: number;
}

/**
 * The purge of expired join requests, invitations and invite links (`options.joinPurge`;
 * `storage.groupJoins.purgeExpired`; every node runs it, which is harmless).
 */
export interface ImJoinPurgeOptions {
  /**
   * How often the node deletes the join requests, invitations and invite links that expired
   * more than `expiredRetentionMs` ago, in ms. 0 turns the purge off. At most 2147483647 (a
   * timer's longest delay).
   * @default 3600000 (one hour)
   */
  intervalMs?: number;
  /**
   * How long a join request, invitation or invite link is kept past its expiry, in ms: until
   * the purge deletes it, using it is refused as `expired` rather than as unknown.
   * @default 86400000 (one day)
   */
  expiredRetentionMs?: number;
}

/** Who is an admin for `im.admin`, and the admin statistics (`options.admin`). */
export interface ImAdminOptions {
  /**
   * The application's admin check (for example a role in its user table). A principal is an
   * admin when this says so or its {@link ImAdminOptions.claim} claim is `true`.
   */
  isAdmin?: (userId: string) => boolean | Promise<boolean>;
  /**
   * The token claim that makes its holder an admin when it is `true`; null: no claim does.
   * @default "admin"
   */
  claim?: string | null;
  /**
   * How often a node measures and broadcasts its load for `im.admin.stats`, in ms.
   * @default 10000
   */
  statsIntervalMs?: number;
}

/**
 * Options of {@link createImServer}. The adapters and policies are top-level fields; the
 * tuning of each engine part is a group (`relay`, `caches`, `delivery`, `presenceTracking`,
 * `joinPurge`, `admin`, `limits`). The flat fields marked `@deprecated` are aliases of a
 * grouped field, still read: a grouped field wins over its alias, and both given with
 * different values is a `ConfigError`.
 */
export interface ImServerOptions {
  /**
   * Who may mention `all` in a group (docs/protocol.md §13.2): owners and admins, or every member.
   * In a direct conversation either participant may.
   * @default "managers"
   */
  mentionAll?: "managers" | "members";
  /**
   * Whether a forwarded copy names the original sender (`forwarded.from`, docs/protocol.md
   * §13.2). With false, recipients see only that it was forwarded, and from which message.
   * @default true
   */
  forwardShowsSender?: boolean;
  /** Carries frames to and from clients (`@lucky-im/transport-ws`, or the in-memory transport in tests). */
  transport: Transport;
  /** Verifies tokens (`@lucky-im/auth`, or your own). */
  authenticator: Authenticator;
  /**
   * This node's id, unique in the cluster.
   * @default a generated `n_...` id
   */
  nodeId?: string;
  /**
   * Messages, cursors, groups and the outbox.
   * @default in-memory storage (data is lost when the process ends)
   */
  storage?: Storage;
  /**
   * Delivery between nodes.
   * @default an in-memory broker (one process)
   */
  broker?: Broker;
  /**
   * Which node holds which user's sessions.
   * @default in-memory presence (one process)
   */
  presence?: Presence;
  /**
   * Counts frames per connection (key `conn:<id>`). Asked about each frame as it arrives (a
   * limiter that batches its calls answers a burst together); frames are handled in order.
   * @default an in-process fixed window per connection: `limits.framesPerWindow` per `limits.rateWindowMs`
   */
  rateLimiter?: RateLimiter;
  /**
   * What an external `rateLimiter` counts: each connection (`"connection"`), or each user across
   * all of their connections (`"user"`: with a shared limiter such as the Redis one, the limit
   * then holds across nodes). The engine's own counter (no `rateLimiter`) is per connection.
   * @default "connection"
   */
  rateLimitScope?: "connection" | "user";
  /** Hooks of the host application. */
  hooks?: ImHooks;
  /** Limits; each field has its own default (see {@link ImLimits}). */
  limits?: Partial<ImLimits>;
  /** The outbox relay; each field has its own default (see {@link ImRelayOptions}). */
  relay?: ImRelayOptions;
  /** The per-node caches; each has its own defaults (see {@link ImCachesOptions}). */
  caches?: ImCachesOptions;
  /** Delivery of messages, receipts and read state (see {@link ImDeliveryOptions}). */
  delivery?: ImDeliveryOptions;
  /** Tracking who is online (see {@link ImPresenceTrackingOptions}). */
  presenceTracking?: ImPresenceTrackingOptions;
  /** The purge of expired join tickets and invite links (see {@link ImJoinPurgeOptions}). */
  joinPurge?: ImJoinPurgeOptions;
  /** Admins and admin statistics (see {@link ImAdminOptions}). */
  admin?: ImAdminOptions;
  /**
   * The heartbeat interval announced in `ready`.
   * @default the transport's `heartbeatMs`, else 25000
   */
  heartbeatMs?: number;
  /**
   * Multi-device policy.
   * @default "multi"
   */
  multiDevice?: MultiDevicePolicy;
  /**
   * Message body types the server accepts.
   * @default every type of the protocol
   */
  allowedBodyTypes?: readonly MessageBodyType[];
  /** Where the engine logs. @default console */
  logger?: ImLogger;
  /** @deprecated Use `delivery.settleAfterOffline`. */
  settleAfterOffline?: boolean;
  /** @deprecated Use `presenceTracking.notifyPartners`. */
  presenceEvents?: boolean;
  /** @deprecated Use `delivery.receipts`. */
  deliveryReceipts?: "direct" | "all" | "none";
  /** @deprecated Use `presenceTracking.heartbeatMs`. */
  presenceHeartbeatMs?: number;
  /** @deprecated Use `relay.intervalMs`. */
  relayIntervalMs?: number;
  /** @deprecated Use `relay.batchSize`. */
  relayBatchSize?: number;
  /** @deprecated Use `relay.leaseMs`. */
  relayLeaseMs?: number;
  /** @deprecated Use `delivery.cursorBatchMs`. */
  cursorBatchMs?: number;
  /** @deprecated Use `delivery.receiptBatchMs`. */
  receiptBatchMs?: number;
  /** @deprecated Use `relay.outboxRetentionMs`. */
  outboxRetentionMs?: number;
  /** @deprecated Use `joinPurge.intervalMs`. */
  joinPurgeIntervalMs?: number;
  /** @deprecated Use `joinPurge.expiredRetentionMs`. */
  expiredJoinRetentionMs?: number;
  /** @deprecated Use `caches.group.ttlMs`. */
  groupCacheMs?: number;
  /** @deprecated Use `caches.group.maxEntries`. */
  groupCacheSize?: number;
  /** @deprecated Use `caches.relation.ttlMs`. */
  relationCacheMs?: number;
  /** @deprecated Use `caches.relation.maxEntries`. */
  relationCacheSize?: number;
  /** @deprecated Use `caches.dedupe.maxEntries`. */
  dedupeCacheSize?: number;
  /** @deprecated Use `caches.dedupe.ttlMs`. */
  dedupeCacheMs?: number;
  /** @deprecated Use `delivery.presenceBatchMaxUsers`. */
  presenceBatchMaxUsers?: number;
  /** @deprecated Use `presenceTracking.fanoutChunk`. */
  presenceFanoutChunk?: number;
  /** @deprecated Use `presenceTracking.audienceConversations`. */
  presenceAudienceConversations?: number;
  /** @deprecated Use `presenceTracking.lastSeenBatchMs`. */
  lastSeenBatchMs?: number;
  /** @deprecated Use `caches.settings.ttlMs`. */
  settingsCacheMs?: number;
  /** @deprecated Use `caches.settings.maxEntries`. */
  settingsCacheSize?: number;
  /** @deprecated Use `admin.isAdmin`. */
  isAdmin?: (userId: string) => boolean | Promise<boolean>;
  /** @deprecated Use `admin.claim`. */
  adminClaim?: string | null;
  /** @deprecated Use `caches.suspension.ttlMs`. */
  suspensionCacheMs?: number;
  /** @deprecated Use `caches.suspension.maxEntries`. */
  suspensionCacheSize?: number;
  /** @deprecated Use `admin.statsIntervalMs`. */
  adminStatsIntervalMs?: number;
}
