import type { SentFrame } from "@lucky-im/protocol";
import type { BackoffOptions } from "./backoff.js";
import type { ClientCursorStore } from "./cursor-store.js";
import type { WebSocketConstructor } from "./websocket-like.js";

/** Where the client's connection stands. */
export type ClientState = "connecting" | "open" | "reconnecting" | "closed";

/** What `send` resolves to: the server's `sent` answer. */
export type SentResult = Omit<SentFrame, "type">;

/** The device this connection is, sent in `auth` (for multi-device policy). */
export interface DeviceInfo {
  /** A stable id of this device or installation. */
  id?: string;
  /** A device class such as `web`, `mobile`, `desktop`. */
  class?: string;
}

/** Options of {@link createImClient}. */
export interface ImClientOptions {
  /**
   * The WebSocket class. Browsers have one; in Node.js pass `WebSocket` from
   * the `ws` package (`import { WebSocket } from "ws"`).
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Where cursors are kept between runs; use {@link createLocalStorageCursorStore}
   * in browsers so a reopened app resumes without downloading history again.
   * @default createMemoryCursorStore()
   */
  cursorStore?: ClientCursorStore;
  /**
   * Sent in `auth` as `device`.
   * @default undefined (no device field)
   */
  device?: DeviceInfo;
  /**
   * Reconnect backoff (jittered exponential).
   * @default { initialDelayMs: 500, maxDelayMs: 30000, maxAttempts: Infinity, rateLimitedDelayMs: 15000 }
   */
  reconnect?: BackoffOptions;
  /**
   * After this many 4401 closes in a row (each followed by a fresh `getToken`),
   * stop with an `unauthorized` error.
   * @default 3
   */
  maxAuthRetries?: number;
  /**
   * A connection that has not received `ready` within this time is dropped and
   * retried, in milliseconds.
   * @default 15000
   */
  connectTimeoutMs?: number;
  /**
   * Interval of the client's heartbeat `ping`, in milliseconds (browsers cannot
   * see the server's WebSocket pings, so this is how a dead connection shows);
   * see {@link ImClientOptions.pingTimeoutMs} for when it counts as dead.
   * 0 disables it.
   * @default the `heartbeatMs` of the server's `ready`
   */
  heartbeatMs?: number;
  /**
   * How long a `ping` (the heartbeat's or `client.ping()`'s) may wait for
   * its answer after it went out, in milliseconds. If the connection received
   * no frame at all in that time it is dead: the client drops it and
   * reconnects (a `disconnect` with code 1006, then backoff). A late pong on a
   * connection that still receives other frames only rejects that `ping()`.
   * 0 disables the timeout (a `ping()` then waits until the connection closes).
   * @default 10000
   */
  pingTimeoutMs?: number;
  /**
   * Acks are batched: one cumulative `ack` per conversation per window of this
   * many milliseconds. Cursors are saved to the store on the same beat.
   * @default 50
   */
  ackDelayMs?: number;
  /**
   * Announce `sent-batch` (docs/protocol.md §1.8): the server may hold the answer to a direct
   * `send` until the recipient's `delivered` receipt (at most its `delivery.sentHoldMs`, 100 ms
   * by default) and send both in one frame, which saves the server a frame per message. The
   * `send()` promise and the `sent` event then come up to that much later. Turn it off when
   * the answer's latency matters more than the server's work (a bot measuring round trips).
   * @default true
   */
  combineSentWithReceipt?: boolean;
  /**
   * How long a missing seq may stay missing (messages behind it wait) before
   * the client asks for it with `sync`, in milliseconds.
   * @default 500
   */
  gapTimeoutMs?: number;
  /**
   * If a seq is still missing after this many complete `sync` rounds, the
   * server does not have it for this user (for example a group message from
   * before the user joined): the client skips it instead of waiting forever.
   * @default 2
   */
  maxGapSyncs?: number;
  /**
   * Most sends waiting for the server's answer; more are rejected with
   * `unavailable`.
   * @default 1000
   */
  maxPendingSends?: number;
  /**
   * Most out-of-order messages buffered per conversation; the highest ones
   * beyond it are dropped and fetched again by `sync`.
   * @default 1000
   */
  maxBufferedPerConversation?: number;
  /**
   * A `send` frame larger than this is rejected with `too_large` before it is
   * sent (the server would close the connection with 1009 and the retry would
   * loop), in bytes of UTF-8.
   * @default 65536
   */
  maxPayloadBytes?: number;
  /**
   * Ask for changes (docs/protocol.md §13): every `sync` names the last changeSeq per
   * conversation, `change` events come live and from sync, and `edit`, `react`, `pin`,
   * `deleteForMe` and `clear` work. Needs a server that serves §13.
   * @default false
   */
  changes?: boolean;
  /**
   * `limit` of each `sync` (messages per page).
   * @default undefined (the server's page size)
   */
  syncLimit?: number;
  /**
   * Most cursors named in one `sync`; conversations beyond it are synced from
   * the server's delivered cursor. Keep it at or below the server's limit.
   * @default 10000
   */
  maxSyncCursors?: number;
  /**
   * Most frames sent per second (any one-second window), so that a burst such
   * as the sends queued while offline does not trip the server's rate limit
   * (its default is 40); frames over it wait in order. 0 disables pacing.
   * @default 30
   */
  maxFramesPerSecond?: number;
  /**
   * Most frames waiting for their turn under {@link ImClientOptions.maxFramesPerSecond}
   * when the application asks for one more. A `send` past it is rejected with
   * `rate_limited` (nothing sent; retry later, same `cid`), a `ping()` too, and
   * `recall`/`typing`/`signal` return false. The client's own frames (auth,
   * `sync`, cumulative `ack`s and `read`s, re-sends of accepted sends) are never
   * refused; their own limits (one per conversation, `maxPendingSends`) bound them.
   * Sends made while disconnected wait in `maxPendingSends`, not here.
   * @default 1000
   */
  maxQueuedFrames?: number;
  /**
   * A send refused with `rate_limited` is re-sent (same `cid`) after a
   * backoff, up to this many times, before its promise rejects.
   * @default 5
   */
  maxRateLimitedRetries?: number;
  /**
   * First delay before re-sending a send refused with `rate_limited`, in
   * milliseconds; it doubles with each retry (jittered).
   * @default 1000
   */
  sendRetryDelayMs?: number;
  /**
   * Generates a `cid` for a send that does not name one.
   * @default crypto.randomUUID (with a fallback where it is missing)
   */
  generateCid?: () => string;
}

/** Options of {@link ImClient.connect}. Give `token`, `getToken`, or both. */
export interface ConnectOptions {
  /**
   * The server's WebSocket URL, for example `wss://chat.example.com/ws`; or a function called
   * before every connection attempt, to move to another server after a disconnect (a list of
   * nodes, service discovery) without a load balancer.
   */
  url: string | (() => string | Promise<string>);
  /** A fixed access token. Without `getToken`, a 4401 close is final. */
  token?: string;
  /**
   * Returns a fresh access token. Called before every connection attempt,
   * after a 4401 close, and on `auth_expiring`.
   *
   * When it throws (or rejects) with an error whose `code` is `"unauthorized"`
   * (for example `new ImClientError("unauthorized", "refresh token revoked")`),
   * the answer is final: the client stops with an `unauthorized` error (the
   * user must log in again). Any other failure (the auth server is down, a
   * network error) is reported as an `error` event (`unavailable`, the failure
   * in `cause`) and the attempt is retried with the reconnect backoff
   * (`reconnect.maxAttempts` still applies).
   */
  getToken?: () => string | Promise<string>;
}

/** Options of {@link ImClient.send}. */
export interface SendOptions {
  /**
   * The client message id. Sending again with the same `cid` (even from a new
   * client instance) never stores the message twice.
   * @default a new UUID
   */
  cid?: string;
  /** The id of a message of the same conversation this one replies to (docs/protocol.md §13.2). */
  replyTo?: string;
  /** Mentioned user ids, or `["all"]` (docs/protocol.md §13.2). */
  mentions?: readonly string[];
}

/** Details of a closed connection. */
export interface DisconnectInfo {
  /** The WebSocket close code (1006 when the connection just dropped). */
  code: number;
  /** The WebSocket close reason (may be empty). */
  reason: string;
  /** False when the client stops (close(), 4409, auth given up). */
  willReconnect: boolean;
}
