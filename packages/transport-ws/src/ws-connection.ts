import type { Duplex } from "node:stream";
import type { ConnectionHandler, ConnectionInfo, TransportConnection } from "@lucky-im/core";
import {
  type BackgroundErrorHandler,
  CloseCode,
  ImError,
  reportBackgroundError,
} from "@lucky-im/core";
import { type RawData, WebSocket } from "ws";

/** Close code for a binary frame: the protocol carries JSON text only. */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** Close code reported to the engine when the socket was dropped without a closing handshake. */
export const CLOSE_ABNORMAL = 1006;
/** Close code when the engine's handler failed: the server cannot go on with this connection. */
export const CLOSE_INTERNAL_ERROR = 1011;
/** How often a pending `waitForDrain` re-checks the queue besides the socket's `drain` events. */
const DRAIN_POLL_MS = 25;
/** Pongs a peer may miss in a row before it is terminated. */
const MAX_MISSED_PONGS = 2;
/** A close reason is at most 123 bytes on the wire (RFC 6455, 5.5). */
const MAX_REASON_BYTES = 123;

/** What a {@link WsConnection} needs from its transport. */
export interface WsConnectionSettings {
  highWaterMark: number;
  maxBufferedBytes: number;
  slowClientTimeoutMs: number;
  /** How long a close waits for the peer's closing handshake before destroying the socket. */
  closeTimeoutMs: number;
  /** Turns a frame into bytes; shared so a frame fanned out to many sockets is encoded once. */
  encode(data: string): Buffer;
  /** Reports a server-side fault. */
  onError: BackgroundErrorHandler;
  /** Called once, after the engine's `onClose`. */
  onClosed(connection: WsConnection): void;
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** The close code ws sends for one of its `WS_ERR_*` receiver errors. */
function protocolErrorCloseCode(code: string): number {
  if (code.startsWith("WS_ERR_UNSUPPORTED_")) return CloseCode.tooLarge;
  if (code === "WS_ERR_TOO_MANY_BUFFERED_PARTS") return CloseCode.policyViolation;
  if (code === "WS_ERR_INVALID_UTF8") return 1007;
  return 1002;
}

function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  // Cut by bytes, then drop a possibly split trailing character.
  return Buffer.from(reason)
    .subarray(0, MAX_REASON_BYTES)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

/**
 * One WebSocket as the engine sees it: frames out with backpressure, frames
 * in to the engine's handler, a heartbeat state, one `onClose`.
 */
export class WsConnection implements TransportConnection {
  readonly id: string;
  readonly info: ConnectionInfo;
  readonly #ws: WebSocket;
  readonly #settings: WsConnectionSettings;
  #handler: ConnectionHandler | undefined;
  #missedPongs = 0;
  /** Set when this side decided to close: reported to the engine instead of the peer's echo. */
  #localClose: { code: number; reason: string } | undefined;
  #slowTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #drainWaiters: Array<{ maxBytes: number; resolve: (drained: boolean) => void }> = [];
  #drainPoll: NodeJS.Timeout | undefined;
  /** The TCP socket under `ws`, corked from a tick's first frame until the tick ends. */
  readonly #socket: Duplex;
  #corked = false;
  readonly #uncork = () => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(
    id: string,
    info: ConnectionInfo,
    ws: WebSocket,
    socket: Duplex,
    settings: WsConnectionSettings,
  ) {
    this.id = id;
    this.info = info;
    this.#ws = ws;
    this.#socket = socket;
    this.#settings = settings;
    ws.on("message", (data, isBinary) => this.#message(data, isBinary));
    ws.on("pong", () => {
      this.#missedPongs = 0;
    });
    // Peer protocol errors (oversized or invalid frames): ws closes with the
    // fitting code itself, but its close event then says 1006; keep the real one.
    ws.on("error", (error: Error & { code?: string }) => {
      const code = error.code?.startsWith("WS_ERR_")
        ? protocolErrorCloseCode(error.code)
        : undefined;
      if (code !== undefined && this.#localClose === undefined) {
        this.#localClose = { code, reason: error.message };
      }
    });
    ws.once("close", (code, reason) => this.#closed(code, reason.toString("utf8")));
    socket.on("drain", () => this.#checkDrain());
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Hands inbound frames and the close to the engine's handler. */
  bind(handler: ConnectionHandler): void {
    this.#handler = handler;
  }

  #message(data: RawData, isBinary: boolean): void {
    const handler = this.#handler;
    if (handler === undefined || this.#localClose !== undefined) return;
    if (isBinary) {
      this.close(CLOSE_UNSUPPORTED_DATA, "binary frames are not supported");
      return;
    }
    try {
      handler.onFrame(toText(data));
    } catch (cause) {
      this.#fault("onFrame", cause);
    }
  }

  send(data: string): boolean {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN || this.#localClose !== undefined) return false;
    const { highWaterMark, maxBufferedBytes } = this.#settings;
    const encoded = this.#settings.encode(data);
    if (ws.bufferedAmount + encoded.length > maxBufferedBytes) {
      // Never drop a frame and keep the connection: the client reconnects and syncs instead.
      this.close(CloseCode.tooSlow, "too slow: send queue full");
      return false;
    }
    if (!this.#corked) {
      // Frames sent to this socket in the same tick (a sync page, a burst of receipts) leave in
      // one write instead of one syscall each; ws's own cork/uncork per frame nests inside.
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    ws.send(encoded, { binary: false });
    if (ws.bufferedAmount > highWaterMark) this.#markSlow();
    return true;
  }

  waitForDrain(maxBufferedBytes: number): Promise<boolean> {
    if (this.#ws.readyState !== WebSocket.OPEN || this.#localClose !== undefined) {
      return Promise.resolve(false);
    }
    if (this.#ws.bufferedAmount <= maxBufferedBytes) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.#drainWaiters.push({ maxBytes: maxBufferedBytes, resolve });
      // The socket's `drain` comes only after a write it refused; ws can also hold
      // frames of its own: a slow poll covers both.
      if (this.#drainPoll === undefined) {
        this.#drainPoll = setInterval(() => this.#checkDrain(), DRAIN_POLL_MS);
        this.#drainPoll.unref();
      }
    });
  }

  close(code: number, reason = ""): void {
    const ws = this.#ws;
    if (this.#localClose !== undefined || ws.readyState >= WebSocket.CLOSING) return;
    this.#localClose = { code, reason };
    this.#checkDrain();
    try {
      ws.close(code, truncateReason(reason));
    } catch {
      // An invalid close code: drop the socket rather than leave it open.
      ws.terminate();
      return;
    }
    // A peer that never answers the closing handshake must not hold the socket.
    this.#closeTimer = setTimeout(() => ws.terminate(), this.#settings.closeTimeoutMs);
    this.#closeTimer.unref();
  }

  /**
   * One heartbeat tick: terminates a peer that missed too many pongs, else
   * pings it. Returns false when the peer was terminated.
   */
  heartbeat(): boolean {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN) return true;
    if (this.#missedPongs >= MAX_MISSED_PONGS) {
      this.terminate(CLOSE_ABNORMAL, "heartbeat timeout");
      return false;
    }
    this.#missedPongs++;
    ws.ping();
    return true;
  }

  /** Drops the socket at once (no closing handshake); `code` is what the engine is told. */
  terminate(code: number, reason: string): void {
    if (this.#localClose === undefined) this.#localClose = { code, reason };
    this.#checkDrain();
    this.#ws.terminate();
  }

  #checkDrain(): void {
    const buffered = this.#ws.bufferedAmount;
    if (buffered <= this.#settings.highWaterMark) this.#clearSlow();
    if (this.#drainWaiters.length === 0) return;
    const open = this.#ws.readyState === WebSocket.OPEN && this.#localClose === undefined;
    const settled = this.#drainWaiters.filter((w) => !open || buffered <= w.maxBytes);
    if (settled.length === 0) return;
    this.#drainWaiters = this.#drainWaiters.filter((w) => !settled.includes(w));
    for (const waiter of settled) waiter.resolve(open);
    if (this.#drainWaiters.length === 0) {
      clearInterval(this.#drainPoll);
      this.#drainPoll = undefined;
    }
  }

  #markSlow(): void {
    if (this.#slowTimer !== undefined) return;
    this.#slowTimer = setTimeout(() => {
      this.#slowTimer = undefined;
      if (this.#ws.bufferedAmount > this.#settings.highWaterMark) {
        // The close frame queues behind the backlog: a slow reader gets everything, then
        // 4008; one that does not read at all is destroyed after closeTimeoutMs.
        this.close(CloseCode.tooSlow, "too slow: reads slower than it is sent to");
      }
    }, this.#settings.slowClientTimeoutMs);
    this.#slowTimer.unref();
  }

  #clearSlow(): void {
    if (this.#slowTimer === undefined) return;
    clearTimeout(this.#slowTimer);
    this.#slowTimer = undefined;
  }

  #closed(code: number, reason: string): void {
    this.#clearSlow();
    clearTimeout(this.#closeTimer);
    this.#checkDrain();
    const local = this.#localClose;
    try {
      this.#handler?.onClose(local?.code ?? code, local?.reason ?? reason);
    } catch (cause) {
      this.#fault("onClose", cause);
    }
    this.#settings.onClosed(this);
  }

  #fault(where: string, cause: unknown): void {
    reportBackgroundError(
      this.#settings.onError,
      new ImError("internal", `[lucky-im] [transport-ws] the engine's ${where} threw`, { cause }),
      `the engine's ${where}`,
    );
    this.close(CLOSE_INTERNAL_ERROR, "internal error");
  }
}
