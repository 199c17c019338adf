import type {
  ClientFrame,
  ErrorCode,
  MessageBody,
  MessageFrame,
  ReadyFrame,
  SendFrame,
  SentFrame,
  ServerFrame,
  SyncedFrame,
  Target,
} from "@lucky-im/protocol";
import {
  backoffDelay,
  CAPABILITY_ACK_BATCH,
  CAPABILITY_RECEIPT_BATCH,
  CAPABILITY_SENT_BATCH,
  CloseCode,
  DEFAULT_JSON_LIMITS,
  PROTOCOL_NAME,
} from "@lucky-im/protocol";
import { EventEmitter } from "eventemitter3";
import { type AppliedResult, ChangeTracker } from "./change-tracker.js";
import { ImClientError } from "./client-error.js";
import { ConversationOrder, type OrderedEntry } from "./conversation-order.js";
import { type ClientCursorStore, createMemoryCursorStore } from "./cursor-store.js";
import { type ForwardResult, ForwardWaiters } from "./forward-waiters.js";
import { FramePacer } from "./frame-pacer.js";
import type { ImClientEvents } from "./im-client-events.js";
import type {
  ClientState,
  ConnectOptions,
  DeviceInfo,
  ImClientOptions,
  SendOptions,
  SentResult,
} from "./im-client-options.js";
import { isFinalTokenFailure } from "./token-failure.js";
import type { WebSocketConstructor, WebSocketLike } from "./websocket-like.js";

type Timer = ReturnType<typeof setTimeout>;

interface PendingSend {
  cid: string;
  frame: SendFrame;
  text: string;
  promise: Promise<SentResult>;
  resolve: (result: SentResult) => void;
  reject: (error: ImClientError) => void;
  /** Re-sends after `rate_limited` so far. */
  retries: number;
  retryTimer: Timer | undefined;
}

interface PendingPing {
  /** When it was asked for, then when it actually left (it may wait in the pacer). */
  sentAt: number;
  /** The connection's `received` count when it left. */
  receivedBefore: number;
  /** Armed when it leaves: pingTimeoutMs. */
  timeoutTimer: Timer | undefined;
  resolve: (rttMs: number) => void;
  reject: (error: ImClientError) => void;
}

interface Connection {
  socket: WebSocketLike;
  pacer: FramePacer;
  ready: boolean;
  /** Frames that arrived while the cursors were loading after `ready`. */
  inbox: string[] | undefined;
  /** Frames received so far: a ping that times out checks whether any came after it. */
  received: number;
  /** Per conversation, the highest `read` written on this connection (the server's read cursor never goes down). */
  readsWritten: Map<string, number>;
  /**
   * Most entries of one `acks` frame the server takes (its `ready` echoed `ack-batch`); 0: it
   * did not, so each conversation gets its own `ack` frame.
   */
  maxAcksPerFrame: number;
  /** The `ts` of the heartbeat ping still waiting for its answer, if any. */
  heartbeatPingTs: number | undefined;
  connectTimer: Timer | undefined;
  heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  closed: boolean;
}

const PREFIX = "[lucky-im] [client]";

/** Makes a timer not keep a Node.js process alive (no-op in browsers). */
function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

function defaultCid(): string {
  const cryptoLike = (globalThis as { crypto?: Crypto }).crypto;
  if (cryptoLike?.randomUUID) return cryptoLike.randomUUID();
  // randomUUID needs a secure context in browsers; fall back to random bytes.
  const bytes = new Uint8Array(16);
  if (cryptoLike?.getRandomValues) cryptoLike.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const utf8 = new TextEncoder();

/**
 * A Lucky IM client for browsers and Node.js. Create it with
 * {@link createImClient}.
 *
 * It keeps one WebSocket open, authenticates with a first-frame `auth`,
 * reconnects with jittered exponential backoff and a fresh token, `sync`s from
 * its cursors after every `ready`, and re-sends unanswered sends with the same
 * `cid`, so a reconnect neither doubles nor drops a message. Messages come out
 * once each, in seq order per conversation; a missing seq is fetched with
 * `sync`; acks are cumulative and batched.
 */
export class ImClient extends EventEmitter<ImClientEvents> {
  private readonly WebSocketClass: WebSocketConstructor | undefined;
  private readonly store: ClientCursorStore;
  private readonly device: DeviceInfo | undefined;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAttempts: number;
  private readonly rateLimitedDelayMs: number;
  private readonly maxAuthRetries: number;
  private readonly connectTimeoutMs: number;
  private readonly heartbeatOverride: number | undefined;
  private readonly pingTimeoutMs: number;
  private readonly ackDelayMs: number;
  /** Announce `sent-batch` (`ImClientOptions.combineSentWithReceipt`). */
  private readonly combineSentWithReceipt: boolean;
  private readonly gapTimeoutMs: number;
  private readonly maxGapSyncs: number;
  private readonly maxPendingSends: number;
  private readonly maxBuffered: number;
  private readonly maxPayloadBytes: number;
  private readonly syncLimit: number | undefined;
  private readonly maxSyncCursors: number;
  private readonly generateCid: () => string;
  /** Changes (docs/protocol.md §13), when `options.changes` asks for them. */
  private readonly changes: ChangeTracker | undefined;
  private readonly forwards: ForwardWaiters;
  private readonly maxFramesPerSecond: number;
  private readonly maxQueuedFrames: number;
  private readonly maxRateLimitedRetries: number;
  private readonly sendRetryDelayMs: number;

  private connectOptions: ConnectOptions | undefined;
  private currentState: ClientState = "closed";
  /** True after close() or a fatal close: no reconnect, sends rejected. */
  private stopped = false;
  private conn: Connection | undefined;
  /** The users `subscribePresence` watches: sent again on each new connection. */
  private presenceWatch: string[] = [];
  private attempt = 0;
  private authFailures = 0;
  private reconnectTimer: Timer | undefined;
  private connectWaiters: { resolve: (f: ReadyFrame) => void; reject: (e: Error) => void }[] = [];
  private userIdValue: string | undefined;
  /** The latest `ready`; also tells a first connect from a reconnect. */
  private lastReady: ReadyFrame | undefined;
  private cursorsLoadedFor: string | undefined;
  private readonly conversations = new Map<string, ConversationOrder>();
  private readonly pending = new Map<string, PendingSend>();
  private readonly pendingReads = new Map<string, number>();
  private readonly pings = new Map<number, PendingPing>();
  private lastPingTs = 0;
  private readonly unacked = new Set<string>();
  private readonly unsaved = new Set<string>();
  private ackTimer: Timer | undefined;
  private saving: Promise<void> = Promise.resolve();
  private syncInFlight = false;
  private syncAgain = false;
  /** Conversations acked on the current connection: re-acked after a reconnect, in case the drop lost them. */
  private ackedThisConnection = new Set<string>();

  constructor(options: ImClientOptions = {}) {
    super();
    this.WebSocketClass =
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.store = options.cursorStore ?? createMemoryCursorStore();
    this.device = options.device;
    this.initialDelayMs = options.reconnect?.initialDelayMs ?? 500;
    this.maxDelayMs = options.reconnect?.maxDelayMs ?? 30_000;
    this.maxAttempts = options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.rateLimitedDelayMs = options.reconnect?.rateLimitedDelayMs ?? 15_000;
    this.maxAuthRetries = options.maxAuthRetries ?? 3;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.heartbeatOverride = options.heartbeatMs;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
    this.ackDelayMs = options.ackDelayMs ?? 50;
    this.combineSentWithReceipt = options.combineSentWithReceipt ?? true;
    this.gapTimeoutMs = options.gapTimeoutMs ?? 500;
    this.maxGapSyncs = options.maxGapSyncs ?? 2;
    this.maxPendingSends = options.maxPendingSends ?? 1000;
    this.maxBuffered = options.maxBufferedPerConversation ?? 1000;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_JSON_LIMITS.maxBytes;
    this.syncLimit = options.syncLimit;
    this.maxSyncCursors = options.maxSyncCursors ?? 10_000;
    this.generateCid = options.generateCid ?? defaultCid;
    this.changes = options.changes ? new ChangeTracker() : undefined;
    this.forwards = new ForwardWaiters();
    this.maxFramesPerSecond = options.maxFramesPerSecond ?? 30;
    this.maxQueuedFrames = options.maxQueuedFrames ?? 1000;
    this.maxRateLimitedRetries = options.maxRateLimitedRetries ?? 5;
    this.sendRetryDelayMs = options.sendRetryDelayMs ?? 1000;
  }

  /** The connection state. */
  get state(): ClientState {
    return this.currentState;
  }

  /** The authenticated user, once a `ready` arrived. */
  get userId(): string | undefined {
    return this.userIdValue;
  }

  /** Sends waiting for the server's answer. */
  get pendingSends(): number {
    return this.pending.size;
  }

  /** The cursors: per conversation, the highest contiguous seq delivered to the application. */
  cursors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [conversationId, order] of this.conversations) {
      if (order.cursor !== undefined) out[conversationId] = order.cursor;
    }
    return out;
  }

  /**
   * Connects, and keeps connected until {@link close}. Resolves with the first
   * `ready`; rejects when the client stops before that (4409, authentication
   * given up, `close()`). Calling it while connected resolves at once.
   */
  connect(options: ConnectOptions): Promise<ReadyFrame> {
    if (!options.token && !options.getToken) {
      return Promise.reject(
        new ImClientError("bad_request", `${PREFIX} connect needs token or getToken`),
      );
    }
    if (!this.WebSocketClass) {
      return Promise.reject(
        new ImClientError(
          "bad_request",
          `${PREFIX} no global WebSocket here; pass the WebSocket class (from "ws" in Node.js)`,
        ),
      );
    }
    const wasRunning = !this.stopped && this.currentState !== "closed";
    this.connectOptions = options;
    const promise = new Promise<ReadyFrame>((resolve, reject) => {
      this.connectWaiters.push({ resolve, reject });
    });
    if (wasRunning) {
      if (this.conn?.ready && !this.conn.inbox && this.lastReady) {
        this.settleConnect(this.lastReady);
      }
      return promise;
    }
    this.stopped = false;
    this.lastReady = undefined;
    this.attempt = 0;
    this.authFailures = 0;
    void this.openConnection();
    return promise;
  }

  /**
   * Sends a message. Resolves with the server's `sent` (its `messageId` and
   * `seq`); rejects with an {@link ImClientError} whose `code` is the server's
   * error code. While disconnected the send waits and goes out after the next
   * `ready`; until the server answers it is re-sent with the same `cid` after
   * every reconnect, so it is stored exactly once. While connected, a send
   * that would wait behind `maxQueuedFrames` paced frames is rejected with
   * `rate_limited` at once (nothing was sent: retry later with the same `cid`).
   */
  send(to: Target, body: MessageBody, options: SendOptions = {}): Promise<SentResult> {
    if (this.stopped) {
      return Promise.reject(new ImClientError("unavailable", `${PREFIX} the client is closed`));
    }
    const cid = options.cid ?? this.generateCid();
    const existing = this.pending.get(cid);
    if (existing) return existing.promise;
    if (this.pending.size >= this.maxPendingSends) {
      return Promise.reject(
        new ImClientError(
          "unavailable",
          `${PREFIX} too many sends waiting (maxPendingSends=${this.maxPendingSends})`,
          { cid },
        ),
      );
    }
    const frame: SendFrame = { type: "send", cid, to, body };
    if (options.replyTo !== undefined) frame.replyTo = options.replyTo;
    if (options.mentions !== undefined) frame.mentions = [...options.mentions];
    const text = JSON.stringify(frame);
    if (utf8.encode(text).length > this.maxPayloadBytes) {
      return Promise.reject(
        new ImClientError(
          "too_large",
          `${PREFIX} message larger than maxPayloadBytes=${this.maxPayloadBytes}`,
          { cid },
        ),
      );
    }
    let resolve!: (r: SentResult) => void;
    let reject!: (e: ImClientError) => void;
    const promise = new Promise<SentResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const send: PendingSend = {
      cid,
      frame,
      text,
      promise,
      resolve,
      reject,
      retries: 0,
      retryTimer: undefined,
    };
    this.pending.set(cid, send);
    if (this.isLive() && !this.conn!.pacer.offer(text)) {
      this.settleSend(send);
      reject(this.queueFullError(cid));
    }
    return promise;
  }

  /**
   * Marks `conversationId` read up to `seq` (other participants get a
   * `receipt`). While disconnected the highest one is kept and sent after the
   * next `ready`.
   */
  read(conversationId: string, seq: number): void {
    const previous = this.pendingReads.get(conversationId) ?? 0;
    if (seq > previous) this.pendingReads.set(conversationId, seq);
    if (this.isLive()) this.flushReads();
  }

  /**
   * Recalls a message. The outcome arrives as a `recalled` event, or an
   * `error` event (`forbidden`, `conflict`, `not_found`). Returns false when
   * not connected or `maxQueuedFrames` frames already wait (nothing was sent).
   */
  recall(messageId: string): boolean {
    return this.sendNow({ type: "recall", messageId });
  }

  /**
   * Edits the body of one of the user's text messages (docs/protocol.md §13.2). Resolves
   * once the server stored it (everyone gets a `change` event); rejects with the server's
   * code (`forbidden`, `conflict` after the edit window or for a recalled message, ...).
   * Needs `options.changes`.
   */
  edit(messageId: string, body: MessageBody): Promise<AppliedResult> {
    return this.sendChange({ type: "edit", messageId, body });
  }

  /** Adds (or with `remove`, removes) the user's reaction `key` on a message. Needs `options.changes`. */
  react(
    messageId: string,
    key: string,
    options: { remove?: boolean } = {},
  ): Promise<AppliedResult> {
    return this.sendChange({
      type: "react",
      messageId,
      key,
      ...(options.remove ? { remove: true as const } : {}),
    });
  }

  /** Pins (or with `remove`, unpins) a message in its conversation. Needs `options.changes`. */
  pin(messageId: string, options: { remove?: boolean } = {}): Promise<AppliedResult> {
    return this.sendChange({
      type: "pin",
      messageId,
      ...(options.remove ? { remove: true as const } : {}),
    });
  }

  /** Hides a message on every device of the user (not for others). Needs `options.changes`. */
  deleteForMe(messageId: string): Promise<AppliedResult> {
    return this.sendChange({ type: "delete_for_me", messageId });
  }

  /** Hides every message up to `upToSeq` of a conversation on every device of the user. Needs `options.changes`. */
  clear(conversationId: string, upToSeq: number): Promise<AppliedResult> {
    return this.sendChange({ type: "clear", conversationId, upToSeq });
  }

  /**
   * Forwards a message the user can read into one or several conversations the user may
   * send to (docs/protocol.md §13.2). Each target gets a copy marked `forwarded` (recipients
   * see it as a `message` event with `forwarded`). Resolves with one copy per target, in
   * their order, once every copy is stored; rejects with the server's code and stores
   * nothing when any target is refused (`not_found` for a message the user cannot read,
   * `forbidden` for a target the user may not send to, `too_large` past the server's
   * target limit, `rate_limited`). Pass the same `cid` to retry without duplicates.
   *
   * @example
   * ```ts
   * const { messages } = await client.forward(message.messageId, [
   *   { type: "user", id: "carol" },
   *   { type: "group", id: "team" },
   * ]);
   * ```
   */
  forward(
    messageId: string,
    to: Target | readonly Target[],
    options: { cid?: string } = {},
  ): Promise<ForwardResult> {
    const targets = (Array.isArray(to) ? to : [to]) as readonly Target[];
    const cid = options.cid ?? this.generateCid();
    const answered = this.forwards.wait(cid);
    const frame: ClientFrame = {
      type: "forward",
      cid,
      messageId,
      to: targets.map((t) => ({ type: t.type, id: t.id })),
    };
    if (!this.sendNow(frame)) {
      this.forwards.onError(
        cid,
        new ImClientError("unavailable", `${PREFIX} not connected, or the outgoing queue is full`, {
          cid,
        }),
      );
    }
    return answered;
  }

  /**
   * Tells the other participant(s) the user is typing. Returns false when not
   * connected or `maxQueuedFrames` frames already wait (nothing was sent).
   */
  typing(to: Target): boolean {
    return this.sendNow({ type: "typing", to });
  }

  /**
   * Sends call signalling data (`invite`, `offer`, `ice`, ...) to a user's
   * sessions; never stored. Returns false when not connected or
   * `maxQueuedFrames` frames already wait (nothing was sent).
   */
  signal(userId: string, callId: string, data: unknown): boolean {
    return this.sendNow({ type: "signal", to: { type: "user", id: userId }, callId, data });
  }

  /**
   * Watches these users' presence (replacing the earlier list; `[]` stops): the server answers
   * `presenceState`, then sends `presence` on each change. The list is sent again after every
   * reconnect. Returns false when it could not be sent now (it still goes out on the next connection).
   */
  subscribePresence(userIds: readonly string[]): boolean {
    this.presenceWatch = [...userIds];
    return this.sendNow({ type: "presence_subscribe", userIds: this.presenceWatch });
  }

  /**
   * Pings the server; resolves with the round-trip time in milliseconds.
   * Rejects with `unavailable` when not connected, when the connection closes
   * first, or when no `pong` came within `pingTimeoutMs` (if nothing else came
   * either, the connection is dropped and replaced); with `rate_limited` when
   * `maxQueuedFrames` frames already wait.
   */
  ping(): Promise<number> {
    const conn = this.conn;
    if (!conn || !this.isLive()) {
      return Promise.reject(new ImClientError("unavailable", `${PREFIX} not connected`));
    }
    return this.sendPing(conn, true);
  }

  /**
   * Stops: no more reconnects; sends not yet answered are rejected with
   * `unavailable` (re-send them with the same `cid` later to stay exactly-once);
   * pending acks are sent and cursors saved. Leaves no timer behind.
   */
  async close(): Promise<void> {
    this.stopped = true;
    this.clearReconnectTimer();
    this.flushAcks();
    const conn = this.conn;
    if (conn) {
      let done = () => {};
      const closed = new Promise<void>((resolve) => {
        done = resolve;
        this.once("disconnect", done);
        // A dead peer never answers the close handshake: do not wait forever.
        unref(setTimeout(done, 1000));
      });
      try {
        conn.socket.close(CloseCode.normal, "client closed");
      } catch {
        // Already closing.
      }
      await closed;
      this.off("disconnect", done);
      this.detach(conn, CloseCode.normal, "client closed");
    }
    this.stopAll(new ImClientError("unavailable", `${PREFIX} the client was closed`));
    await this.saving;
  }

  // ---------------------------------------------------------------- connection

  private isLive(): boolean {
    const conn = this.conn;
    return !!conn && conn.ready && !conn.inbox && conn.socket.readyState === 1;
  }

  private setState(next: ClientState): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.safeEmit("state", next, previous);
  }

  private async resolveToken(): Promise<string> {
    const options = this.connectOptions!;
    if (options.getToken) return await options.getToken();
    return options.token!;
  }

  private async openConnection(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.stopped) return;
    this.setState(this.lastReady ? "reconnecting" : "connecting");
    let token: string;
    try {
      token = await this.resolveToken();
    } catch (cause) {
      if (this.stopped) return;
      if (isFinalTokenFailure(cause)) {
        this.fail(
          new ImClientError("unauthorized", `${PREFIX} getToken refused: log in again`, { cause }),
        );
        return;
      }
      // The auth server may be down for a moment: try again later like any failed attempt.
      this.retryLater(
        new ImClientError("unavailable", `${PREFIX} getToken failed; retrying`, { cause }),
      );
      return;
    }
    if (this.stopped) return;
    let url: string;
    try {
      const option = this.connectOptions!.url;
      url = typeof option === "function" ? await option() : option;
    } catch (cause) {
      // Choosing a server failed (a discovery lookup, say): try again later like any failed attempt.
      this.retryLater(
        new ImClientError("unavailable", `${PREFIX} the url function failed`, { cause }),
      );
      return;
    }
    if (this.stopped) return;
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketClass!(url, PROTOCOL_NAME);
    } catch (cause) {
      // The constructor only throws for a bad URL or protocol: retrying cannot help.
      this.fail(new ImClientError("bad_request", `${PREFIX} cannot open a WebSocket`, { cause }));
      return;
    }
    const conn: Connection = {
      socket,
      pacer: new FramePacer(
        this.maxFramesPerSecond,
        (text) => {
          if (socket.readyState === 1) socket.send(text);
        },
        this.maxQueuedFrames,
      ),
      ready: false,
      inbox: undefined,
      received: 0,
      readsWritten: new Map(),
      maxAcksPerFrame: 0,
      heartbeatPingTs: undefined,
      connectTimer: undefined,
      heartbeatTimer: undefined,
      closed: false,
    };
    this.conn = conn;
    conn.connectTimer = unref(
      setTimeout(() => this.drop(conn, 4000, "no ready in time"), this.connectTimeoutMs),
    );
    socket.onopen = () => {
      if (conn !== this.conn) return;
      conn.pacer.write(JSON.stringify(this.authFrame(token)));
    };
    socket.onmessage = (event) => {
      if (conn !== this.conn || conn.closed) return;
      conn.received++;
      const data = event.data;
      if (typeof data !== "string") return; // The protocol is text frames only.
      if (conn.inbox) conn.inbox.push(data);
      else this.handleText(conn, data);
    };
    socket.onclose = (event) => this.detach(conn, event.code, event.reason);
    socket.onerror = () => {
      // The close event follows with the code; nothing to do here.
    };
  }

  /**
   * The `auth` frame: it announces the capabilities this client handles (docs/protocol.md
   * §1.8), which a server that does not know them ignores.
   */
  private authFrame(token: string): ClientFrame {
    const capabilities = this.combineSentWithReceipt
      ? [CAPABILITY_RECEIPT_BATCH, CAPABILITY_ACK_BATCH, CAPABILITY_SENT_BATCH]
      : [CAPABILITY_RECEIPT_BATCH, CAPABILITY_ACK_BATCH];
    return this.device
      ? { type: "auth", token, device: this.device, capabilities }
      : { type: "auth", token, capabilities };
  }

  /**
   * An attempt failed before it had a socket (the url function, `getToken`):
   * reports `error` and retries with backoff, or gives up after `maxAttempts`.
   */
  private retryLater(error: ImClientError): void {
    this.emitError(error);
    if (this.attempt >= this.maxAttempts) {
      this.fail(
        new ImClientError("unavailable", `${PREFIX} gave up after ${this.attempt} attempts`, {
          cause: error.cause,
        }),
      );
      return;
    }
    this.scheduleReconnect(false);
  }

  /** Abandons a connection the client no longer trusts and reconnects. */
  private drop(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    const socket = conn.socket as WebSocketLike & { terminate?: () => void };
    try {
      if (socket.terminate) socket.terminate();
      else socket.close(code, reason);
    } catch {
      // Already gone.
    }
    this.detach(conn, 1006, reason);
  }

  /** A connection ended: clean up, then reconnect or stop according to the close code. */
  private detach(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.pacer.clear();
    // A change frame is not re-sent after a reconnect: its caller decides (the outcome is unknown).
    this.changes?.failAll(
      "unavailable",
      `${PREFIX} the connection closed before the server answered`,
    );
    this.forwards.failAll(
      "unavailable",
      `${PREFIX} the connection closed before the server answered`,
    );
    conn.socket.onopen = null;
    conn.socket.onmessage = null;
    conn.socket.onclose = null;
    if (conn.connectTimer) clearTimeout(conn.connectTimer);
    if (conn.heartbeatTimer) clearInterval(conn.heartbeatTimer);
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.syncInFlight = false;
    this.syncAgain = false;
    for (const order of this.conversations.values()) this.clearGapTimer(order);
    for (const ping of this.pings.values()) {
      if (ping.timeoutTimer) clearTimeout(ping.timeoutTimer);
      ping.reject(new ImClientError("unavailable", `${PREFIX} connection closed`));
    }
    this.pings.clear();

    if (this.stopped) {
      this.safeEmit("disconnect", { code, reason, willReconnect: false });
      this.setState("closed");
      return;
    }
    if (code === CloseCode.sessionReplaced) {
      this.safeEmit("disconnect", { code, reason, willReconnect: false });
      this.fail(
        new ImClientError("conflict", `${PREFIX} session replaced by another connection (4409)`, {
          closeCode: code,
        }),
      );
      return;
    }
    if (code === CloseCode.suspended) {
      // An admin suspended or banned the user: reconnecting would be refused the same way.
      this.safeEmit("disconnect", { code, reason, willReconnect: false });
      this.fail(
        new ImClientError("forbidden", `${PREFIX} the user is suspended (4403): ${reason}`, {
          closeCode: code,
        }),
      );
      return;
    }
    if (code === CloseCode.unauthorized) {
      this.authFailures++;
      if (!this.connectOptions?.getToken || this.authFailures > this.maxAuthRetries) {
        this.safeEmit("disconnect", { code, reason, willReconnect: false });
        this.fail(
          new ImClientError("unauthorized", `${PREFIX} the server refused the token (4401)`, {
            closeCode: code,
          }),
        );
        return;
      }
    }
    if (this.attempt >= this.maxAttempts) {
      this.safeEmit("disconnect", { code, reason, willReconnect: false });
      this.fail(
        new ImClientError("unavailable", `${PREFIX} gave up after ${this.attempt} attempts`, {
          closeCode: code,
        }),
      );
      return;
    }
    this.safeEmit("disconnect", { code, reason, willReconnect: true });
    // 4008 (too slow) takes the ordinary backoff: nothing was lost, the next
    // connection's sync resumes from the cursors at the pace the client reads.
    this.scheduleReconnect(code === CloseCode.rateLimited || code === CloseCode.policyViolation);
  }

  private scheduleReconnect(long: boolean): void {
    if (this.stopped || this.reconnectTimer) return;
    this.setState("reconnecting");
    let delay = backoffDelay(this.attempt++, this.initialDelayMs, this.maxDelayMs);
    if (long) delay = Math.max(delay, this.rateLimitedDelayMs);
    // Not unref()ed on purpose: while the client wants to be connected it keeps
    // the process alive; close() clears it.
    this.reconnectTimer = setTimeout(() => void this.openConnection(), delay);
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  /** Stops for good after a fatal condition, reporting `error`. */
  private fail(error: ImClientError): void {
    this.stopped = true;
    this.clearReconnectTimer();
    if (this.conn) this.drop(this.conn, CloseCode.normal, error.message);
    this.emitError(error);
    this.stopAll(error);
  }

  private stopAll(error: ImClientError): void {
    this.clearReconnectTimer();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    for (const order of this.conversations.values()) this.clearGapTimer(order);
    for (const send of [...this.pending.values()]) {
      this.settleSend(send);
      send.reject(new ImClientError(error.code, error.message, { cid: send.cid, cause: error }));
    }
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
    this.setState("closed");
  }

  private settleConnect(frame: ReadyFrame): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const waiter of waiters) waiter.resolve(frame);
  }

  // ---------------------------------------------------------------- inbound frames

  private handleText(conn: Connection, text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch (cause) {
      this.emitError(
        new ImClientError("bad_request", `${PREFIX} malformed frame from server`, { cause }),
      );
      return;
    }
    if (typeof frame !== "object" || frame === null) return;
    if (!conn.ready && frame.type !== "ready" && frame.type !== "error") return;
    switch (frame.type) {
      case "ready":
        this.onReady(conn, frame);
        break;
      case "message":
        this.onMessage(frame);
        break;
      case "sent":
        this.onSent(frame);
        break;
      case "synced":
        this.onSynced(frame);
        break;
      case "error":
        this.onErrorFrame(frame.code as ErrorCode, frame.message, frame.cid);
        break;
      case "pong":
        this.onPong(frame.ts);
        break;
      case "auth_expiring":
        void this.reauthenticate(conn);
        break;
      case "receipt":
        this.safeEmit("receipt", frame);
        break;
      case "receipts":
        // Held answers first (`sent-batch`): a receipt in the same frame may be about them.
        for (const answer of frame.sent ?? []) this.onSent({ type: "sent", ...answer });
        // Batched receipts (§5.3): the same `receipt` events as one frame each would give.
        for (const receipt of frame.receipts)
          this.safeEmit("receipt", { type: "receipt", ...receipt });
        break;
      case "recalled":
        this.safeEmit("recalled", frame);
        break;
      case "change":
        if (this.changes?.onChange(frame.change, this.syncInFlight)) {
          this.safeEmit("change", frame.change);
        }
        break;
      case "applied":
        this.changes?.onApplied(frame.cid, frame.changeSeq);
        break;
      case "forwarded":
        this.forwards.onForwarded(frame);
        break;
      case "typing":
        this.safeEmit("typing", frame);
        break;
      case "signal":
        this.safeEmit("signal", frame);
        break;
      case "presence":
        this.safeEmit("presence", frame);
        break;
      case "group":
        this.safeEmit("group", frame);
        break;
      case "contact":
        this.safeEmit("contact", frame);
        break;
      case "presence_state":
        this.safeEmit("presenceState", frame);
        break;
      case "profile":
        this.safeEmit("profile", frame);
        break;
      case "conversation_settings":
        this.safeEmit("conversationSettings", frame);
        break;
      default:
        // Frames added by later protocol versions are ignored.
        break;
    }
  }

  private onReady(conn: Connection, frame: ReadyFrame): void {
    if (conn.ready) {
      this.safeEmit("reauthenticated", frame);
      return;
    }
    conn.ready = true;
    conn.maxAcksPerFrame = frame.capabilities?.includes(CAPABILITY_ACK_BATCH)
      ? Math.max(1, frame.maxAcksPerFrame ?? 1)
      : 0;
    if (conn.connectTimer) clearTimeout(conn.connectTimer);
    conn.connectTimer = undefined;
    this.attempt = 0;
    this.authFailures = 0;
    if (this.userIdValue !== undefined && this.userIdValue !== frame.userId) {
      // Another account: nothing of the previous user's state applies. Its cursors are saved,
      // but its acks must not go out: this connection already belongs to the new user.
      this.unacked.clear();
      this.flushAcks();
      for (const order of this.conversations.values()) this.clearGapTimer(order);
      this.conversations.clear();
      this.unacked.clear();
      this.ackedThisConnection.clear();
      this.pendingReads.clear();
      for (const send of [...this.pending.values()]) {
        this.settleSend(send);
        send.reject(
          new ImClientError("conflict", `${PREFIX} the token is for another user now`, {
            cid: send.cid,
          }),
        );
      }
      this.cursorsLoadedFor = undefined;
    }
    this.userIdValue = frame.userId;
    this.lastReady = frame;
    this.startHeartbeat(conn, frame.heartbeatMs);
    // Hold frames until the cursors are loaded: the sync must name them.
    conn.inbox = [];
    void this.loadCursors(frame.userId).then(() => {
      if (conn !== this.conn || conn.closed) return;
      const inbox = conn.inbox ?? [];
      conn.inbox = undefined;
      this.setState("open");
      this.safeEmit("ready", frame);
      if (this.presenceWatch.length > 0)
        this.sendNow({ type: "presence_subscribe", userIds: this.presenceWatch });
      this.requestSync();
      this.flushReads();
      for (const conversationId of this.ackedThisConnection) this.unacked.add(conversationId);
      this.ackedThisConnection.clear();
      this.flushAcks();
      for (const send of this.pending.values()) {
        if (send.retryTimer) clearTimeout(send.retryTimer);
        send.retryTimer = undefined;
        this.write(send.text);
      }
      this.settleConnect(frame);
      for (const text of inbox) {
        if (conn !== this.conn || conn.closed) break;
        this.handleText(conn, text);
      }
    });
  }

  private async loadCursors(userId: string): Promise<void> {
    if (this.cursorsLoadedFor === userId) return;
    let saved: Record<string, number> = {};
    try {
      saved = await this.store.load(userId);
    } catch (cause) {
      this.emitError(
        new ImClientError("internal", `${PREFIX} cursor store load failed`, { cause }),
      );
    }
    if (this.userIdValue !== userId) return;
    for (const [conversationId, seq] of Object.entries(saved)) {
      const order = this.order(conversationId);
      order.anchorAt(seq);
    }
    this.cursorsLoadedFor = userId;
  }

  private startHeartbeat(conn: Connection, serverHeartbeatMs: number): void {
    const interval = this.heartbeatOverride ?? serverHeartbeatMs;
    if (!interval || interval <= 0) return;
    const every = Math.max(1000, interval);
    conn.heartbeatTimer = unref(
      setInterval(() => {
        if (conn.closed || !conn.ready || conn.socket.readyState !== 1) return;
        // One heartbeat ping at a time; its timeout (sendPing) drops a dead connection.
        if (conn.heartbeatPingTs !== undefined && this.pings.has(conn.heartbeatPingTs)) return;
        this.sendPing(conn, false).catch(() => {
          // Timed out or the connection closed: the timeout already acted on it.
        });
      }, every),
    );
  }

  /**
   * Sends a `ping` whose answer is awaited for pingTimeoutMs from when it
   * actually leaves the pacer (a backlog of paced frames is not the server's
   * delay). The application's pings can be refused by `maxQueuedFrames`; the
   * heartbeat's cannot.
   */
  private sendPing(conn: Connection, fromApplication: boolean): Promise<number> {
    const ts = this.nextPingTs();
    return new Promise<number>((resolve, reject) => {
      const ping: PendingPing = {
        sentAt: Date.now(),
        receivedBefore: conn.received,
        timeoutTimer: undefined,
        resolve,
        reject,
      };
      const onSent = () => {
        ping.sentAt = Date.now();
        ping.receivedBefore = conn.received;
        if (this.pingTimeoutMs <= 0 || this.pings.get(ts) !== ping) return;
        ping.timeoutTimer = unref(
          setTimeout(() => this.onPingTimeout(conn, ts, ping), this.pingTimeoutMs),
        );
      };
      const text = JSON.stringify({ type: "ping", ts });
      this.pings.set(ts, ping);
      if (!fromApplication) {
        conn.heartbeatPingTs = ts;
        conn.pacer.write(text, { onSent });
      } else if (!conn.pacer.offer(text, { onSent })) {
        this.pings.delete(ts);
        reject(this.queueFullError(undefined));
      }
    });
  }

  private onPingTimeout(conn: Connection, ts: number, ping: PendingPing): void {
    ping.timeoutTimer = undefined;
    if (this.pings.get(ts) !== ping) return;
    this.pings.delete(ts);
    // Any frame since the ping left proves the connection alive (the pong may just be
    // slow behind other traffic); only silence means it is dead. A throttled background
    // tab fires this timer late, but its pong or any frame will have come in by then.
    const silent = conn.received === ping.receivedBefore;
    ping.reject(
      new ImClientError(
        "unavailable",
        `${PREFIX} no pong within pingTimeoutMs=${this.pingTimeoutMs}${silent ? "; the connection is dead, reconnecting" : ""}`,
      ),
    );
    if (silent && !conn.closed && conn === this.conn) this.drop(conn, 4000, "ping timeout");
  }

  private async reauthenticate(conn: Connection): Promise<void> {
    // A fixed token cannot be refreshed; the server will close with 4401 at expiry.
    if (!this.connectOptions?.getToken) return;
    let token: string;
    try {
      token = await this.connectOptions.getToken();
    } catch (cause) {
      // The connection stays open until the token expires (4401); the reconnect after
      // that asks getToken again, retrying a passing failure and stopping on a final one.
      const code = isFinalTokenFailure(cause) ? "unauthorized" : "unavailable";
      this.emitError(new ImClientError(code, `${PREFIX} getToken failed`, { cause }));
      return;
    }
    if (conn !== this.conn || conn.closed || conn.socket.readyState !== 1) return;
    conn.pacer.write(JSON.stringify(this.authFrame(token)));
  }

  private onPong(ts: number | undefined): void {
    if (ts === undefined) return;
    const ping = this.pings.get(ts);
    if (!ping) return;
    this.pings.delete(ts);
    if (ping.timeoutTimer) clearTimeout(ping.timeoutTimer);
    ping.resolve(Date.now() - ping.sentAt);
  }

  private nextPingTs(): number {
    this.lastPingTs = Math.max(Date.now(), this.lastPingTs + 1);
    return this.lastPingTs;
  }

  private onErrorFrame(code: ErrorCode, message: string, cid: string | undefined): void {
    const error = new ImClientError(code, `${PREFIX} server error: ${message}`, { cid });
    if (this.changes?.onError(cid, error)) return;
    if (this.forwards.onError(cid, error)) return;
    const send = cid === undefined ? undefined : this.pending.get(cid);
    if (send) {
      if (code === "rate_limited" && send.retries < this.maxRateLimitedRetries) {
        // Not an answer about the message itself: try again later, same cid.
        const delay = backoffDelay(
          send.retries++,
          this.sendRetryDelayMs,
          this.sendRetryDelayMs * 16,
        );
        if (send.retryTimer) clearTimeout(send.retryTimer);
        send.retryTimer = unref(
          setTimeout(() => {
            send.retryTimer = undefined;
            if (this.pending.get(send.cid) === send && this.isLive()) this.write(send.text);
          }, delay),
        );
        return;
      }
      this.settleSend(send);
      send.reject(error);
      return;
    }
    this.emitError(error);
  }

  // ---------------------------------------------------------------- ordering

  private order(conversationId: string): ConversationOrder {
    let order = this.conversations.get(conversationId);
    if (!order) {
      order = new ConversationOrder();
      this.conversations.set(conversationId, order);
    }
    return order;
  }

  private onMessage(frame: MessageFrame): void {
    const own = this.pending.get(frame.cid);
    if (own && frame.from === this.userIdValue) {
      // Our own send, stored before a reconnect and returned by sync: that answers it.
      this.resolveSend(own, {
        cid: frame.cid,
        messageId: frame.messageId,
        conversationId: frame.conversationId,
        seq: frame.seq,
        ts: frame.ts,
      });
      this.accept(frame.conversationId, frame.seq, null);
      return;
    }
    this.accept(frame.conversationId, frame.seq, frame);
  }

  private onSent(frame: SentFrame): void {
    const { type: _type, ...result } = frame;
    const send = this.pending.get(frame.cid);
    if (send) this.resolveSend(send, result);
    this.accept(frame.conversationId, frame.seq, null);
  }

  /** Forgets a pending send (it got its answer). */
  private settleSend(send: PendingSend): void {
    this.pending.delete(send.cid);
    if (send.retryTimer) clearTimeout(send.retryTimer);
    send.retryTimer = undefined;
  }

  private resolveSend(send: PendingSend, result: SentResult): void {
    this.settleSend(send);
    send.resolve(result);
    this.safeEmit("sent", result);
  }

  /** Takes one seq of a conversation (a message, or `null` for our own send). */
  private accept(conversationId: string, seq: number, entry: OrderedEntry): void {
    const order = this.order(conversationId);
    if (!order.offer(seq, entry)) {
      // A duplicate: the server re-pushes until our ack covers it, so ack again.
      if (order.cursor !== undefined && seq <= order.cursor) this.markDelivered(conversationId);
      return;
    }
    // seq 1 starts every conversation: no need to wait for a sync to anchor it.
    if (order.cursor === undefined && seq === 1) order.anchorAt(0);
    this.release(conversationId, order);
    const dropped = order.trim(this.maxBuffered);
    if (dropped > 0) this.requestSync();
  }

  /** Emits what became contiguous and (re)arms the gap timer. */
  private release(conversationId: string, order: ConversationOrder): void {
    const before = order.cursor;
    let received = false;
    for (const entry of order.drain()) {
      if (!entry) continue;
      received = true;
      this.safeEmit("message", entry);
    }
    if (order.cursor !== before) {
      // Past our own sends only: the server moved our cursors when it stored them (§6.3), so
      // an ack would say nothing new; the cursor is still saved.
      if (received) this.markDelivered(conversationId);
      else this.markSaved(conversationId);
      order.gapRounds = 0;
      this.clearGapTimer(order);
    }
    if (order.waiting && !order.gapTimer && !this.syncInFlight) {
      order.gapTimer = unref(
        setTimeout(() => {
          order.gapTimer = undefined;
          if (order.waiting) this.requestSync();
        }, this.gapTimeoutMs),
      );
    }
  }

  private clearGapTimer(order: ConversationOrder): void {
    if (order.gapTimer) clearTimeout(order.gapTimer);
    order.gapTimer = undefined;
  }

  // ---------------------------------------------------------------- sync

  private requestSync(): void {
    if (!this.isLive()) return; // Every ready starts with a sync anyway.
    if (this.syncInFlight) {
      this.syncAgain = true;
      return;
    }
    this.syncInFlight = true;
    for (const order of this.conversations.values()) this.clearGapTimer(order);
    const cursors: Record<string, number> = {};
    let named = 0;
    for (const [conversationId, order] of this.conversations) {
      if (order.cursor === undefined) continue;
      if (named++ >= this.maxSyncCursors) break;
      cursors[conversationId] = order.cursor;
    }
    const frame: ClientFrame =
      this.syncLimit === undefined
        ? { type: "sync", cursors }
        : { type: "sync", cursors, limit: this.syncLimit };
    if (this.changes) frame.changes = this.changes.syncField();
    this.write(JSON.stringify(frame));
  }

  private onSynced(frame: SyncedFrame): void {
    this.syncInFlight = false;
    this.changes?.onSynced(frame);
    // Messages the server no longer has (its retention): skip them at once, and say so,
    // rather than keep asking for them.
    for (const { conversationId, oldestSeq } of frame.conversations) {
      if (oldestSeq === undefined) continue;
      const order = this.order(conversationId);
      const before = order.cursor;
      if (before !== undefined && before >= oldestSeq - 1) continue;
      order.anchorAt(oldestSeq - 1);
      order.gapRounds = 0;
      if (before !== undefined) {
        this.markDelivered(conversationId);
        this.safeEmit("trimmed", { conversationId, fromSeq: before + 1, toSeq: oldestSeq - 1 });
      }
    }
    const lastSeq = new Map(frame.conversations.map((c) => [c.conversationId, c.lastSeq]));
    for (const [conversationId, order] of this.conversations) {
      if (order.cursor !== undefined) continue;
      // Not anchored yet: this sync started it right after the server's
      // delivered cursor, so the lowest seq received is the first one.
      const min = order.minBuffered();
      if (min !== undefined) order.anchorAt(min - 1);
      else if (!frame.more && lastSeq.has(conversationId))
        order.anchorAt(lastSeq.get(conversationId)!);
    }
    if (!frame.more) {
      // Every conversation the client does not know yet, with nothing to deliver.
      for (const [conversationId, seq] of lastSeq) {
        if (!this.conversations.has(conversationId)) this.order(conversationId).anchorAt(seq);
      }
    }
    const complete = !frame.more && !this.syncAgain;
    for (const [conversationId, order] of this.conversations) {
      if (complete && order.waiting && order.cursor !== undefined) {
        // A hole a complete sync did not fill: the server may not have that seq
        // for this user; after maxGapSyncs rounds, skip it rather than wait forever.
        if (order.gapCursor === order.cursor) order.gapRounds++;
        else {
          order.gapCursor = order.cursor;
          order.gapRounds = 1;
        }
        if (order.gapRounds >= this.maxGapSyncs) {
          order.anchorAt(order.minBuffered()! - 1);
          order.gapRounds = 0;
        }
      }
      this.release(conversationId, order);
    }
    this.safeEmit("synced", frame);
    if (frame.more || this.syncAgain) {
      this.syncAgain = false;
      this.requestSync();
    }
  }

  // ---------------------------------------------------------------- acks, reads, cursors

  private markDelivered(conversationId: string): void {
    this.unacked.add(conversationId);
    this.markSaved(conversationId);
  }

  /** Schedules saving the conversation's cursor (on the ack timer's beat) without an ack. */
  private markSaved(conversationId: string): void {
    this.unsaved.add(conversationId);
    if (!this.ackTimer) {
      this.ackTimer = unref(setTimeout(() => this.flushAcks(), this.ackDelayMs));
    }
  }

  /**
   * Sends one cumulative ack per conversation and saves the cursors. When the server takes
   * `acks` frames (§3.3), the acks of several conversations share frames of at most its
   * `maxAcksPerFrame` entries; one conversation alone still gets an `ack` frame.
   */
  private flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.isLive()) {
      const acks: { conversationId: string; seq: number }[] = [];
      for (const conversationId of this.unacked) {
        const cursor = this.conversations.get(conversationId)?.cursor;
        if (cursor === undefined || cursor <= 0) continue;
        acks.push({ conversationId, seq: cursor });
        this.ackedThisConnection.add(conversationId);
      }
      this.unacked.clear();
      this.writeAcks(acks);
    }
    const userId = this.userIdValue;
    if (userId === undefined || this.unsaved.size === 0) return;
    const cursors: Record<string, number> = {};
    for (const conversationId of this.unsaved) {
      const cursor = this.conversations.get(conversationId)?.cursor;
      if (cursor !== undefined) cursors[conversationId] = cursor;
    }
    this.unsaved.clear();
    // Saves run one after another so they land in order.
    this.saving = this.saving.then(() =>
      this.store.save(userId, cursors).catch((cause: unknown) => {
        this.emitError(
          new ImClientError("internal", `${PREFIX} cursor store save failed`, { cause }),
        );
      }),
    );
  }

  private flushReads(): void {
    const conn = this.conn;
    if (!conn || !this.isLive()) return;
    for (const [conversationId, seq] of this.pendingReads) {
      // A lower read would change nothing on the server; skipping it also lets a keyed
      // read that still waits in the pacer only ever be raised, never lowered.
      if (seq <= (conn.readsWritten.get(conversationId) ?? -1)) continue;
      conn.readsWritten.set(conversationId, seq);
      this.write(JSON.stringify({ type: "read", conversationId, seq }), `read:${conversationId}`);
    }
    this.pendingReads.clear();
  }

  /** Sends a frame the application asked for; false when not connected or the pacer is full. */
  /** Sends a change frame with a fresh cid and waits for its `applied`. */
  private sendChange(
    frame: Extract<ClientFrame, { type: "edit" | "react" | "pin" | "delete_for_me" | "clear" }>,
  ): Promise<AppliedResult> {
    if (!this.changes) {
      return Promise.reject(
        new ImClientError(
          "bad_request",
          `${PREFIX} changes are off: create the client with changes: true`,
        ),
      );
    }
    const cid = this.generateCid();
    const answered = this.changes.wait(cid);
    if (!this.sendNow({ ...frame, cid })) {
      this.changes.onError(
        cid,
        new ImClientError("unavailable", `${PREFIX} not connected, or the outgoing queue is full`, {
          cid,
        }),
      );
    }
    return answered;
  }

  private sendNow(frame: ClientFrame): boolean {
    if (!this.isLive()) return false;
    return this.conn!.pacer.offer(JSON.stringify(frame));
  }

  /** Writes one of the client's own frames on the current connection, paced (never refused). */
  /** Writes acks: in `acks` frames when the server takes them and there are several, else one by one. */
  private writeAcks(acks: readonly { conversationId: string; seq: number }[]): void {
    const perFrame = this.conn?.maxAcksPerFrame ?? 0;
    if (perFrame > 0 && acks.length > 1) {
      for (let i = 0; i < acks.length; i += perFrame) {
        const chunk = acks.slice(i, i + perFrame);
        if (chunk.length === 1) this.writeAck(chunk[0]!);
        else this.write(JSON.stringify({ type: "acks", acks: chunk }));
      }
      return;
    }
    for (const ack of acks) this.writeAck(ack);
  }

  /** One conversation's `ack`, keyed: a newer cumulative ack replaces one still waiting in the pacer. */
  private writeAck(ack: { conversationId: string; seq: number }): void {
    this.write(
      JSON.stringify({ type: "ack", conversationId: ack.conversationId, seq: ack.seq }),
      `ack:${ack.conversationId}`,
    );
  }

  private write(text: string, key?: string): void {
    this.conn?.pacer.write(text, { key });
  }

  private queueFullError(cid: string | undefined): ImClientError {
    return new ImClientError(
      "rate_limited",
      `${PREFIX} outgoing queue full: ${this.maxQueuedFrames} frames wait under maxFramesPerSecond=${this.maxFramesPerSecond} (maxQueuedFrames); retry later`,
      { cid },
    );
  }

  // ---------------------------------------------------------------- events

  private emitError(error: ImClientError): void {
    try {
      this.emit("error", error);
    } catch {
      // An error listener that throws must not break the client.
    }
  }

  private safeEmit<K extends keyof ImClientEvents>(
    event: K,
    ...args: Parameters<ImClientEvents[K]>
  ): void {
    try {
      (this.emit as (e: K, ...a: Parameters<ImClientEvents[K]>) => boolean)(event, ...args);
    } catch (cause) {
      this.emitError(
        new ImClientError("internal", `${PREFIX} a "${String(event)}" listener threw`, { cause }),
      );
    }
  }
}

/**
 * Creates a Lucky IM client.
 *
 * @example Browser
 * ```ts
 * const client = createImClient({ cursorStore: createLocalStorageCursorStore() });
 * client.on("message", (m) => render(m));
 * await client.connect({ url: "wss://chat.example.com/ws", getToken: () => auth.accessToken() });
 * const { seq } = await client.send({ type: "user", id: "bob" }, { type: "text", text: "hi" });
 * ```
 *
 * @example Node.js
 * ```ts
 * import { WebSocket } from "ws";
 * const client = createImClient({ WebSocket });
 * ```
 */
export function createImClient(options: ImClientOptions = {}): ImClient {
  return new ImClient(options);
}
