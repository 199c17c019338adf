import type { Principal } from "../domain/session.js";

/** Facts about a connection that the transport learned at the handshake. */
export interface ConnectionInfo {
  /** The peer address, if known. */
  remoteAddress?: string;
  /** Set when the handshake carried a valid `Authorization: Bearer` token. */
  principal?: Principal;
  /** The raw token of an authenticated handshake (to re-check or expire it). */
  token?: string;
  /** Device hints from the handshake (for example `?deviceId=&deviceClass=`). */
  deviceId?: string;
  /** The device class hint from the handshake. */
  deviceClass?: string;
}

/** One client connection as the engine sees it. */
export interface TransportConnection {
  /** Unique per transport. */
  readonly id: string;
  /** What the handshake told about the client. */
  readonly info: ConnectionInfo;
  /** Bytes queued but not yet written to the socket. */
  readonly bufferedAmount: number;
  /**
   * Sends one serialized frame. Returns false when the frame was not sent: the
   * connection is closing or closed, or the frame would take the queue past the
   * transport's hard limit, in which case the transport closes the connection
   * with 4008 (`CloseCode.tooSlow`). A transport never drops a frame while
   * leaving the connection open: the client then reconnects and resumes from its
   * cursors, so what a lost `message` carried comes back by `sync`.
   */
  send(data: string): boolean;
  /**
   * Resolves `true` once at most `maxBufferedBytes` are queued (at once when that
   * is already so), or `false` when the connection is closing or closed. The
   * engine awaits it before each `sync` page so a client gets history no faster
   * than it reads. Optional, so transports written before it still fit: without
   * it the engine polls {@link bufferedAmount}.
   */
  waitForDrain?(maxBufferedBytes: number): Promise<boolean>;
  /** Closes with a protocol close code. Idempotent. */
  close(code: number, reason?: string): void;
}

/** The engine's callbacks for one connection. */
export interface ConnectionHandler {
  /** One inbound text frame. */
  onFrame(data: string): void;
  /** The connection closed (by either side). Called exactly once. */
  onClose(code: number, reason: string): void;
}

/** What a transport calls into: the engine. */
export interface TransportListener {
  /** Verifies a handshake token (rejects with `ImError("unauthorized")`). */
  authenticate(token: string): Promise<Principal>;
  /** A connection opened; returns its handler. */
  open(connection: TransportConnection): ConnectionHandler;
}

/**
 * Carries frames between clients and the engine (WebSocket, or in-memory for
 * tests). The transport owns sockets, handshake checks, heartbeats and
 * backpressure; the engine owns the protocol.
 */
export interface Transport {
  /**
   * The transport's ping interval, announced to clients in `ready` (the engine's
   * `heartbeatMs` option defaults to it).
   */
  readonly heartbeatMs?: number;
  /** Starts accepting connections and hands them to `listener`. */
  listen(listener: TransportListener): Promise<void>;
  /** Stops accepting; closes open connections with `code` (default 1001). Idempotent. */
  close(code?: number): Promise<void>;
}
