import { EventEmitter } from "eventemitter3";
import type { Broker } from "../contracts/broker.js";
import type { Presence } from "../contracts/presence.js";
import type { Transport } from "../contracts/transport.js";
import { type ConversationSummary, parseConversationId } from "../domain/conversation.js";
import type { ControlMessage } from "../domain/envelope.js";
import type { Message } from "../domain/message.js";
import type { PinnedMessage, ReactionSummary, SearchPage } from "../domain/message-change.js";
import { ImError } from "../errors.js";
import { createMemoryBroker, createMemoryPresence, createMemoryStorage } from "../memory/index.js";
import { createMemoryRateLimiter } from "../memory/memory-rate-limiter.js";
import { CloseCode } from "../protocol/close-codes.js";
import { withBrokerRuntime } from "../runtime/broker-runtime.js";
import { withPresenceRuntime } from "../runtime/presence-runtime.js";
import {
  type RuntimeRateLimiter,
  withRateLimiterRuntime,
} from "../runtime/rate-limiter-runtime.js";
import { type RuntimeStorage, withStorageRuntime } from "../runtime/storage-runtime.js";
import { newId } from "../util/ids.js";
import type { AdminOperations } from "./admin-operations.js";
import { AdminService } from "./admin-service.js";
import { ChangeSettlement } from "./change-settlement.js";
import { ConnectionLifecycle } from "./connection-lifecycle.js";
import { consoleLogger } from "./console-logger.js";
import type { ContactOperations } from "./contact-operations.js";
import { ContactService } from "./contact-service.js";
import type { ConversationSettingsOperations } from "./conversation-settings-operations.js";
import { ConversationSettingsService } from "./conversation-settings-service.js";
import { CursorWrites } from "./cursor-writes.js";
import { Delivery } from "./delivery.js";
import type { EngineCore } from "./engine-core.js";
import { FoldingErrorReporter } from "./error-reporter.js";
import type { ImServerEvents } from "./events.js";
import { GroupCache } from "./group-cache.js";
import type { GroupOperations } from "./group-operations.js";
import { GroupService } from "./group-service.js";
import { InflightTasks } from "./inflight-tasks.js";
import { type MessageSearchOptions, searchMessages } from "./message-search.js";
import { MessageSettlement } from "./message-settlement.js";
import { NodeStatsBoard } from "./node-stats-board.js";
import type { ImLimits, ImLogger, ImServerOptions, MultiDevicePolicy } from "./options.js";
import { OutboxRelay } from "./outbox-relay.js";
import { PeriodicTask } from "./periodic-task.js";
import { ConversationPresenceAudience } from "./presence-audience.js";
import { PresenceEvents } from "./presence-events.js";
import { PresenceSubscriptions } from "./presence-subscriptions.js";
import type { ProfileOperations } from "./profile-operations.js";
import { ProfileService } from "./profile-service.js";
import { RelationCache } from "./relation-cache.js";
import { SessionReplies } from "./replies.js";
import { resolveServerConfig } from "./resolved-config.js";
import {
  type BroadcastInput,
  type BroadcastOutcome,
  checkServerSend,
  type ServerSendInput,
  type ServerSendOutcome,
  type ServerSendResult,
  serverBroadcast,
  serverSendMany,
  submitServerSend,
} from "./server-send.js";
import { SessionRegistry } from "./session-registry.js";
import { SettingsCache } from "./settings-cache.js";
import { emptyStats, type ImServerStats } from "./stats.js";
import { SuspensionCache } from "./suspension-cache.js";
import { UnsolicitedLimits } from "./unsolicited-limits.js";

/** Readiness of each dependency, for `/readyz`. */
export interface ImServerHealth {
  /** True when the node is running and storage, broker and presence all answer. */
  ok: boolean;
  /** The storage answers. */
  storage: boolean;
  /** The broker is connected. */
  broker: boolean;
  /** Presence answers. */
  presence: boolean;
}

/** A page of history, newest first. */
export interface HistoryPage {
  /** The messages of this page, newest first. */
  messages: Message[];
  /** True when older messages remain. */
  more: boolean;
  /** The reactions of the page's messages, aggregated, with whether the reader reacted (§13.5). */
  reactions: ReactionSummary[];
}

/**
 * A Lucky IM server node: the protocol engine over a transport and adapters.
 * Create it with {@link createImServer}.
 */
export class ImServer extends EventEmitter<ImServerEvents> {
  /** This node's id. */
  readonly nodeId: string;
  /** Group operations for the host application. */
  readonly groups: GroupOperations;
  /** Contacts, contact requests, blocks and privacy policies for the host application. */
  readonly contacts: ContactOperations;
  /**
   * The storage this node uses (the host's HTTP API reads from it), in its runtime
   * wrapper (see {@link withStorageRuntime}).
   */
  readonly storage: RuntimeStorage;
  /** Users' profiles and user search, for the host application. */
  readonly profiles: ProfileOperations;
  /** Users' own conversation settings (pin, mute, archive, mark unread), for the host application. */
  readonly conversationSettings: ConversationSettingsOperations;
  /** Admin and moderation: suspensions, forced logouts, removals, stats, reports and the audit log. */
  readonly admin: AdminOperations;

  private readonly core: EngineCore;
  private readonly transport: Transport;
  private readonly connections: ConnectionLifecycle;
  private readonly settlement: MessageSettlement;
  private readonly changeSettlement: ChangeSettlement;
  private readonly cursorWrites: CursorWrites;
  private readonly tasks = new InflightTasks();
  private readonly relay: OutboxRelay;
  /** Deletes expired join tickets and invite links. */
  private readonly joinPurge: PeriodicTask;
  private readonly presenceEvents: PresenceEvents;
  private readonly settingsCache: SettingsCache;
  private readonly suspensions: SuspensionCache;
  private readonly statsBoard: NodeStatsBoard;
  private readonly adminStatsIntervalMs: number;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  /** The host's limiter, closed with the node. */
  private readonly rateLimiter: RuntimeRateLimiter | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private stopOutboxWake: (() => Promise<void> | void) | undefined;
  private readonly presenceHeartbeatMs: number;
  private state: "new" | "starting" | "running" | "closing" | "closed" = "new";
  private closing: Promise<void> | undefined;

  /**
   * The composition root: builds the engine's modules from the options and hands
   * each its collaborators. Prefer {@link createImServer}.
   */
  constructor(options: ImServerOptions) {
    super();
    // Every setting below comes from here: grouped options over their deprecated aliases.
    const config = resolveServerConfig(options);
    const limits = config.limits;
    const logger: ImLogger = options.logger ?? consoleLogger;
    this.nodeId = options.nodeId ?? newId("n");
    this.transport = options.transport;
    // Every adapter in its runtime wrapper: idempotent close, `unavailable` after close,
    // optional methods filled (a no-op for the ones already wrapped).
    const storage = withStorageRuntime(options.storage ?? createMemoryStorage());
    this.storage = storage;
    const broker: Broker = withBrokerRuntime(options.broker ?? createMemoryBroker());
    const presence: Presence = withPresenceRuntime(options.presence ?? createMemoryPresence());
    // Without a host limiter the engine counts each session's frames in a fixed window
    // itself (what the in-memory limiter would do under the key `conn:<session id>`),
    // with no promise per frame.
    const rateLimiter = options.rateLimiter && withRateLimiterRuntime(options.rateLimiter);
    this.rateLimiter = rateLimiter;
    this.presenceHeartbeatMs = config.presenceTracking.heartbeatMs;
    const stats = emptyStats();
    const errors = new FoldingErrorReporter(this, logger);
    const registry = new SessionRegistry();
    const groupCache = new GroupCache(storage.groups, {
      ttlMs: config.caches.group.ttlMs,
      maxGroups: config.caches.group.maxEntries,
      missingTtlMs: config.caches.group.missingTtlMs,
    });
    const delivery = new Delivery({
      nodeId: this.nodeId,
      presence,
      localOnly: options.presence === undefined,
      broker,
      registry,
      stats,
      ackTimeoutMs: limits.ackTimeoutMs,
      maxPushAttempts: limits.maxPushAttempts,
      maxPendingPerSession: limits.maxPendingPerSession,
      dedupeCacheSize: config.caches.dedupe.maxEntries,
      dedupeCacheMs: config.caches.dedupe.ttlMs,
      presenceBatchMaxUsers: config.delivery.presenceBatchMaxUsers,
      receiptBatchMs: config.delivery.receiptBatchMs,
      sentHoldMs: config.delivery.sentHoldMs,
      deliveredInDirect: config.delivery.receipts !== "none",
      maxReceiptsPerFrame: limits.maxReceiptsPerFrame,
      reportError: (error, context) => errors.report(error, context),
      onDelivered: (message, userId, latencyMs) =>
        this.emit("delivered", message, userId, latencyMs),
    });
    const hooks = options.hooks ?? {};
    this.settingsCache = new SettingsCache(storage.conversationSettings, {
      ttlMs: config.caches.settings.ttlMs,
      maxEntries: config.caches.settings.maxEntries,
    });
    const conversationSettings = new ConversationSettingsService({
      store: storage.conversationSettings,
      cache: this.settingsCache,
      broker,
      delivery,
      errors,
    });
    this.conversationSettings = conversationSettings;
    const relations = new RelationCache(storage.contacts, {
      ttlMs: config.caches.relation.ttlMs,
      maxPairs: config.caches.relation.maxEntries,
    });
    const presenceAudience = new ConversationPresenceAudience({
      cursors: storage.cursors,
      groups: groupCache,
      hooks,
      maxConversations: config.presenceTracking.audienceConversations,
      relations,
    });
    this.profiles = new ProfileService({
      profiles: storage.profiles,
      audience: presenceAudience,
      delivery,
      searchLimiter: createMemoryRateLimiter({
        points: limits.profileSearchesPerWindow,
        durationMs: limits.profileSearchWindowMs,
        keyPrefix: "profile_search",
      }),
      errors,
    });
    this.presenceEvents = new PresenceEvents({
      partnerFrames: config.presenceTracking.notifyPartners,
      presence,
      profiles: storage.profiles,
      broker,
      audience: presenceAudience,
      delivery,
      lastSeenBatchMs: config.presenceTracking.lastSeenBatchMs,
      errors,
    });
    this.settlement = new MessageSettlement({
      delivery,
      outbox: storage.outbox,
      hooks,
      errors,
      mutedAmong: (conversationId, userIds) =>
        conversationSettings.mutedAmong(conversationId, userIds),
      settleAfterOffline: config.delivery.settleAfterOffline,
    });
    this.changeSettlement = new ChangeSettlement({
      delivery,
      cursors: storage.cursors,
      outbox: storage.outbox,
      errors,
    });
    this.cursorWrites = new CursorWrites({
      cursors: storage.cursors,
      groupCache,
      delivery,
      deliveryReceipts: config.delivery.receipts,
      batchMs: config.delivery.cursorBatchMs,
      errors,
    });
    const core: EngineCore = {
      nodeId: this.nodeId,
      limits,
      storage,
      presence,
      broker,
      hooks,
      delivery,
      registry,
      groupCache,
      relations,
      stats,
      logger,
      events: this,
      heartbeatMs: config.heartbeatMs,
      multiDevice: config.multiDevice,
      allowedBodyTypes: config.allowedBodyTypes,
      unsolicited: new UnsolicitedLimits(limits, storage),
      replies: new SessionReplies(stats, errors),
      errors,
      messages: this.settlement,
      changes: this.changeSettlement,
      mentionAllByMembers: config.mentionAllByMembers,
      forwardShowsSender: config.forwardShowsSender,
      forwardLimiter: createMemoryRateLimiter({
        points: limits.forwardsPerWindow,
        durationMs: limits.forwardWindowMs,
        keyPrefix: "forward",
      }),
      cursorWrites: this.cursorWrites,
      tasks: this.tasks,
      presenceAudience,
      presenceSubscriptions: new PresenceSubscriptions(stats, config.presenceTracking.fanoutChunk),
      conversationSettings,
    };
    this.core = core;
    this.suspensions = new SuspensionCache(storage.moderation, {
      ttlMs: config.caches.suspension.ttlMs,
      maxEntries: config.caches.suspension.maxEntries,
    });
    this.adminStatsIntervalMs = config.admin.statsIntervalMs;
    this.statsBoard = new NodeStatsBoard(this.nodeId, this.adminStatsIntervalMs, () => ({
      connections: this.connections.size,
      sessions: registry.size,
      messagesStored: stats.messagesStored,
    }));
    this.connections = new ConnectionLifecycle(core, {
      suspensions: this.suspensions,
      authenticator: options.authenticator,
      rateLimiter,
      rateLimitByUser: config.rateLimitByUser,
      jsonLimits: { maxDepth: limits.maxJsonDepth, maxBytes: limits.maxFrameBytes },
      presenceEvents: this.presenceEvents,
    });
    this.groups = new GroupService(core);
    this.contacts = new ContactService(core);
    const groupService = this.groups as GroupService;
    this.admin = new AdminService(core, {
      isAdmin: config.admin.isAdmin,
      adminClaim: config.admin.claim,
      suspensions: this.suspensions,
      statsBoard: this.statsBoard,
      reportLimiter: createMemoryRateLimiter({
        points: limits.reportsPerWindow,
        durationMs: limits.reportWindowMs,
        keyPrefix: "report",
      }),
      kick: (userId, code, reason) => this.kick(userId, { code, reason }),
      removeMember: (groupId, adminId, userId) =>
        groupService.removeAsServiceAdmin(groupId, adminId, userId),
    });
    this.relay = new OutboxRelay({
      outbox: storage.outbox,
      // Messages and changes (docs/protocol.md §13.1): both are stored promises to publish.
      kinds: ["message", "change"],
      deliver: async (entry) => {
        if (entry.kind !== "change") {
          return this.settlement.dispatch(entry.message, entry.participants, undefined);
        }
        // An entry whose change is gone has nothing left to publish.
        if (!entry.change) return true;
        return this.changeSettlement.dispatch(entry.change, entry.participants, undefined);
      },
      intervalMs: config.relay.intervalMs,
      retentionMs: config.relay.outboxRetentionMs,
      batchSize: config.relay.batchSize,
      leaseMs: config.relay.leaseMs,
      reportError: (error, context) => errors.report(error, context),
      onRelayed: (count) => {
        stats.relayed += count;
      },
    });
    const joinRetentionMs = config.joinPurge.expiredRetentionMs;
    this.joinPurge = new PeriodicTask({
      intervalMs: config.joinPurge.intervalMs,
      run: () => storage.groupJoins.purgeExpired(Date.now() - joinRetentionMs),
      reportError: (error) => errors.report(error, "group join purge"),
    });
  }

  /** The limits in force. */
  get limits(): Readonly<ImLimits> {
    return this.core.limits;
  }

  /** The multi-device policy in force. */
  get multiDevice(): MultiDevicePolicy {
    return this.core.multiDevice;
  }

  /**
   * Starts the node: consumes its broker queue, proves liveness to presence,
   * starts the outbox relay and the push retries, then accepts connections.
   */
  async start(): Promise<void> {
    if (this.state !== "new")
      throw new ImError("conflict", "[lucky-im] [core] start() was called before");
    this.state = "starting";
    this.connections.startAccepting();
    const { broker, presence, delivery } = this.core;
    await broker.subscribe(this.nodeId, async (envelope) => {
      delivery.handleEnvelope(envelope);
    });
    await broker.subscribeControl(this.nodeId, (message, from) => this.onControl(message, from));
    await presence.heartbeat(this.nodeId);
    this.heartbeatTimer = setInterval(() => {
      presence
        .heartbeat(this.nodeId)
        .catch((error: unknown) => this.core.errors.report(error, "presence heartbeat"));
    }, this.presenceHeartbeatMs);
    this.heartbeatTimer.unref?.();
    this.publishStats();
    this.statsTimer = setInterval(() => this.publishStats(), this.adminStatsIntervalMs);
    this.statsTimer.unref?.();
    delivery.start();
    this.relay.start();
    this.joinPurge.start();
    this.stopOutboxWake = this.storage.outboxNotifications(() => this.relay.wake());
    await this.transport.listen(this.connections.listener());
    this.state = "running";
  }

  /**
   * Drains the node: stops accepting, closes every connection with 1001 (clients
   * reconnect elsewhere), waits for in-flight sends to be stored and published,
   * flushes batched writes, leaves presence and closes the adapters. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  /** Closes every session of a user on every node (for example after its tokens were revoked). */
  async kick(userId: string, options: { code?: number; reason?: string } = {}): Promise<void> {
    const code = options.code ?? CloseCode.unauthorized;
    const reason = options.reason ?? "session revoked";
    try {
      await this.core.broker.broadcast({ type: "kick_user", userId, code, reason });
    } catch (error) {
      this.core.errors.report(error, "broadcasting a kick");
      this.core.delivery.kickLocally(userId, code, reason);
    }
  }

  /**
   * A user's conversations (groups without messages included) with unread counts, last
   * message and the user's `settings`, pinned first (newest pin first) then newest activity
   * first, with the other participants' cursors (`peerReadSeq`, `peerDeliveredSeq`): read
   * state a new device cannot have learnt from receipts. Paged: `offset` skips that many.
   */
  async conversations(
    userId: string,
    options?: { limit?: number; offset?: number },
  ): Promise<ConversationSummary[]> {
    const { cursors } = this.core.storage;
    const summaries = await cursors.conversations(userId, options);
    if (summaries.length === 0) return summaries;
    const mentions = await this.core.storage.changes.mentionCounts(
      userId,
      summaries.map((s) => s.conversationId),
    );
    const peers = new Map(
      (
        await cursors.peerCursors(
          userId,
          summaries.map((s) => s.conversationId),
        )
      ).map((p) => [p.conversationId, p]),
    );
    for (const summary of summaries) {
      const peer = peers.get(summary.conversationId);
      summary.peerReadSeq = peer?.readSeq ?? 0;
      summary.peerDeliveredSeq = peer?.deliveredSeq ?? 0;
      summary.mentions = mentions.get(summary.conversationId) ?? 0;
    }
    return summaries;
  }

  /**
   * A page of a conversation's history, newest first, for a user who is in it
   * (else `forbidden`). `beforeSeq` is exclusive; `limit` is capped by `limits.historyPageSize`.
   * A direct conversation that names the user but has no message yet is an empty page; a
   * group member sees nothing from before they joined, and nobody sees the messages they
   * deleted for themselves (`delete_for_me`) or cleared (`clear`).
   */
  async history(
    userId: string,
    conversationId: string,
    options: { beforeSeq?: number; limit?: number } = {},
  ): Promise<HistoryPage> {
    const parsed = parseConversationId(conversationId);
    const [cursor] = await this.core.storage.cursors.cursors(userId, [conversationId]);
    if (!cursor) {
      // Opening a new direct conversation reads its history before the first message.
      if (parsed.kind === "direct" && parsed.userIds.includes(userId)) {
        return { messages: [], more: false, reactions: [] };
      }
      throw new ImError("forbidden", "not a participant of this conversation");
    }
    const limit = Math.max(
      1,
      Math.min(options.limit ?? this.core.limits.historyPageSize, this.core.limits.historyPageSize),
    );
    const beforeSeq = options.beforeSeq ?? cursor.lastSeq + 1;
    const joinedSeq = cursor.joinedSeq ?? 0;
    // The user's own history: messages they deleted for themselves or cleared are not in it.
    const page = await this.core.storage.messages.range(conversationId, {
      beforeSeq,
      limit,
      viewer: userId,
    });
    const messages = joinedSeq > 0 ? page.filter((m) => m.seq > joinedSeq) : page;
    const oldest = messages.at(-1)?.seq;
    const reactions =
      messages.length > 0
        ? await this.core.storage.changes.reactions(
            messages.map((m) => m.messageId),
            userId,
          )
        : [];
    return {
      messages,
      // Nothing to page back to below the join point, nor below what a store with retention keeps.
      more:
        oldest !== undefined &&
        oldest > Math.max(joinedSeq, (cursor.oldestSeq ?? 1) - 1) + 1 &&
        messages.length === limit,
      reactions,
    };
  }

  /**
   * Full-text search over the conversations `userId` is in now, newest first, paged by the
   * last hit (docs/protocol.md §13.5); recalled and deleted-for-me messages never match.
   * Naming a conversation the user is not in is `forbidden`.
   */
  search(userId: string, options: MessageSearchOptions): Promise<SearchPage> {
    return searchMessages(this.core.storage, userId, options);
  }

  /**
   * The pinned messages of a conversation `userId` is in, newest pin first (else `forbidden`);
   * for a late group member, only those after they joined (the earlier ones are hidden from
   * them, as in history).
   */
  async pins(userId: string, conversationId: string): Promise<PinnedMessage[]> {
    const [cursor] = await this.core.storage.cursors.cursors(userId, [conversationId]);
    if (!cursor) throw new ImError("forbidden", "not a participant of this conversation");
    const pins = await this.core.storage.changes.pins(conversationId);
    const joinedSeq = cursor.joinedSeq ?? 0;
    return joinedSeq > 0 ? pins.filter((pin) => pin.seq > joinedSeq) : pins;
  }

  /**
   * Sends a message from the application's backend (docs/protocol.md §14), on any node: as
   * the user `from`, or, without `from`, as the application itself (`from` is
   * `SYSTEM_SENDER_ID` and the `message` frame carries `system: true`). The same path as a
   * client's `send`: stored with its outbox entry in one call, then delivered to every
   * recipient's sessions on every node (offline recipients get it on `sync`); once this
   * resolves, the message is never lost. Sending the same `from` and `cid` again returns the
   * message stored the first time (`created: false`) and delivers nothing again.
   *
   * Rejects with an `ImError`: `bad_request` (malformed input, empty body, bad `cid`, a body
   * type not accepted), `too_large` (over `limits.maxBodyBytes`), `not_found` (unknown group),
   * `forbidden` (as a user: blocked, not a member, muted; or `beforeSend` refused),
   * `unavailable` (the node is closing, or the store failed: retry with the same `cid`).
   *
   * @example
   * ```ts
   * // An order update from the shop, shown as a system notice:
   * const { message } = await im.send({ to: "alice", body: { type: "text", text: "Your order shipped" }, cid: "order-42-shipped" });
   * // A bot that is a user of its own:
   * await im.send({ from: "weather-bot", groupId: "g_team", body: { type: "text", text: "Rain at 3 pm" }, cid: "wx-2026-12-07" });
   * ```
   */
  send(input: ServerSendInput): Promise<ServerSendResult> {
    return this.serverWork(async () =>
      submitServerSend(this.core, checkServerSend(this.core, input)),
    );
  }

  /**
   * Sends a batch of up to `limits.maxServerBatch` messages (see {@link ImServer.send}), in
   * order, one at a time. A malformed batch or message rejects with `bad_request` or
   * `too_large` and stores nothing; otherwise each message has its own outcome (refusals
   * such as an unknown group do not stop the others). Retry failed ones with the same `cid`.
   */
  sendMany(inputs: readonly ServerSendInput[]): Promise<ServerSendOutcome[]> {
    return this.serverWork(() => serverSendMany(this.core, inputs));
  }

  /**
   * Sends one direct message to each of `userIds` (up to `limits.maxBroadcastUsers`),
   * from `from` or the application itself, `limits.broadcastConcurrency` at a time. Each
   * recipient's message has the `cid` `<cid>/<userId>`: repeating the broadcast sends
   * nothing twice. Bad input rejects and stores nothing; refusals are per recipient.
   *
   * @example
   * ```ts
   * const outcomes = await im.broadcast({ userIds: ["alice", "bob"], body: { type: "text", text: "Maintenance at 22:00" }, cid: "maint-1207" });
   * const failed = outcomes.filter((o) => !o.ok);
   * ```
   */
  broadcast(input: BroadcastInput): Promise<BroadcastOutcome[]> {
    return this.serverWork(() => serverBroadcast(this.core, input));
  }

  /** Runs a server-side send while the node is open, tracked so that `close()` waits for it. */
  private serverWork<T>(work: () => Promise<T>): Promise<T> {
    if (this.state === "closing" || this.state === "closed") {
      return Promise.reject(
        new ImError("unavailable", "this node is closing: send through another node"),
      );
    }
    return this.tasks.track(work());
  }

  /** Whether each dependency answers, for readiness probes. */
  async health(): Promise<ImServerHealth> {
    // A probe that rejects counts as down, and says why on the `error` event (or the log).
    const check = (what: string, probe: () => Promise<boolean>) =>
      probe().catch((error: unknown) => {
        this.core.errors.report(error, `health check of ${what}`);
        return false;
      });
    const [storage, broker, presence] = await Promise.all([
      check("storage", () => this.core.storage.ping()),
      check("broker", () => this.core.broker.ping()),
      check("presence", () => this.core.presence.ping()),
    ]);
    return {
      ok: storage && broker && presence && this.state === "running",
      storage,
      broker,
      presence,
    };
  }

  /** A snapshot of this node's counters. */
  stats(): ImServerStats {
    return {
      ...this.core.stats,
      connections: this.connections.size,
      sessions: this.core.registry.size,
    };
  }

  private onControl(message: ControlMessage, fromNodeId: string): void {
    switch (message.type) {
      case "kick_user":
        this.core.delivery.kickLocally(
          message.userId,
          message.code,
          message.reason,
          undefined,
          message.exceptSessionId,
        );
        return;
      case "group_changed":
        this.core.groupCache.invalidate(message.groupId);
        return;
      case "relation_changed":
        this.core.relations.invalidatePair(message.userIds[0], message.userIds[1]);
        this.dropBlockedWatch(message.userIds[0], message.userIds[1]);
        return;
      case "privacy_changed":
        this.core.relations.invalidatePrivacy(message.userId);
        return;
      case "presence_changed":
        this.core.presenceSubscriptions
          .notify(message.userId, message.online, message.lastSeen)
          .catch((error: unknown) => this.core.errors.report(error, "pushing presence"));
        return;
      case "settings_changed":
        // This node wrote the change and cached the new value.
        if (fromNodeId !== this.nodeId)
          this.settingsCache.invalidate(message.userId, message.conversationId);
        return;
      case "suspension_changed":
        this.suspensions.invalidate(message.userId);
        return;
      case "node_stats":
        this.statsBoard.record(message.stats);
        return;
      case "custom":
        return;
    }
  }

  /** A block made after a `presence_subscribe` ends the watch both ways, on every node. */
  private dropBlockedWatch(a: string, b: string): void {
    const subscriptions = this.core.presenceSubscriptions;
    if (!subscriptions.isWatching(a, b) && !subscriptions.isWatching(b, a)) return;
    this.core.relations
      .get(a, [b])
      .then(([relation]) => {
        if (relation && (relation.blocked || relation.blockedBy)) {
          subscriptions.unwatch(a, b);
          subscriptions.unwatch(b, a);
        }
      })
      .catch((error: unknown) => this.core.errors.report(error, "checking a presence watch"));
  }

  /** Samples this node's load and broadcasts it for the admin stats of every node. */
  private publishStats(): void {
    const own = this.statsBoard.tick();
    this.core.broker
      .broadcast({ type: "node_stats", stats: own })
      .catch((error: unknown) => this.core.errors.report(error, "broadcasting node stats"));
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === "running" || this.state === "starting";
    this.state = "closing";
    this.connections.stopAccepting();
    clearInterval(this.heartbeatTimer);
    clearInterval(this.statsTimer);
    await this.relay.stop();
    await this.joinPurge.stop();
    await this.stopOutboxWake?.();
    // Held `sent` answers and receipts go out before the connections close.
    this.core.delivery.flushReceipts();
    if (wasRunning) await this.transport.close(CloseCode.goingAway);
    // Sends already received are stored and published before the node leaves.
    await this.tasks.drain();
    const { delivery, presence, broker, storage } = this.core;
    await Promise.all([
      this.cursorWrites.flush(),
      this.settlement.flush(),
      this.presenceEvents.flush(),
      this.changeSettlement.flush(),
    ]);
    delivery.stop();
    const quietly = (task: Promise<unknown>, context: string) =>
      task.catch((error: unknown) => this.core.errors.report(error, context));
    await quietly(presence.removeNode(this.nodeId), "leaving presence");
    await quietly(broker.close(), "closing the broker");
    await quietly(presence.close(), "closing presence");
    await quietly(storage.close(), "closing storage");
    if (this.rateLimiter) await quietly(this.rateLimiter.close(), "closing the rate limiter");
    this.state = "closed";
  }
}

/**
 * Creates a Lucky IM server node. Every adapter defaults to its in-memory
 * version, so `createImServer({ transport, authenticator })` is a complete
 * single-process server (data is not persisted).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createImServer } from "@lucky-im/core";
 * import { createWsTransport } from "@lucky-im/transport-ws";
 * import { createJwtAuthenticator } from "@lucky-im/auth";
 *
 * const http = createServer();
 * const im = createImServer({
 *   transport: createWsTransport({ server: http }),
 *   authenticator: createJwtAuthenticator({ key: { secret: process.env.JWT_SECRET! }, issuer: "me", audience: "me" }),
 * });
 * await im.start();
 * http.listen(8080);
 * ```
 */
export function createImServer(options: ImServerOptions): ImServer {
  return new ImServer(options);
}
