import { isAbsolute, resolve } from "node:path";
import type { MultiDevicePolicy } from "@lucky-im/core";
import { loadStoreSelection, type StoreSelection } from "./store-selection.js";

/** Everything the chat server can be told. Read it from the environment with {@link loadConfig}. */
export interface ChatServerConfig extends StoreSelection {
  /**
   * The HTTP port (0: a free port).
   * @default 8080 (`PORT`)
   */
  port: number;
  /**
   * The interface to listen on.
   * @default "0.0.0.0" (`HOST`)
   */
  host: string;
  /**
   * Connections the kernel holds for the server before it accepts them (the
   * `listen(2)` backlog, capped by `net.core.somaxconn`). When every client
   * reconnects at once, an overflowing queue drops their handshakes and they
   * retry only after TCP's backoff (1, 3, 7, 15, 31 s ...): Node's default
   * of 511 turned a 10,000-client reconnect of 12 s into 40-60 s with resets.
   * @default 4096 (`LUCKY_IM_LISTEN_BACKLOG`)
   */
  listenBacklog: number;
  /**
   * PostgreSQL for messages, groups, cursors, outbox and the auth tables; unset: see `store`.
   * @default undefined (`LUCKY_IM_POSTGRES_URL`)
   */
  postgresUrl?: string;
  /**
   * The PostgreSQL schema of every table of the server.
   * @default "lucky_im" (`LUCKY_IM_SCHEMA`)
   */
  schema: string;
  /**
   * RabbitMQ for delivery between nodes; unset: in process.
   * @default undefined (`LUCKY_IM_AMQP_URL`)
   */
  amqpUrl?: string;
  /**
   * Prefix of the exchanges and queues.
   * @default "lucky-im" (`LUCKY_IM_AMQP_PREFIX`)
   */
  amqpPrefix: string;
  /**
   * RabbitMQ queue type of the node queues: `classic`, or `quorum` where durability matters.
   * @default "classic" (`LUCKY_IM_AMQP_QUEUE_TYPE`)
   */
  amqpQueueType: "classic" | "quorum";
  /**
   * How long a node's presence lives without a heartbeat (its sessions vanish that long after a crash), in ms.
   * @default 30000 (`LUCKY_IM_PRESENCE_TTL_MS`)
   */
  presenceTtlMs: number;
  /**
   * Redis for presence and rate limits shared by the nodes; unset: in process.
   * @default undefined (`LUCKY_IM_REDIS_URL`)
   */
  redisUrl?: string;
  /**
   * Prefix of every Redis key.
   * @default "lucky-im" (`LUCKY_IM_REDIS_PREFIX`)
   */
  redisPrefix: string;
  /**
   * This node's id, unique in the cluster.
   * @default a generated id (`LUCKY_IM_NODE_ID`)
   */
  nodeId?: string;
  /**
   * The HS256 secret of access tokens (at least 32 bytes), the same on every node.
   * @default random per process, with a warning (`LUCKY_IM_JWT_SECRET`)
   */
  jwtSecret?: string;
  /**
   * The `iss` of access tokens.
   * @default "lucky-im" (`LUCKY_IM_JWT_ISSUER`)
   */
  jwtIssuer: string;
  /**
   * The `aud` of access tokens.
   * @default "lucky-im" (`LUCKY_IM_JWT_AUDIENCE`)
   */
  jwtAudience: string;
  /**
   * Life of an access token, in seconds.
   * @default 900 (`LUCKY_IM_ACCESS_TOKEN_TTL_SEC`)
   */
  accessTokenTtlSec: number;
  /**
   * For this long after a refresh, presenting the old refresh token again
   * answers with the same new one (retries, concurrent tabs); later it is a
   * reuse that revokes the family. 0 turns it off.
   * @default 10000 (`LUCKY_IM_REFRESH_REUSE_INTERVAL_MS`)
   */
  refreshReuseIntervalMs: number;
  /**
   * Where uploaded files are stored (resolved against the working directory).
   * @default "./data/files" (`LUCKY_IM_FILES_DIR`)
   */
  filesDir: string;
  /**
   * Largest upload, in bytes.
   * @default 10485760 (10 MiB) (`LUCKY_IM_FILES_MAX_BYTES`)
   */
  maxFileBytes: number;
  /**
   * Content types an upload may have.
   * @default {@link DEFAULT_ALLOWED_FILE_TYPES} (`LUCKY_IM_FILES_ALLOWED_TYPES`, comma-separated)
   */
  allowedFileTypes: readonly string[];
  /**
   * Browser origins allowed to open the WebSocket and call the HTTP API; undefined: any.
   * @default undefined (`LUCKY_IM_ALLOWED_ORIGINS`, comma-separated)
   */
  allowedOrigins?: readonly string[];
  /**
   * Trust `X-Forwarded-For` for the client address (only behind a proxy you control).
   * @default false (`LUCKY_IM_TRUST_PROXY`)
   */
  trustProxy: boolean;
  /**
   * pino log level.
   * @default "info" (`LUCKY_IM_LOG_LEVEL`)
   */
  logLevel: string;
  /**
   * Multi-device policy of the engine.
   * @default "multi" (`LUCKY_IM_MULTI_DEVICE`)
   */
  multiDevice: MultiDevicePolicy;
  /**
   * WebSocket frames per connection per {@link rateWindowMs}.
   * @default 40 (`LUCKY_IM_RATE_FRAMES`)
   */
  framesPerWindow: number;
  /**
   * The frame rate-limit window, in ms.
   * @default 1000 (`LUCKY_IM_RATE_WINDOW_MS`)
   */
  rateWindowMs: number;
  /**
   * Largest WebSocket frame the engine accepts, in UTF-8 bytes.
   * @default 65536 (`LUCKY_IM_MAX_FRAME_BYTES`)
   */
  maxFrameBytes: number;
  /**
   * Deepest nesting of objects and arrays in a WebSocket frame.
   * @default 32 (`LUCKY_IM_MAX_JSON_DEPTH`)
   */
  maxJsonDepth: number;
  /**
   * Most groups whose membership a node caches.
   * @default 10000 (`LUCKY_IM_GROUP_CACHE_SIZE`)
   */
  groupCacheSize: number;
  /**
   * Most delivered message ids a node remembers to drop duplicates.
   * @default 100000 (`LUCKY_IM_DEDUPE_CACHE_SIZE`)
   */
  dedupeCacheSize: number;
  /**
   * Most bytes of `message` frames in one `sync` answer (the engine's `limits.syncPageBytes`).
   * @default 262144 (`LUCKY_IM_SYNC_PAGE_BYTES`)
   */
  syncPageBytes: number;
  /**
   * Bytes queued for one WebSocket above which it counts as slow (the transport's `highWaterMark`).
   * @default 1048576 (`LUCKY_IM_WS_HIGH_WATER_MARK`)
   */
  wsHighWaterMark: number;
  /**
   * Bytes queued for one WebSocket past which it is closed with 4008 (the transport's `maxBufferedBytes`).
   * @default 4194304 (`LUCKY_IM_WS_MAX_BUFFERED_BYTES`)
   */
  wsMaxBufferedBytes: number;
  /**
   * How long a WebSocket may stay above its high-water mark before it is closed with 4008, in ms.
   * @default 10000 (`LUCKY_IM_WS_SLOW_CLIENT_TIMEOUT_MS`)
   */
  wsSlowClientTimeoutMs: number;
  /**
   * Open WebSocket connections per client address (behind a proxy, set {@link trustProxy}).
   * @default 1000 (`LUCKY_IM_MAX_CONNECTIONS_PER_IP`)
   */
  maxConnectionsPerIp: number;
  /**
   * Open WebSocket connections per user (checked when the upgrade carries a Bearer token).
   * @default 10 (`LUCKY_IM_MAX_CONNECTIONS_PER_USER`)
   */
  maxConnectionsPerUser: number;
  /**
   * Password changes per user per {@link loginWindowMs} (logins are limited per
   * (username, IP) by the backoff, never per username alone).
   * @default 10 (`LUCKY_IM_LOGIN_LIMIT`)
   */
  loginLimit: number;
  /**
   * Login attempts per client IP per {@link loginWindowMs} (higher: many users share a NAT).
   * @default 100 (`LUCKY_IM_LOGIN_LIMIT_PER_IP`)
   */
  loginLimitPerIp: number;
  /**
   * The login rate-limit window, in ms.
   * @default 300000 (`LUCKY_IM_LOGIN_WINDOW_MS`)
   */
  loginWindowMs: number;
  /**
   * Wrong passwords a (username, IP) pair may try before exponential backoff starts.
   * @default 5 (`LUCKY_IM_LOGIN_FREE_FAILURES`)
   */
  loginFreeFailures: number;
  /**
   * The first backoff wait, in ms; it doubles with each further wrong password.
   * @default 1000 (`LUCKY_IM_LOGIN_BACKOFF_BASE_MS`)
   */
  loginBackoffBaseMs: number;
  /**
   * The longest backoff wait, in ms.
   * @default 900000 (`LUCKY_IM_LOGIN_BACKOFF_MAX_MS`)
   */
  loginBackoffMaxMs: number;
  /**
   * Password hashes computed at once, each on its own worker thread (128 MiB each at the default cost).
   * @default 2 (`LUCKY_IM_HASH_CONCURRENCY`)
   */
  hashConcurrency: number;
  /**
   * Password hashes waiting for a thread; beyond it logins get 503 with `Retry-After`.
   * @default 8 (`LUCKY_IM_HASH_QUEUE`)
   */
  hashQueue: number;
  /**
   * Password hashes running or waiting per client IP; beyond it logins get 429 with `Retry-After`.
   * @default 2 (`LUCKY_IM_HASH_PER_IP`)
   */
  hashPerIp: number;
  /**
   * `GET /users/by-name/:username` lookups per user per minute.
   * @default 30 (`LUCKY_IM_LOOKUP_LIMIT`)
   */
  lookupLimit: number;
  /**
   * `GET /users/by-name/:username` lookups per client IP per minute.
   * @default 60 (`LUCKY_IM_LOOKUP_LIMIT_PER_IP`)
   */
  lookupLimitPerIp: number;
  /**
   * First messages a user may send to users they never talked to, per 10 minutes.
   * @default 30 (`LUCKY_IM_NEW_DIRECT_LIMIT`)
   */
  newDirectLimit: number;
  /**
   * Calls a user may start (`signal` with a new `callId`), per 10 minutes.
   * @default 20 (`LUCKY_IM_CALL_LIMIT`)
   */
  callLimit: number;
  /**
   * Users a user may add to groups among those they never talked to, per 10 minutes.
   * @default 1000 (`LUCKY_IM_STRANGER_ADD_LIMIT`)
   */
  strangerAddLimit: number;
  /**
   * Registrations per client IP per hour (each costs a password hash).
   * @default 20 (`LUCKY_IM_REGISTER_LIMIT`)
   */
  registerLimitPerHour: number;
  /**
   * log2 of the scrypt cost of password hashes: 17 is OWASP's minimum. Lower it only in tests.
   * @default 17 (`LUCKY_IM_PASSWORD_HASH_LOG_N`)
   */
  passwordHashLogN: number;
  /**
   * Shortest password accepted at registration and password change.
   * @default 8 (`LUCKY_IM_PASSWORD_MIN_LENGTH`)
   */
  passwordMinLength: number;
  /**
   * Largest JSON request body, in bytes.
   * @default 65536 (`LUCKY_IM_JSON_BODY_LIMIT`)
   */
  jsonBodyLimit: number;
  /**
   * Folder of the static web page.
   * @default the package's `public/` folder
   */
  publicDir?: string;
}

/** Upload content types allowed by default. SVG and HTML are left out: served inline they run script. */
export const DEFAULT_ALLOWED_FILE_TYPES: readonly string[] = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "audio/mpeg",
  "audio/ogg",
  "audio/webm",
  "audio/wav",
  "audio/mp4",
  "video/mp4",
  "video/webm",
  "application/pdf",
  "application/zip",
  "application/octet-stream",
  "text/plain",
];

type Env = Record<string, string | undefined>;

function queueType(value: string | undefined): "classic" | "quorum" {
  if (value === undefined || value === "classic" || value === "quorum") return value ?? "classic";
  throw new Error(`LUCKY_IM_AMQP_QUEUE_TYPE must be "classic" or "quorum", not "${value}"`);
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function int(env: Env, name: string, fallback: number, min: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`[lucky-im] [chat-server] ${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function list(env: Env, name: string): string[] | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const items = raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function bool(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase();
  return raw === "1" || raw === "true" || raw === "yes";
}

/** The defaults: embedded mode, data in a local SQLite file. Tests spread their changes over it. */
export function defaultConfig(): ChatServerConfig {
  return loadConfig({});
}

/**
 * Reads the configuration from environment variables (see the README's table).
 * Throws on a malformed value, naming the variable.
 */
export function loadConfig(env: Env = process.env): ChatServerConfig {
  const multiDevice = text(env, "LUCKY_IM_MULTI_DEVICE") ?? "multi";
  if (multiDevice !== "multi" && multiDevice !== "one-per-device-class") {
    throw new Error(
      `[lucky-im] [chat-server] LUCKY_IM_MULTI_DEVICE must be "multi" or "one-per-device-class", got "${multiDevice}"`,
    );
  }
  const filesDir = text(env, "LUCKY_IM_FILES_DIR") ?? "./data/files";
  const config: ChatServerConfig = {
    ...loadStoreSelection(env),
    port: int(env, "PORT", 8080, 0),
    host: text(env, "HOST") ?? "0.0.0.0",
    listenBacklog: int(env, "LUCKY_IM_LISTEN_BACKLOG", 4096, 1),
    schema: text(env, "LUCKY_IM_SCHEMA") ?? "lucky_im",
    amqpPrefix: text(env, "LUCKY_IM_AMQP_PREFIX") ?? "lucky-im",
    amqpQueueType: queueType(text(env, "LUCKY_IM_AMQP_QUEUE_TYPE")),
    presenceTtlMs: int(env, "LUCKY_IM_PRESENCE_TTL_MS", 30_000, 1_000),
    redisPrefix: text(env, "LUCKY_IM_REDIS_PREFIX") ?? "lucky-im",
    jwtIssuer: text(env, "LUCKY_IM_JWT_ISSUER") ?? "lucky-im",
    jwtAudience: text(env, "LUCKY_IM_JWT_AUDIENCE") ?? "lucky-im",
    accessTokenTtlSec: int(env, "LUCKY_IM_ACCESS_TOKEN_TTL_SEC", 900, 1),
    refreshReuseIntervalMs: int(env, "LUCKY_IM_REFRESH_REUSE_INTERVAL_MS", 10_000, 0),
    filesDir: isAbsolute(filesDir) ? filesDir : resolve(process.cwd(), filesDir),
    maxFileBytes: int(env, "LUCKY_IM_FILES_MAX_BYTES", 10 * 1024 * 1024, 1),
    allowedFileTypes: (list(env, "LUCKY_IM_FILES_ALLOWED_TYPES") ?? DEFAULT_ALLOWED_FILE_TYPES).map(
      (type) => type.toLowerCase(),
    ),
    trustProxy: bool(env, "LUCKY_IM_TRUST_PROXY"),
    logLevel: text(env, "LUCKY_IM_LOG_LEVEL") ?? "info",
    multiDevice,
    framesPerWindow: int(env, "LUCKY_IM_RATE_FRAMES", 40, 1),
    rateWindowMs: int(env, "LUCKY_IM_RATE_WINDOW_MS", 1000, 1),
    maxFrameBytes: int(env, "LUCKY_IM_MAX_FRAME_BYTES", 65_536, 1024),
    maxJsonDepth: int(env, "LUCKY_IM_MAX_JSON_DEPTH", 32, 4),
    groupCacheSize: int(env, "LUCKY_IM_GROUP_CACHE_SIZE", 10_000, 1),
    dedupeCacheSize: int(env, "LUCKY_IM_DEDUPE_CACHE_SIZE", 100_000, 1),
    syncPageBytes: int(env, "LUCKY_IM_SYNC_PAGE_BYTES", 256 * 1024, 1),
    wsHighWaterMark: int(env, "LUCKY_IM_WS_HIGH_WATER_MARK", 1024 * 1024, 1),
    wsMaxBufferedBytes: int(env, "LUCKY_IM_WS_MAX_BUFFERED_BYTES", 4 * 1024 * 1024, 1),
    wsSlowClientTimeoutMs: int(env, "LUCKY_IM_WS_SLOW_CLIENT_TIMEOUT_MS", 10_000, 1),
    maxConnectionsPerIp: int(env, "LUCKY_IM_MAX_CONNECTIONS_PER_IP", 1000, 1),
    maxConnectionsPerUser: int(env, "LUCKY_IM_MAX_CONNECTIONS_PER_USER", 10, 1),
    loginLimit: int(env, "LUCKY_IM_LOGIN_LIMIT", 10, 1),
    loginLimitPerIp: int(env, "LUCKY_IM_LOGIN_LIMIT_PER_IP", 100, 1),
    loginWindowMs: int(env, "LUCKY_IM_LOGIN_WINDOW_MS", 300_000, 1),
    loginFreeFailures: int(env, "LUCKY_IM_LOGIN_FREE_FAILURES", 5, 0),
    loginBackoffBaseMs: int(env, "LUCKY_IM_LOGIN_BACKOFF_BASE_MS", 1000, 1),
    loginBackoffMaxMs: int(env, "LUCKY_IM_LOGIN_BACKOFF_MAX_MS", 900_000, 1),
    hashConcurrency: int(env, "LUCKY_IM_HASH_CONCURRENCY", 2, 1),
    hashQueue: int(env, "LUCKY_IM_HASH_QUEUE", 8, 0),
    hashPerIp: int(env, "LUCKY_IM_HASH_PER_IP", 2, 1),
    lookupLimit: int(env, "LUCKY_IM_LOOKUP_LIMIT", 30, 1),
    lookupLimitPerIp: int(env, "LUCKY_IM_LOOKUP_LIMIT_PER_IP", 60, 1),
    newDirectLimit: int(env, "LUCKY_IM_NEW_DIRECT_LIMIT", 30, 1),
    callLimit: int(env, "LUCKY_IM_CALL_LIMIT", 20, 1),
    strangerAddLimit: int(env, "LUCKY_IM_STRANGER_ADD_LIMIT", 1000, 1),
    registerLimitPerHour: int(env, "LUCKY_IM_REGISTER_LIMIT", 20, 1),
    passwordHashLogN: int(env, "LUCKY_IM_PASSWORD_HASH_LOG_N", 17, 10),
    passwordMinLength: int(env, "LUCKY_IM_PASSWORD_MIN_LENGTH", 8, 1),
    jsonBodyLimit: int(env, "LUCKY_IM_JSON_BODY_LIMIT", 64 * 1024, 1024),
  };
  const optional = {
    postgresUrl: text(env, "LUCKY_IM_POSTGRES_URL"),
    amqpUrl: text(env, "LUCKY_IM_AMQP_URL"),
    redisUrl: text(env, "LUCKY_IM_REDIS_URL"),
    nodeId: text(env, "LUCKY_IM_NODE_ID"),
    jwtSecret: text(env, "LUCKY_IM_JWT_SECRET"),
    allowedOrigins: list(env, "LUCKY_IM_ALLOWED_ORIGINS"),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(config, { [key]: value });
  }
  return config;
}
