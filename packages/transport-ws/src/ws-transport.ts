import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import {
  addressLimitKey,
  CloseCode,
  type ConnectionInfo,
  hasErrorCode,
  ImError,
  isImError,
  PROTOCOL_NAME,
  type Principal,
  reportBackgroundError,
  type Transport,
  type TransportListener,
} from "@lucky-im/core";
import { type WebSocket, WebSocketServer } from "ws";
import { HeartbeatWheel } from "./heartbeat-wheel.js";
import { KeyedCounter } from "./keyed-counter.js";
import {
  bearerToken,
  deviceHints,
  pathOf,
  rejectUpgrade,
  remoteAddressOf,
} from "./upgrade-request.js";
import { CLOSE_INTERNAL_ERROR, WsConnection } from "./ws-connection.js";
import {
  type ResolvedWsTransportOptions,
  resolveWsTransportOptions,
  type WsTransportOptions,
} from "./ws-transport-options.js";

/**
 * A {@link Transport} over WebSocket (`ws`), attached to an HTTP server or
 * listening on a port of its own.
 */
export interface WsTransport extends Transport {
  /** The HTTP/HTTPS server the transport is attached to, or its own one. */
  readonly server: HttpServer | HttpsServer;
  /** The ping interval in ms (0: off); the engine announces it in `ready`. */
  readonly heartbeatMs: number;
  /** The largest inbound message in bytes. */
  readonly maxPayload: number;
  /** Open WebSocket connections. */
  readonly connectionCount: number;
  /** The address the server is bound to (read the port after `port: 0`), or null before `listen`. */
  address(): AddressInfo | string | null;
}

type State = "idle" | "listening" | "closing" | "closed";

/** Rejects with the status an authenticator failure maps to at the upgrade. */
function statusOfAuthError(error: unknown): number {
  if (hasErrorCode(error, "unauthorized")) return 401;
  if (hasErrorCode(error, "forbidden")) return 403;
  if (hasErrorCode(error, "rate_limited")) return 429;
  return 503;
}

/**
 * Creates a WebSocket {@link Transport}. The engine calls `listen` (from
 * `im.start()`) and `close` (from `im.close()`).
 *
 * What it does at the upgrade, in order: path (other paths are left to other
 * `upgrade` listeners, or 404), `Origin` allow-list (403), per-address cap
 * (429), `Authorization: Bearer` through `listener.authenticate` (401 for a
 * bad token; no header: the connection opens and the engine expects an `auth`
 * frame), per-user cap (429), then the WebSocket handshake selecting
 * `lucky-im.v1` when offered. Afterwards it pings every `heartbeatMs`, closes
 * a connection that stays over `highWaterMark` or reaches `maxBufferedBytes`
 * with 4008 (it never drops a frame and keeps the connection), and closes on a
 * binary frame (1003: the protocol is JSON text).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createImServer } from "@lucky-im/core";
 * import { createWsTransport } from "@lucky-im/transport-ws";
 *
 * const server = createServer(app); // Express, Koa, or a plain handler
 * const im = createImServer({ transport: createWsTransport({ server }), authenticator });
 * await im.start();
 * server.listen(8080);
 * ```
 */
export function createWsTransport(options: WsTransportOptions): WsTransport {
  const opts = resolveWsTransportOptions(options);
  return new WsTransportImpl(opts);
}

class WsTransportImpl implements WsTransport {
  readonly server: HttpServer | HttpsServer;
  readonly heartbeatMs: number;
  readonly maxPayload: number;
  readonly #opts: ResolvedWsTransportOptions;
  readonly #ownsServer: boolean;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<WsConnection>();
  /** Sockets between the upgrade request and the WebSocket handshake, to drop on close. */
  readonly #pending = new Set<Duplex>();
  readonly #perIp = new KeyedCounter();
  readonly #perUser = new KeyedCounter();
  #listener: TransportListener | undefined;
  #state: State = "idle";
  #closing: Promise<void> | undefined;
  /** Resolves `close()`'s wait once the last connection is gone. */
  #drained: (() => void) | undefined;
  /** Pings every connection once per `heartbeatMs`, a slice at a time; undefined when 0. */
  readonly #heartbeat: HeartbeatWheel<WsConnection> | undefined;
  #nextId = 0;
  readonly #idPrefix = `ws${Date.now().toString(36)}-`;
  /** The last frame encoded, so a fan-out of one string is encoded (and buffered) once. */
  #lastText: string | undefined;
  #lastBytes: Buffer | undefined;
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.#upgrade(req, socket, head);

  constructor(opts: ResolvedWsTransportOptions) {
    this.#opts = opts;
    this.heartbeatMs = opts.heartbeatMs;
    this.#heartbeat = opts.heartbeatMs > 0 ? new HeartbeatWheel(opts.heartbeatMs) : undefined;
    this.maxPayload = opts.maxPayload;
    this.#ownsServer = opts.server === undefined;
    this.server = opts.server ?? createServer(answerPlainHttp(opts.path));
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: opts.maxPayload,
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
    });
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  address(): AddressInfo | string | null {
    return this.server.address();
  }

  async listen(listener: TransportListener): Promise<void> {
    if (this.#state !== "idle") {
      throw new ImError(
        "conflict",
        `[lucky-im] [transport-ws] listen() called on a transport that is ${this.#state}`,
      );
    }
    this.#listener = listener;
    this.#state = "listening";
    this.server.on("upgrade", this.#onUpgrade);
    this.#heartbeat?.start();
    if (this.#ownsServer) {
      try {
        await listenOn(this.server, this.#opts.port ?? 0, this.#opts.host);
      } catch (cause) {
        await this.close();
        throw new ImError(
          "unavailable",
          `[lucky-im] [transport-ws] cannot listen on ${this.#opts.host ?? "*"}:${this.#opts.port}`,
          { cause },
        );
      }
    }
  }

  close(code: number = CloseCode.goingAway): Promise<void> {
    this.#closing ??= this.#close(code);
    return this.#closing;
  }

  async #close(code: number): Promise<void> {
    this.#state = "closing";
    this.server.off("upgrade", this.#onUpgrade);
    this.#heartbeat?.stop();
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
    const drained = new Promise<void>((resolve) => {
      if (this.#connections.size === 0) resolve();
      else this.#drained = resolve;
    });
    for (const connection of this.#connections) connection.close(code, "server going away");
    // A connection whose closing handshake exceeds closeTimeoutMs is destroyed.
    await drained;
    if (this.#ownsServer && this.server.listening) {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
    }
    this.#state = "closed";
  }

  #encode(data: string): Buffer {
    if (data !== this.#lastText || this.#lastBytes === undefined) {
      this.#lastBytes = Buffer.from(data, "utf8");
      this.#lastText = data;
    }
    return this.#lastBytes;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (pathOf(req.url) !== this.#opts.path) {
      // Another upgrade listener may own this path; when none does, the
      // socket would otherwise hang until the client gives up.
      if (this.#ownsServer || this.server.listenerCount("upgrade") <= 1) {
        rejectUpgrade(socket, 404, "not found");
      }
      return;
    }
    // Node removed its own error listener at the upgrade: a reset would crash the process.
    socket.on("error", destroySocket);
    if (this.#state !== "listening") {
      rejectUpgrade(socket, 503, "server is shutting down");
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && this.#opts.allowedOrigins && !this.#opts.allowedOrigins(origin)) {
      rejectUpgrade(socket, 403, "origin not allowed");
      return;
    }
    const remoteAddress = remoteAddressOf(req, this.#opts.trustProxy);
    // IPv6 clients count per /64: one host can take a fresh address of its /64 per connection.
    const ipKey = addressLimitKey(remoteAddress) ?? "unknown";
    const releaseIp = this.#perIp.acquire(ipKey, this.#opts.maxConnectionsPerIp);
    if (releaseIp === undefined) {
      rejectUpgrade(socket, 429, "too many connections from this address");
      return;
    }
    // The counts last as long as the TCP socket, whatever happens in between.
    socket.once("close", releaseIp);
    const token = bearerToken(req.headers.authorization);
    if (token === null) {
      rejectUpgrade(socket, 401, "unauthorized", { "WWW-Authenticate": "Bearer" });
      return;
    }
    const info: ConnectionInfo = { ...deviceHints(req.url) };
    if (remoteAddress !== undefined) info.remoteAddress = remoteAddress;
    if (token === undefined) {
      this.#complete(req, socket, head, info);
      return;
    }
    this.#authenticateThenComplete(req, socket, head, info, token);
  }

  #authenticateThenComplete(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    info: ConnectionInfo,
    token: string,
  ): void {
    const listener = this.#listener!;
    this.#pending.add(socket);
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      this.#pending.delete(socket);
      reportBackgroundError(
        this.#opts.onError,
        new ImError(
          "unavailable",
          `[lucky-im] [transport-ws] authenticate did not answer within ${this.#opts.handshakeTimeoutMs} ms`,
        ),
        "authenticating a handshake",
      );
      rejectUpgrade(socket, 503, "authentication timed out");
    }, this.#opts.handshakeTimeoutMs);
    timer.unref();
    const finish = (principal: Principal | undefined, error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#pending.delete(socket);
      if (socket.destroyed) return;
      if (this.#state !== "listening") {
        rejectUpgrade(socket, 503, "server is shutting down");
        return;
      }
      if (principal === undefined) {
        const status = statusOfAuthError(error);
        if (status === 503) {
          reportBackgroundError(
            this.#opts.onError,
            isImError(error)
              ? error
              : new ImError("unavailable", "[lucky-im] [transport-ws] authenticate failed", {
                  cause: error,
                }),
            "authenticating a handshake",
          );
        }
        const headers: Record<string, string> =
          status === 401 ? { "WWW-Authenticate": 'Bearer error="invalid_token"' } : {};
        rejectUpgrade(socket, status, status === 401 ? "unauthorized" : "rejected", headers);
        return;
      }
      const releaseUser = this.#perUser.acquire(principal.userId, this.#opts.maxConnectionsPerUser);
      if (releaseUser === undefined) {
        rejectUpgrade(socket, 429, "too many connections for this user");
        return;
      }
      socket.once("close", releaseUser);
      this.#complete(req, socket, head, { ...info, principal, token });
    };
    // Promise.resolve().then: an authenticate that throws synchronously is a rejection too.
    Promise.resolve()
      .then(() => listener.authenticate(token))
      .then(
        (principal) => finish(principal, undefined),
        (error: unknown) => finish(undefined, error),
      );
  }

  #complete(req: IncomingMessage, socket: Duplex, head: Buffer, info: ConnectionInfo): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off("error", destroySocket);
      this.#open(ws, socket, info);
    });
  }

  #open(ws: WebSocket, socket: Duplex, info: ConnectionInfo): void {
    const connection = new WsConnection(`${this.#idPrefix}${++this.#nextId}`, info, ws, socket, {
      highWaterMark: this.#opts.highWaterMark,
      maxBufferedBytes: this.#opts.maxBufferedBytes,
      slowClientTimeoutMs: this.#opts.slowClientTimeoutMs,
      closeTimeoutMs: this.#opts.closeTimeoutMs,
      encode: (data) => this.#encode(data),
      onError: this.#opts.onError,
      onClosed: (closed) => {
        this.#connections.delete(closed);
        this.#heartbeat?.delete(closed);
        if (this.#connections.size === 0) this.#drained?.();
      },
    });
    this.#connections.add(connection);
    this.#heartbeat?.add(connection);
    if (this.#state !== "listening") {
      connection.close(CloseCode.goingAway, "server going away");
      return;
    }
    try {
      connection.bind(this.#listener!.open(connection));
    } catch (cause) {
      reportBackgroundError(
        this.#opts.onError,
        new ImError("internal", "[lucky-im] [transport-ws] the engine's open threw", { cause }),
        "the engine's open",
      );
      connection.close(CLOSE_INTERNAL_ERROR, "internal error");
    }
  }
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** The own server's answer to plain HTTP requests: it only speaks WebSocket. */
function answerPlainHttp(path: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const status = pathOf(req.url) === path ? 426 : 404;
    const body = status === 426 ? "Upgrade Required\n" : "Not Found\n";
    res.writeHead(status, {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
      ...(status === 426 ? { Upgrade: "websocket" } : {}),
    });
    res.end(body);
  };
}

function listenOn(server: HttpServer | HttpsServer, port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}
