import { EventEmitter } from "eventemitter3";
import type { Broker } from "../contracts/broker.js";
import type { CursorMoved } from "../contracts/cursor-store.js";
import type { ImHooks } from "../contracts/hooks.js";
import type { Presence } from "../contracts/presence.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import type { Storage } from "../contracts/storage.js";
import type {
  ConnectionHandler,
  Transport,
  TransportConnection,
  TransportListener,
} from "../contracts/transport.js";
import { type ConversationSummary, parseConversationId } from "../domain/conversation.js";
import type { ControlMessage } from "../domain/envelope.js";
import type { Message } from "../domain/message.js";
import type { Principal } from "../domain/session.js";
import { ImError, isImError, toImError } from "../errors.js";
import { createMemoryBroker, createMemoryPresence, createMemoryStorage } from "../memory/index.js";
import { CloseCode } from "../protocol/close-codes.js";
import { decodeClientFrame, encodeFrame, errorFrame } from "../protocol/codec.js";
import type { JsonLimits } from "../protocol/json-limits.js";
import type { AuthFrame, ClientFrame, MessageBodyType, ServerFrame } from "../protocol/schemas.js";
import { newId } from "../util/ids.js";
import { Batcher } from "./batcher.js";
import { consoleLogger } from "./console-logger.js";
import { Delivery, type MessageDeliveryResult } from "./delivery.js";
import type { CursorWrite, EngineCore } from "./engine-core.js";
import { handlePing, handleSignal, handleTyping } from "./ephemeral-handlers.js";
import type { ImServerEvents } from "./events.js";
import { GroupCache } from "./group-cache.js";
import { GroupService } from "./group-service.js";
import {
  DEFAULT_LIMITS,
  type ImLimits,
  type ImLogger,
  type ImServerOptions,
  type MultiDevicePolicy,
} from "./options.js";
import { OutboxRelay } from "./outbox-relay.js";
import { handleRecall } from "./recall-handler.js";
import { handleAck, handleRead } from "./receipt-handlers.js";
import { handleSend } from "./send-handler.js";
import { Session } from "./session.js";
import { SessionRegistry } from "./session-registry.js";
import { emptyStats, type ImServerStats } from "./stats.js";
import { handleSync } from "./sync-handler.js";
import { UnsolicitedLimits } from "./unsolicited-limits.js";

const ALL_BODY_TYPES: MessageBodyType[] = [
  "text",
  "image",
  "voice",
  "video",
  "file",
  "location",
  "custom",
];

/** What a user id may look like (the `sub` of a token): it becomes part of conversation ids. */
const USER_ID = /^[^\s:]{1,128}$/;

/** Longest delay `setTimeout` accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/** The checks the in-memory limiter makes of its options, for the engine's own frame counter. */
function checkFrameLimits(limits: ImLimits): void {
  if (!(Number.isInteger(limits.framesPerWindow) && limits.framesPerWindow >= 1)) {
    throw new ImError(
      "bad_request",
      "[lucky-im] [core] memory rate limiter: points must be an integer >= 1",
    );
  }
  if (!(limits.rateWindowMs > 0)) {
    throw new ImError(
      "bad_request",
      "[lucky-im] [core] memory rate limiter: durationMs must be > 0",
    );
  }
}

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
}

/**
 * A Lucky IM server node: the protocol engine over a transport and adapters.
 * Create it with {@link createImServer}.
 */
export class ImServer extends EventEmitter<ImServerEvents> {
  /** This node's id. */
  readonly nodeId: string;
  /** Group operations for the host application. */
  readonly groups: GroupService;
  /** The storage this node uses (the host's HTTP API reads from it). */
  readonly storage: Storage;

  private readonly core: EngineCore;
  private readonly transport: Transport;
  private readonly authenticatorRef: ImServerOptions["authenticator"];
  /** The host's limiter; undefined: the engine counts frames itself, synchronously. */
  private readonly rateLimiter: RateLimiter | undefined;
  private readonly relay: OutboxRelay;
  private readonly counters: ImServerStats = emptyStats();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly connections = new Set<Session>();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private stopOutboxWake: (() => Promise<void> | void) | undefined;
  private readonly presenceHeartbeatMs: number;
  private readonly rateLimitByUser: boolean;
  private readonly jsonLimits: JsonLimits;
  private state: "new" | "starting" | "running" | "closing" | "closed" = "new";
  private closing: Promise<void> | undefined;

  constructor(options: ImServerOptions) {
    super();
    const limits: ImLimits = { ...DEFAULT_LIMITS, ...options.limits };
    const logger: ImLogger = options.logger ?? consoleLogger;
    this.nodeId = options.nodeId ?? newId("n");
    this.transport = options.transport;
    this.authenticatorRef = options.authenticator;
    this.storage = options.storage ?? createMemoryStorage();
    const broker: Broker = options.broker ?? createMemoryBroker();
    const presence: Presence = options.presence ?? createMemoryPresence();
    // Without a host limiter the engine counts each session's frames in a fixed window
    // itself (what the in-memory limiter would do under the key `conn:<session id>`),
    // with no promise per frame.
    this.rateLimiter = options.rateLimiter;
    if (!this.rateLimiter) checkFrameLimits(limits);
    this.jsonLimits = { maxDepth: limits.maxJsonDepth, maxBytes: limits.maxFrameBytes };
    this.presenceHeartbeatMs = options.presenceHeartbeatMs ?? 10_000;
    this.rateLimitByUser = options.rateLimitScope === "user";
    const hooks: ImHooks = options.hooks ?? {};
    const registry = new SessionRegistry();
    const stats = this.counters;
    // During an outage the same failure repeats per message: log it once a second per
    // context, with the count of what was folded in (listeners still get every one).
    const lastLogged = new Map<string, { at: number; folded: number }>();
    const reportError = (error: unknown, context: string) => {
      const imError = toImError(error);
      if (this.listenerCount("error") > 0) {
        this.emit("error", imError, context);
        return;
      }
      const now = Date.now();
      const seen = lastLogged.get(context);
      if (seen && now - seen.at < 1_000) {
        seen.folded++;
        return;
      }
      const folded = seen?.folded ?? 0;
      lastLogged.set(context, { at: now, folded: 0 });
      logger.error(
        { code: imError.code, ...(folded > 0 ? { repeatedSinceLastLog: folded } : {}) },
        `[lucky-im] [core] ${context}: ${imError.message}`,
      );
    };
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
      dedupeCacheSize: options.dedupeCacheSize ?? 100_000,
      dedupeCacheMs: options.dedupeCacheMs ?? 3_600_000,
      presenceBatchMaxUsers: options.presenceBatchMaxUsers ?? 5_000,
      reportError,
      onDelivered: (message, userId, latencyMs) =>
        this.emit("delivered", message, userId, latencyMs),
    });
    const maxSeq = (a: CursorWrite, b: CursorWrite): CursorWrite => ({
      ...(a.seq >= b.seq ? a : b),
      silent: Boolean(a.silent && b.silent),
    });
    const storage = this.storage;
    const cursorBatchMs = options.cursorBatchMs ?? 20;
    const core: EngineCore = {
      nodeId: this.nodeId,
      limits,
      storage,
      presence,
      broker,
      hooks,
      delivery,
      registry,
      groupCache: new GroupCache(storage.groups, {
        ttlMs: options.groupCacheMs ?? 10_000,
        maxGroups: options.groupCacheSize ?? 10_000,
      }),
      stats,
      logger,
      events: this,
      heartbeatMs: options.heartbeatMs ?? options.transport.heartbeatMs ?? 25_000,
      multiDevice: options.multiDevice ?? "multi",
      presenceEvents: options.presenceEvents ?? false,
      deliveryReceipts: options.deliveryReceipts ?? "direct",
      allowedBodyTypes: new Set(options.allowedBodyTypes ?? ALL_BODY_TYPES),
      unsolicited: new UnsolicitedLimits(limits, storage),
      deliveredWrites: new Batcher((items) => this.writeCursors(items, "delivered"), {
        delayMs: cursorBatchMs,
        maxItems: 500,
        merge: maxSeq,
        onError: (error) => reportError(error, "writing delivered cursors"),
      }),
      readWrites: new Batcher((items) => this.writeCursors(items, "read"), {
        delayMs: cursorBatchMs,
        maxItems: 500,
        merge: maxSeq,
        onError: (error) => reportError(error, "writing read cursors"),
      }),
      sentMarks: new Batcher((items) => storage.outbox.markSent([...items.keys()]), {
        delayMs: 5,
        maxItems: 500,
        onError: (error) => reportError(error, "marking outbox entries sent"),
      }),
      sendFrame: (session, frame) => {
        if (session.send(encodeFrame(frame))) stats.framesOut++;
      },
      sendError: (session, error, cid) => {
        const clientError = this.core.toClientError(error);
        if (session.send(encodeFrame(errorFrame(clientError, cid)))) stats.framesOut++;
      },
      reportError,
      dispatchMessage: (message, participants, outboxId, exceptSessionId) =>
        this.dispatchMessage(message, participants, outboxId, exceptSessionId),
      track: (task) => this.track(task),
      toClientError: (error) => {
        if (isImError(error)) return error;
        reportError(error, "handling a frame");
        return new ImError("internal", "internal error");
      },
    };
    this.core = core;
    this.groups = new GroupService(core);
    this.relay = new OutboxRelay({
      outbox: storage.outbox,
      deliver: async (entry) => this.dispatchMessage(entry.message, entry.participants, undefined),
      intervalMs: options.relayIntervalMs ?? 1_000,
      retentionMs: options.outboxRetentionMs ?? 3_600_000,
      batchSize: options.relayBatchSize ?? 100,
      leaseMs: options.relayLeaseMs ?? 30_000,
      reportError,
      onRelayed: (count) => {
        stats.relayed += count;
      },
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
    const { broker, presence, delivery } = this.core;
    await broker.subscribe(this.nodeId, async (envelope) => {
      delivery.handleEnvelope(envelope);
    });
    await broker.subscribeControl(this.nodeId, (message) => this.onControl(message));
    await presence.heartbeat(this.nodeId);
    this.heartbeatTimer = setInterval(() => {
      presence
        .heartbeat(this.nodeId)
        .catch((error: unknown) => this.core.reportError(error, "presence heartbeat"));
    }, this.presenceHeartbeatMs);
    this.heartbeatTimer.unref?.();
    delivery.start();
    this.relay.start();
    this.stopOutboxWake = this.storage.outboxNotifications?.(() => this.relay.wake());
    await this.transport.listen(this.listener());
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
      this.core.reportError(error, "broadcasting a kick");
      this.core.delivery.kickLocally(userId, code, reason);
    }
  }

  /**
   * A user's conversations with unread counts and last message, newest activity first, with
   * the other participants' cursors (`peerReadSeq`, `peerDeliveredSeq`): read state a new
   * device cannot have learnt from receipts.
   */
  async conversations(
    userId: string,
    options?: { limit?: number },
  ): Promise<ConversationSummary[]> {
    const { cursors } = this.core.storage;
    const summaries = await cursors.conversations(userId, options);
    if (summaries.length === 0) return summaries;
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
    }
    return summaries;
  }

  /**
   * A page of a conversation's history, newest first, for a user who is in it
   * (else `forbidden`). `beforeSeq` is exclusive; `limit` is capped by `limits.historyPageSize`.
   * A direct conversation that names the user but has no message yet is an empty page; a
   * group member sees nothing from before they joined.
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
        return { messages: [], more: false };
      }
      throw new ImError("forbidden", "not a participant of this conversation");
    }
    const limit = Math.max(
      1,
      Math.min(options.limit ?? this.core.limits.historyPageSize, this.core.limits.historyPageSize),
    );
    const beforeSeq = options.beforeSeq ?? cursor.lastSeq + 1;
    const joinedSeq = cursor.joinedSeq ?? 0;
    const page = await this.core.storage.messages.range(conversationId, { beforeSeq, limit });
    const messages = joinedSeq > 0 ? page.filter((m) => m.seq > joinedSeq) : page;
    const oldest = messages.at(-1)?.seq;
    return {
      messages,
      more: oldest !== undefined && oldest > joinedSeq + 1 && messages.length === limit,
    };
  }

  /** Whether each dependency answers, for readiness probes. */
  async health(): Promise<ImServerHealth> {
    const check = (probe: () => Promise<boolean>) => probe().catch(() => false);
    const [storage, broker, presence] = await Promise.all([
      check(() => this.core.storage.ping()),
      check(() => this.core.broker.ping()),
      check(() => this.core.presence.ping()),
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
      ...this.counters,
      connections: this.connections.size,
      sessions: this.core.registry.size,
    };
  }

  // ------------------------------------------------------------------ connections

  private listener(): TransportListener {
    return {
      authenticate: (token) => this.authenticate(token),
      open: (connection) => this.open(connection),
    };
  }

  private async authenticate(token: string): Promise<Principal> {
    try {
      return await this.authenticatorRef.authenticate(token);
    } catch (error) {
      // `unavailable` (a JWKS or token store down) is not the client's fault: it must
      // not be told to throw its token away.
      if (isImError(error) && (error.code === "unauthorized" || error.code === "unavailable"))
        throw error;
      throw new ImError("unauthorized", "invalid token", { cause: error });
    }
  }

  private open(connection: TransportConnection): ConnectionHandler {
    const session = new Session(connection);
    this.connections.add(session);
    if (this.state !== "running" && this.state !== "starting") {
      connection.close(CloseCode.goingAway, "server closing");
    } else if (connection.info.principal) {
      session.state = "authenticating";
      void this.completeAuth(session, connection.info.principal, undefined);
    } else {
      session.authTimer = setTimeout(() => {
        if (session.state === "connecting" || session.state === "authenticating") {
          connection.close(CloseCode.authTimeout, "authentication timeout");
        }
      }, this.core.limits.authTimeoutMs);
      session.authTimer.unref?.();
    }
    return {
      onFrame: (data) => this.onFrame(session, data),
      onClose: (code) => this.onClose(session, code),
    };
  }

  private onFrame(session: Session, data: string): void {
    this.counters.framesIn++;
    switch (session.state) {
      case "closed":
        return;
      case "authenticating":
        if (session.queuedFrames.length >= this.core.limits.maxFramesBeforeReady) {
          session.connection.close(CloseCode.policyViolation, "too many frames before ready");
        } else {
          session.queuedFrames.push(data);
        }
        return;
      case "connecting": {
        const decoded = decodeClientFrame(data, this.jsonLimits);
        if (!decoded.ok || decoded.frame.type !== "auth") {
          session.connection.close(CloseCode.unauthorized, "authenticate first");
          return;
        }
        void this.onAuthFrame(session, decoded.frame);
        return;
      }
      case "ready":
        if (!this.rateLimiter) {
          // Synchronous: frames are handled in the order they came without a chain.
          try {
            this.handleFrame(session, data, this.countFrame(session));
          } catch (error) {
            // A throwing event listener must not reach the transport (the chain swallowed it).
            this.core.reportError(error, "handling a frame");
          }
          return;
        }
        // Chained per session so frames are handled in the order they came,
        // however the limiter's answers interleave.
        session.frameChain = session.frameChain.then(() => this.limitThenHandle(session, data));
    }
  }

  /** The engine's own limiter: a fixed window per session, starting at its first frame. */
  private countFrame(session: Session): boolean {
    const now = Date.now();
    const { framesPerWindow, rateWindowMs } = this.core.limits;
    if (session.rateWindowCount === 0 || now - session.rateWindowStart >= rateWindowMs) {
      session.rateWindowStart = now;
      session.rateWindowCount = 0;
    }
    session.rateWindowCount++;
    return session.rateWindowCount <= framesPerWindow;
  }

  private async limitThenHandle(session: Session, data: string): Promise<void> {
    let allowed = true;
    try {
      const key = this.rateLimitByUser ? `user:${session.userId}` : `conn:${session.id}`;
      allowed = (await this.rateLimiter!.consume(key)).allowed;
    } catch (error) {
      // A limiter outage must not stop the chat: let the frame through and say so.
      this.core.reportError(error, "rate limiter");
    }
    this.handleFrame(session, data, allowed);
  }

  private handleFrame(session: Session, data: string, allowed: boolean): void {
    if (session.isClosed) return;
    const decoded = decodeClientFrame(data, this.jsonLimits);
    if (!allowed) {
      this.counters.rateLimited++;
      session.rateLimitStrikes++;
      if (session.rateLimitStrikes >= this.core.limits.maxRateLimitStrikes) {
        if (this.rateLimiter) {
          session.connection.close(CloseCode.rateLimited, "rate limited");
        } else if (!session.rateLimitClosing) {
          // Frames are handled synchronously here: a burst reaches this point before the
          // sends it let through were answered. Close once those answers went out, as
          // when every frame waited for the limiter.
          session.rateLimitClosing = true;
          setImmediate(() => session.connection.close(CloseCode.rateLimited, "rate limited"));
        }
        return;
      }
      const cid = decoded.ok ? (decoded.frame as { cid?: string }).cid : decoded.cid;
      this.core.sendError(session, new ImError("rate_limited", "too many frames; slow down"), cid);
      return;
    }
    session.rateLimitStrikes = 0;
    if (!decoded.ok) {
      this.core.sendError(session, decoded.error, decoded.cid);
      return;
    }
    this.dispatch(session, decoded.frame, data.length);
  }

  private dispatch(session: Session, frame: ClientFrame, frameLength: number): void {
    const core = this.core;
    switch (frame.type) {
      case "auth":
        void this.onAuthFrame(session, frame);
        return;
      case "send":
        void this.track(handleSend(core, session, frame, frameLength));
        return;
      case "ack":
        void handleAck(core, session, frame);
        return;
      case "read":
        void handleRead(core, session, frame);
        return;
      case "sync":
        void this.track(handleSync(core, session, frame));
        return;
      case "recall":
        void this.track(handleRecall(core, session, frame));
        return;
      case "typing":
        void handleTyping(core, session, frame);
        return;
      case "signal":
        void handleSignal(core, session, frame);
        return;
      case "ping":
        handlePing(core, session, frame);
        return;
    }
  }

  /** First `auth`, or a fresh token on an open connection (answered with `ready` again). */
  private async onAuthFrame(session: Session, frame: AuthFrame): Promise<void> {
    const renewing = session.state === "ready";
    if (!renewing) session.state = "authenticating";
    let principal: Principal;
    try {
      principal = await this.authenticate(frame.token);
    } catch (error) {
      const unavailable = isImError(error) && error.code === "unavailable";
      if (renewing && unavailable) {
        // The current token is still valid: keep serving until it expires.
        this.core.sendError(session, error);
      } else if (unavailable) {
        session.connection.close(
          CloseCode.tryAgainLater,
          "authentication unavailable; retry later",
        );
      } else {
        session.connection.close(CloseCode.unauthorized, "invalid token");
      }
      return;
    }
    if (renewing) {
      if (principal.userId !== session.userId) {
        session.connection.close(
          CloseCode.unauthorized,
          "a renewed token must be for the same user",
        );
        return;
      }
      session.principal = principal;
      this.scheduleExpiry(session);
      this.sendReady(session);
      return;
    }
    await this.completeAuth(session, principal, frame.device);
  }

  private async completeAuth(
    session: Session,
    principal: Principal,
    device: AuthFrame["device"],
  ): Promise<void> {
    if (session.state === "closed") return;
    if (!USER_ID.test(principal.userId)) {
      session.connection.close(
        CloseCode.unauthorized,
        "the token's subject is not a valid user id",
      );
      return;
    }
    if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) {
      session.connection.close(CloseCode.unauthorized, "token expired");
      return;
    }
    const { info: connectionInfo } = session.connection;
    session.principal = principal;
    const deviceId = principal.deviceId ?? device?.id ?? connectionInfo.deviceId;
    const deviceClass = principal.deviceClass ?? device?.class ?? connectionInfo.deviceClass;
    session.info = {
      sessionId: session.id,
      userId: principal.userId,
      nodeId: this.nodeId,
      connectedAt: Date.now(),
      ...(deviceId === undefined ? {} : { deviceId }),
      ...(deviceClass === undefined ? {} : { deviceClass }),
    };
    if (this.core.multiDevice === "one-per-device-class") await this.replaceOlderSessions(session);
    if (session.isClosed) return;
    const here = this.core.registry.ofUser(principal.userId)?.size ?? 0;
    if (here >= this.core.limits.maxSessionsPerUser) {
      session.connection.close(CloseCode.policyViolation, "too many sessions for this user");
      return;
    }
    const firstHere = here === 0;
    this.core.registry.add(session);
    session.state = "ready";
    clearTimeout(session.authTimer);
    try {
      await this.core.presence.register(session.info);
    } catch (error) {
      this.core.reportError(error, "presence register");
    }
    if (session.isClosed) return;
    this.sendReady(session);
    this.scheduleExpiry(session);
    this.emit("connection", session.info);
    if (firstHere && this.core.presenceEvents) void this.announcePresence(principal.userId, true);
    const queued = session.queuedFrames.splice(0);
    for (const data of queued) this.onFrame(session, data);
  }

  private sendReady(session: Session): void {
    this.core.sendFrame(session, {
      type: "ready",
      userId: session.userId!,
      sessionId: session.id,
      nodeId: this.nodeId,
      heartbeatMs: this.core.heartbeatMs,
      serverTime: Date.now(),
    });
  }

  /** One session per device class: close the older ones here and on other nodes (4409). */
  private async replaceOlderSessions(session: Session): Promise<void> {
    const info = session.info!;
    const deviceClass = info.deviceClass ?? "default";
    const sameClass = (other: { deviceClass?: string }) =>
      (other.deviceClass ?? "default") === deviceClass;
    for (const other of [...(this.core.registry.ofUser(info.userId) ?? [])]) {
      if (other !== session && other.info && sameClass(other.info)) {
        other.connection.close(CloseCode.sessionReplaced, "session replaced");
      }
    }
    try {
      const sessions = await this.core.presence.sessionsOf([info.userId]);
      await Promise.all(
        sessions
          .filter((s) => s.nodeId !== this.nodeId && sameClass(s))
          .map((s) =>
            this.core.broker.publish(s.nodeId, {
              kind: "kick",
              userId: s.userId,
              sessionId: s.sessionId,
              code: CloseCode.sessionReplaced,
              reason: "session replaced",
            }),
          ),
      );
    } catch (error) {
      this.core.reportError(error, "replacing an older session on another node");
    }
  }

  private scheduleExpiry(session: Session): void {
    clearTimeout(session.expiringTimer);
    clearTimeout(session.expiryTimer);
    const expiresAt = session.principal?.expiresAt;
    if (expiresAt === undefined) return;
    const untilExpiry = expiresAt - Date.now();
    if (untilExpiry > MAX_TIMER_MS) return;
    const untilWarning = untilExpiry - this.core.limits.authExpiringLeadMs;
    session.expiringTimer = setTimeout(
      () => this.core.sendFrame(session, { type: "auth_expiring", expiresAt }),
      Math.max(0, untilWarning),
    );
    session.expiringTimer.unref?.();
    session.expiryTimer = setTimeout(
      () => session.connection.close(CloseCode.unauthorized, "token expired"),
      Math.max(0, untilExpiry),
    );
    session.expiryTimer.unref?.();
  }

  private onClose(session: Session, code: number): void {
    if (session.state === "closed") return;
    session.state = "closed";
    session.clearTimers();
    this.connections.delete(session);
    const info = session.info;
    if (!info || this.core.registry.get(session.id) !== session) return;
    const lastHere = this.core.registry.remove(session);
    this.core.delivery.forget(session);
    this.core.presence
      .unregister(info)
      .catch((error: unknown) => this.core.reportError(error, "presence unregister"));
    this.emit("disconnection", info, code);
    if (lastHere && this.core.presenceEvents) void this.announcePresence(info.userId, false);
  }

  // ------------------------------------------------------------------ delivery

  private dispatchMessage(
    message: Message,
    participants: readonly string[],
    outboxId: string | undefined,
    exceptSessionId?: string,
  ): boolean | Promise<boolean> {
    let result: MessageDeliveryResult | Promise<MessageDeliveryResult>;
    try {
      result = this.core.delivery.deliverMessage(message, participants, exceptSessionId);
    } catch (error) {
      this.core.reportError(error, "delivering a message");
      return false;
    }
    // Delivered on this node only (no presence lookup, no broker): settle without a promise.
    if (!(result instanceof Promise)) return this.settleDelivery(message, outboxId, result);
    return result.then(
      (settled) => this.settleDelivery(message, outboxId, settled),
      (error: unknown) => {
        this.core.reportError(error, "delivering a message");
        return false;
      },
    );
  }

  /** Marks the outbox entry sent when every node took the message; tells the host who is offline. */
  private settleDelivery(
    message: Message,
    outboxId: string | undefined,
    result: MessageDeliveryResult,
  ): boolean {
    const { hooks } = this.core;
    if (result.complete && outboxId !== undefined) this.core.sentMarks.add(outboxId, true);
    if (result.offline.length > 0 && hooks.onOffline) {
      try {
        hooks
          .onOffline(message, result.offline)
          .catch((error: unknown) => this.core.reportError(error, "onOffline hook"));
      } catch (error) {
        // As before the fast path: a hook that throws at once counts as a failed delivery.
        this.core.reportError(error, "delivering a message");
        return false;
      }
    }
    return result.complete;
  }

  /** Writes a batch of cursor moves, then sends the receipts they imply. */
  private async writeCursors(
    items: Map<string, CursorWrite>,
    kind: "delivered" | "read",
  ): Promise<void> {
    const { cursors } = this.core.storage;
    const writes = [...items.values()];
    let moved: CursorMoved[];
    if (cursors.markMany) {
      // The whole batch in one round trip when the store can.
      moved = await cursors.markMany(
        writes.map((w) => ({
          userId: w.userId,
          conversationId: w.conversationId,
          seq: w.seq,
          kind,
        })),
      );
    } else {
      const stored = await Promise.all(
        writes.map((w) =>
          kind === "read"
            ? cursors.markRead(w.userId, w.conversationId, w.seq)
            : cursors.markDelivered(w.userId, w.conversationId, w.seq),
        ),
      );
      moved = writes.flatMap((w, i) => {
        const seq = stored[i];
        return seq === undefined ? [] : [{ ...w, seq, kind }];
      });
    }
    const silent = new Set(
      writes.filter((w) => w.silent).map((w) => `${w.userId}\u0000${w.conversationId}`),
    );
    const policy = this.core.deliveryReceipts;
    // Receipts carry what the store holds (capped at the last seq, never lower), and only for
    // cursors that moved: a client's claimed seq is never relayed as is.
    for (const write of moved) {
      if (silent.has(`${write.userId}\u0000${write.conversationId}`)) continue;
      const parsed = parseConversationId(write.conversationId);
      let others: string[];
      if (parsed.kind === "direct") {
        others = parsed.userIds.filter((u) => u !== write.userId);
      } else {
        if (kind === "delivered" && policy !== "all") continue;
        const group = await this.core.groupCache.get(parsed.groupId);
        if (!group?.members.has(write.userId)) continue;
        others = group.memberIds.filter((u) => u !== write.userId);
      }
      if (kind === "delivered" && policy === "none") continue;
      void this.core.delivery.deliverFrame(others, {
        type: "receipt",
        conversationId: write.conversationId,
        userId: write.userId,
        seq: write.seq,
        kind,
      });
    }
  }

  private async announcePresence(userId: string, online: boolean): Promise<void> {
    try {
      const status = await this.core.presence.status([userId]);
      // Another session elsewhere keeps the user online: nothing changed.
      if (!online && status.get(userId)?.online) return;
      const summaries = await this.core.storage.cursors.conversations(userId, { limit: 200 });
      const peers = new Set<string>();
      for (const summary of summaries) {
        for (const peer of await this.core.storage.cursors.participants(summary.conversationId)) {
          if (peer !== userId) peers.add(peer);
        }
      }
      const frame: ServerFrame = { type: "presence", userId, online };
      await this.core.delivery.deliverFrame([...peers], frame);
    } catch (error) {
      this.core.reportError(error, "announcing presence");
    }
  }

  private onControl(message: ControlMessage): void {
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
      case "custom":
        return;
    }
  }

  private track<T>(task: Promise<T>): Promise<T> {
    this.inflight.add(task);
    const forget = () => this.inflight.delete(task);
    task.then(forget, forget);
    return task;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === "running" || this.state === "starting";
    this.state = "closing";
    clearInterval(this.heartbeatTimer);
    await this.relay.stop();
    await this.stopOutboxWake?.();
    if (wasRunning) await this.transport.close(CloseCode.goingAway);
    // Sends already received are stored and published before the node leaves.
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    const { deliveredWrites, readWrites, sentMarks, delivery, presence, broker, storage } =
      this.core;
    await Promise.all([deliveredWrites.flush(), readWrites.flush(), sentMarks.flush()]);
    delivery.stop();
    const quietly = (task: Promise<unknown>, context: string) =>
      task.catch((error: unknown) => this.core.reportError(error, context));
    await quietly(presence.removeNode(this.nodeId), "leaving presence");
    await quietly(broker.close(), "closing the broker");
    await quietly(presence.close(), "closing presence");
    await quietly(storage.close(), "closing storage");
    if (this.rateLimiter?.close)
      await quietly(this.rateLimiter.close(), "closing the rate limiter");
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
