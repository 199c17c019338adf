import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import {
  type BackgroundErrorHandler,
  ConfigError,
  checkOption,
  consoleBackgroundErrors,
} from "@lucky-im/core";

/**
 * Options of {@link createWsTransport}. Pass either `server` (attach to an
 * existing HTTP/HTTPS server) or `port` (listen on a port of its own).
 */
export interface WsTransportOptions {
  /**
   * An existing server to attach to (Express, Fastify, Koa or plain
   * `node:http`). The transport handles its `upgrade` events for {@link path}
   * and never closes the server. Mutually exclusive with {@link port}.
   * @default undefined
   */
  server?: HttpServer | HttpsServer;
  /**
   * The port to listen on with a server of the transport's own (0 picks a
   * free port; read it with `address()`). Mutually exclusive with {@link server}.
   * @default undefined
   */
  port?: number;
  /**
   * The interface to bind with {@link port}.
   * @default undefined (every interface)
   */
  host?: string;
  /**
   * The URL path of the WebSocket endpoint. Upgrades for other paths are left
   * to other `upgrade` listeners, or answered 404 when nobody else listens.
   * @default "/ws"
   */
  path?: string;
  /**
   * The largest inbound message in bytes; a bigger one closes the connection
   * with 1009.
   * @default 65536 (64 KiB, the protocol default)
   */
  maxPayload?: number;
  /**
   * Exact `Origin` values a browser may connect from (anything else: HTTP 403),
   * or a function deciding. A request without `Origin` (not a browser) is
   * always allowed: Origin protects browsers' cookies, not the server.
   * @default undefined (every origin)
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean);
  /**
   * Open connections per user, enforced at the upgrade when it carries a
   * Bearer token (HTTP 429 beyond). Users who authenticate in-band are not
   * known to the transport at the upgrade. `Infinity` disables it.
   * @default 10
   */
  maxConnectionsPerUser?: number;
  /**
   * Open or handshaking connections per remote address (HTTP 429 beyond).
   * 1000 leaves room for many users behind one NAT (offices, mobile carriers'
   * CGNAT) while stopping one host from exhausting file descriptors. Behind a
   * reverse proxy every connection shares the proxy's address: set
   * {@link trustProxy} or raise this. Load tests from one machine must raise
   * it too. `Infinity` disables it.
   * @default 1000
   */
  maxConnectionsPerIp?: number;
  /**
   * How long an upgrade may take, including `authenticate` of a Bearer token;
   * past it the request is answered HTTP 503 and dropped.
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Interval of the server's ping. A peer that misses two pongs in a row is
   * terminated (close 1006). The engine sends this value in `ready`. 0 disables.
   * @default 25000
   */
  heartbeatMs?: number;
  /**
   * Bytes queued for one connection above which it counts as slow: frames still
   * queue (none is dropped), the engine holds its next `sync` page until the
   * queue is back under its `syncPageBytes`, and a connection that stays above
   * this for {@link slowClientTimeoutMs} is closed with 4008.
   * @default 1048576 (1 MiB)
   */
  highWaterMark?: number;
  /**
   * The hard limit of bytes queued for one connection: a frame that would take
   * the queue past it is not sent and the connection is closed with 4008 (the
   * client reconnects and resumes from its cursors). So one connection holds at
   * most this much memory for its outgoing frames.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * How long a connection may stay above {@link highWaterMark} before it is
   * closed with 4008 (too slow): it reads too slowly to be served.
   * @default 10000
   */
  slowClientTimeoutMs?: number;
  /**
   * How long a close waits for the peer's closing handshake before the socket
   * is destroyed.
   * @default 5000
   */
  closeTimeoutMs?: number;
  /**
   * Take the client address from the first hop of `X-Forwarded-For` (only
   * behind a proxy you control: the header is otherwise forged at will).
   * @default false
   */
  trustProxy?: boolean;
  /**
   * Receives server-side faults the transport cannot answer to a client, as an `ImError`
   * and what failed: an `authenticate` that failed other than `unauthorized` or did not
   * answer in time (`unavailable`), or an engine handler that threw (`internal`).
   * @default logs with `console.error`
   */
  onError?: BackgroundErrorHandler;
}

/** The options with every default filled in. */
export interface ResolvedWsTransportOptions
  extends Required<Omit<WsTransportOptions, "server" | "port" | "host" | "allowedOrigins">> {
  server: HttpServer | HttpsServer | undefined;
  port: number | undefined;
  host: string | undefined;
  allowedOrigins: ((origin: string) => boolean) | undefined;
}

/** Default values of {@link WsTransportOptions}. */
export const WS_TRANSPORT_DEFAULTS = Object.freeze({
  /** Upgrades are accepted on `/ws` ({@link WsTransportOptions.path}). */
  path: "/ws",
  /** A frame may be up to 64 KiB ({@link WsTransportOptions.maxPayload}). */
  maxPayload: 64 * 1024,
  /** Ten open connections per user, one per device or tab ({@link WsTransportOptions.maxConnectionsPerUser}). */
  maxConnectionsPerUser: 10,
  /** 1000 open connections per client address, enough for a NAT ({@link WsTransportOptions.maxConnectionsPerIp}). */
  maxConnectionsPerIp: 1000,
  /** An upgrade, its token check included, gets 10 s before HTTP 503 ({@link WsTransportOptions.handshakeTimeoutMs}). */
  handshakeTimeoutMs: 10_000,
  /** A ping every 25 s, under common proxies' 30 s idle timeout ({@link WsTransportOptions.heartbeatMs}). */
  heartbeatMs: 25_000,
  /** A connection with more than 1 MiB queued counts as slow ({@link WsTransportOptions.highWaterMark}). */
  highWaterMark: 1024 * 1024,
  /** A connection whose queue would pass 4 MiB is closed with 4008 ({@link WsTransportOptions.maxBufferedBytes}). */
  maxBufferedBytes: 4 * 1024 * 1024,
  /** A slow connection is closed with 4008 after 10 s above the high-water mark ({@link WsTransportOptions.slowClientTimeoutMs}). */
  slowClientTimeoutMs: 10_000,
  /** A closing connection gets 5 s for the close handshake ({@link WsTransportOptions.closeTimeoutMs}). */
  closeTimeoutMs: 5_000,
  /** `X-Forwarded-For` is ignored unless the server is behind a proxy ({@link WsTransportOptions.trustProxy}). */
  trustProxy: false,
});

function invalid(message: string, option?: string): ConfigError {
  return new ConfigError("transport-ws", message, { option });
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  // Infinity stays allowed here (no limit); checkOption wants a finite number.
  if (value === Number.POSITIVE_INFINITY) return value;
  return checkOption("transport-ws", name, value, { default: fallback, min: 0 });
}

/** Validates the options and fills in the defaults. */
export function resolveWsTransportOptions(options: WsTransportOptions): ResolvedWsTransportOptions {
  if ((options.server === undefined) === (options.port === undefined)) {
    throw invalid("pass exactly one of `server` (attach) or `port` (listen alone)");
  }
  if (options.server !== undefined && options.host !== undefined) {
    throw invalid("`host` only applies with `port`");
  }
  const path = options.path ?? WS_TRANSPORT_DEFAULTS.path;
  if (!path.startsWith("/") || path.includes("?")) {
    throw invalid(`option path must start with "/" and hold no query, got ${JSON.stringify(path)}`);
  }
  const origins = options.allowedOrigins;
  let allowedOrigins: ((origin: string) => boolean) | undefined;
  if (typeof origins === "function") {
    allowedOrigins = origins;
  } else if (origins !== undefined) {
    const set = new Set(origins);
    allowedOrigins = (origin) => set.has(origin);
  }
  const d = WS_TRANSPORT_DEFAULTS;
  const maxPayload = nonNegative("maxPayload", options.maxPayload, d.maxPayload);
  if (maxPayload === 0 || !Number.isFinite(maxPayload)) {
    throw invalid(`option maxPayload must be a finite number > 0, got ${String(maxPayload)}`);
  }
  const highWaterMark = nonNegative("highWaterMark", options.highWaterMark, d.highWaterMark);
  const maxBufferedBytes = nonNegative(
    "maxBufferedBytes",
    options.maxBufferedBytes,
    d.maxBufferedBytes,
  );
  if (maxBufferedBytes < highWaterMark) {
    throw invalid(
      `option maxBufferedBytes (${maxBufferedBytes}) must be >= highWaterMark (${highWaterMark})`,
    );
  }
  return {
    server: options.server,
    port: options.port,
    host: options.host,
    path,
    maxPayload,
    allowedOrigins,
    maxConnectionsPerUser: nonNegative(
      "maxConnectionsPerUser",
      options.maxConnectionsPerUser,
      d.maxConnectionsPerUser,
    ),
    maxConnectionsPerIp: nonNegative(
      "maxConnectionsPerIp",
      options.maxConnectionsPerIp,
      d.maxConnectionsPerIp,
    ),
    handshakeTimeoutMs: nonNegative(
      "handshakeTimeoutMs",
      options.handshakeTimeoutMs,
      d.handshakeTimeoutMs,
    ),
    heartbeatMs: nonNegative("heartbeatMs", options.heartbeatMs, d.heartbeatMs),
    highWaterMark,
    maxBufferedBytes,
    slowClientTimeoutMs: nonNegative(
      "slowClientTimeoutMs",
      options.slowClientTimeoutMs,
      d.slowClientTimeoutMs,
    ),
    closeTimeoutMs: nonNegative("closeTimeoutMs", options.closeTimeoutMs, d.closeTimeoutMs),
    trustProxy: options.trustProxy ?? d.trustProxy,
    onError: options.onError ?? consoleBackgroundErrors("transport-ws"),
  };
}
