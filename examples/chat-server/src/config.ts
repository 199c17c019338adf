import { isAbsolute, resolve } from "node:path";
import type { MultiDevicePolicy } from "@lucky-im/core";
import { isWebhookEventType, WEBHOOK_EVENT_TYPES } from "@lucky-im/webhooks";
import { closestName, decodeSetting } from "./setting-decoder.js";
import {
  FOREIGN_VARIABLES,
  type LOG_LEVELS,
  REMOVED_VARIABLES,
  SETTINGS,
  type Setting,
} from "./settings.js";
import { chooseStore, type StoreSelection } from "./store-selection.js";

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
   * Run the pending migrations of every table (store, auth, login key) at start, under a
   * lock. False: the deploy pipeline runs `lucky-im migrate up` first.
   * @default true (`LUCKY_IM_MIGRATE`)
   */
  migrate: boolean;
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
   * With Redis, how long a frame's rate-limit check waits for others before one Redis call
   * answers them all, in ms (0: the checks of one event-loop turn). Frames then reach the
   * engine together, so the store, presence and socket writes after them batch too: less CPU
   * per message below saturation, for up to this much latency (docs/benchmarks.md).
   * @default 5 (`LUCKY_IM_RATE_BATCH_WINDOW_MS`)
   */
  rateBatchWindowMs: number;
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
   * Longest side, in pixels, of the thumbnail made for JPEG, PNG and WebP uploads (which also lose their EXIF).
   * @default 320 (`LUCKY_IM_FILES_THUMBNAIL_SIZE`)
   */
  thumbnailSize: number;
  /**
   * Bytes a user may upload per UTC day (counted in this process's memory).
   * @default 1073741824 (1 GiB) (`LUCKY_IM_FILES_QUOTA_BYTES_PER_DAY`)
   */
  filesQuotaBytesPerDay: number;
  /**
   * Files a user may upload per UTC day (counted in this process's memory).
   * @default 500 (`LUCKY_IM_FILES_QUOTA_FILES_PER_DAY`)
   */
  filesQuotaFilesPerDay: number;
  /**
   * With S3, `GET /files/:fileId` answers a redirect to a presigned URL of this life, in seconds; 0 serves the bytes through the server.
   * @default 60 (`LUCKY_IM_FILES_REDIRECT_SEC`)
   */
  filesRedirectSec: number;
  /**
   * Who may download a file uploaded for a conversation: `link`, anyone who has its URL (the
   * random id is the capability); `members`, only its members and uploader, with a bearer token
   * or a short-lived signed URL (`GET /files/:fileId/url`), which the page fetches.
   * @default "link" (`LUCKY_IM_FILE_ACCESS`)
   */
  fileAccess: "link" | "members";
  /**
   * The HMAC key of signed download URLs, at least 32 characters, the same on every node;
   * required with {@link ChatServerConfig.fileAccess} `members`.
   * @default undefined (`LUCKY_IM_FILE_URL_SECRET`)
   */
  fileUrlSecret?: string;
  /**
   * How long a signed download URL works, in seconds (members mode).
   * @default 300 (`LUCKY_IM_FILE_URL_TTL_SEC`)
   */
  fileUrlTtlSeconds: number;
  /**
   * The S3 bucket of uploads; set, files go to S3 instead of {@link ChatServerConfig.filesDir}.
   * @default undefined (`LUCKY_IM_S3_BUCKET`)
   */
  s3Bucket?: string;
  /**
   * The bucket's region.
   * @default "us-east-1" (`LUCKY_IM_S3_REGION`)
   */
  s3Region: string;
  /**
   * The S3 service URL for anything but AWS (MinIO, R2, ...).
   * @default undefined (`LUCKY_IM_S3_ENDPOINT`)
   */
  s3Endpoint?: string;
  /**
   * S3 access key id; unset: the AWS SDK's credential chain (environment, profile, instance role).
   * @default undefined (`LUCKY_IM_S3_ACCESS_KEY_ID`)
   */
  s3AccessKeyId?: string;
  /**
   * S3 secret access key.
   * @default undefined (`LUCKY_IM_S3_SECRET_ACCESS_KEY`)
   */
  s3SecretAccessKey?: string;
  /**
   * Path-style URLs (`host/bucket/key`), which MinIO and most self-hosted servers need.
   * @default false (`LUCKY_IM_S3_FORCE_PATH_STYLE`)
   */
  s3ForcePathStyle: boolean;
  /**
   * Key prefix of every object in the bucket, ending with "/".
   * @default "" (`LUCKY_IM_S3_PREFIX`)
   */
  s3Prefix: string;
  /**
   * Browser origins allowed to call the HTTP API from another origin (CORS) and to open
   * the WebSocket. Undefined: no CORS answers at all (the page is same-origin), and any
   * origin may open the WebSocket (its token is never ambient: no cookies).
   * @default undefined (`LUCKY_IM_CORS_ORIGINS`, comma-separated; the older
   * `LUCKY_IM_ALLOWED_ORIGINS` is read as an alias)
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
  logLevel: (typeof LOG_LEVELS)[number];
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
   * Largest group, owner included (the engine's `limits.maxGroupSize`).
   * @default 500 (`LUCKY_IM_MAX_GROUP_SIZE`)
   */
  maxGroupSize: number;
  /**
   * Longest timed mute of a group member (`PUT /groups/:id/members/:userId/mute`), in seconds.
   * @default 2592000, 30 days (`LUCKY_IM_MAX_GROUP_MUTE_SECONDS`)
   */
  maxGroupMuteSeconds: number;
  /**
   * Most pending join requests of one user, over every group (the engine's
   * `limits.maxPendingJoinRequestsPerUser`); one more answers 429.
   * @default 20 (`LUCKY_IM_MAX_PENDING_JOIN_REQUESTS`)
   */
  maxPendingJoinRequests: number;
  /**
   * Longest group description, in characters (the engine's `limits.maxGroupDescriptionLength`);
   * a longer one answers 413.
   * @default 500 (`LUCKY_IM_MAX_GROUP_DESCRIPTION`)
   */
  maxGroupDescription: number;
  /**
   * Longest group announcement, in characters (the engine's `limits.maxGroupAnnouncementLength`);
   * a longer one answers 413.
   * @default 2000 (`LUCKY_IM_MAX_GROUP_ANNOUNCEMENT`)
   */
  maxGroupAnnouncement: number;
  /**
   * User searches (`GET /users/search`) one user may make per minute on a node.
   * @default 20 (`LUCKY_IM_PROFILE_SEARCHES_PER_MINUTE`)
   */
  profileSearchesPerMinute: number;
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
   * Contact requests a user may send, per 10 minutes.
   * @default 20 (`LUCKY_IM_CONTACT_REQUEST_LIMIT`)
   */
  contactRequestLimit: number;
  /**
   * Registrations per client IP per hour (each costs a password hash).
   * @default 20 (`LUCKY_IM_REGISTER_LIMIT`)
   */
  registerLimitPerHour: number;
  /**
   * Searches (`GET /search`) per user per minute.
   * @default 30 (`LUCKY_IM_SEARCH_LIMIT`)
   */
  searchLimitPerMinute: number;
  /**
   * User ids of the admins (`/admin` routes and page, `im.admin`). Ids, not usernames: a
   * username can be registered by anyone before the admin (or after a rename).
   * @default [] (`LUCKY_IM_ADMIN_USER_IDS`, comma-separated)
   */
  adminUserIds: readonly string[];
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
   * Longest request URL, path and query, in bytes; longer answers 414 `bad_request`.
   * @default 8192 (`LUCKY_IM_MAX_URL_LENGTH`)
   */
  maxUrlLength: number;
  /**
   * Largest request head (request line and headers), in bytes; larger answers 431 `bad_request`.
   * @default 16384 (`LUCKY_IM_MAX_HEADER_BYTES`)
   */
  maxHeaderBytes: number;
  /**
   * Bearer token `/metrics` requires (at least 16 characters). Unset, and without
   * {@link metricsPort}: `/metrics` answers 404 on the public port.
   * @default undefined (`LUCKY_IM_METRICS_TOKEN`)
   */
  metricsToken?: string;
  /**
   * The key of the server API (`POST /server/messages`, `POST /server/broadcast`): the
   * application's backend sends `Authorization: Bearer <key>`. Not a user token. Unset: the
   * server API is off (404).
   * @default undefined (`LUCKY_IM_SERVER_API_KEY`)
   */
  serverApiKey?: string;
  /**
   * Requests to the server API per client IP per minute, wrong keys included.
   * @default 600 (`LUCKY_IM_SERVER_API_LIMIT`)
   */
  serverApiLimitPerMinute: number;
  /**
   * Largest body of a server API request, in bytes.
   * @default 4194304 (`LUCKY_IM_SERVER_API_BODY_LIMIT`)
   */
  serverApiBodyLimit: number;
  /**
   * Most messages of one `POST /server/messages` batch (the engine's `maxServerBatch`).
   * @default 1000 (`LUCKY_IM_SERVER_BATCH_MAX`)
   */
  serverBatchMax: number;
  /**
   * Most recipients of one `POST /server/broadcast` (the engine's `maxBroadcastUsers`).
   * @default 10000 (`LUCKY_IM_BROADCAST_MAX`)
   */
  broadcastMax: number;
  /**
   * Serve `/metrics` on a listener of its own on this port (of `host`), and not on the public
   * one; scrapers reach it on the private network. 0: a free port.
   * @default undefined (`LUCKY_IM_METRICS_PORT`)
   */
  metricsPort?: number;
  /**
   * Web Push's VAPID public key (base64url); with {@link vapidPrivateKey} and
   * {@link vapidSubject} it turns Web Push on.
   * @default undefined (`LUCKY_IM_VAPID_PUBLIC_KEY`)
   */
  vapidPublicKey?: string;
  /**
   * Web Push's VAPID private key (base64url).
   * @default undefined (`LUCKY_IM_VAPID_PRIVATE_KEY`)
   */
  vapidPrivateKey?: string;
  /**
   * The contact push services see, `mailto:` or `https://`.
   * @default undefined (`LUCKY_IM_VAPID_SUBJECT`)
   */
  vapidSubject?: string;
  /**
   * A Google service-account key file; set, FCM HTTP v1 is on.
   * @default undefined (`LUCKY_IM_FCM_SERVICE_ACCOUNT_FILE`)
   */
  fcmServiceAccountFile?: string;
  /**
   * The OAuth 2.0 token endpoint FCM's access tokens come from.
   * @default "https://oauth2.googleapis.com/token" (`LUCKY_IM_FCM_TOKEN_URL`)
   */
  fcmTokenUrl: string;
  /**
   * The FCM API origin.
   * @default "https://fcm.googleapis.com" (`LUCKY_IM_FCM_API_URL`)
   */
  fcmApiUrl: string;
  /**
   * What a push shows: `hidden` ("New message") or `preview` (sender and text).
   * @default "hidden" (`LUCKY_IM_PUSH_CONTENT`)
   */
  pushContent: "hidden" | "preview";
  /**
   * Messages to an offline user in one conversation within this window make one push, in ms.
   * @default 2000 (`LUCKY_IM_PUSH_BATCH_WINDOW_MS`)
   */
  pushBatchWindowMs: number;
  /**
   * Pushes waiting at once; beyond, new ones are dropped and counted.
   * @default 10000 (`LUCKY_IM_PUSH_MAX_QUEUED`)
   */
  pushMaxQueued: number;
  /**
   * Push device registrations per user per 10 minutes (429 beyond).
   * @default 20 (`LUCKY_IM_PUSH_DEVICE_LIMIT`)
   */
  pushDeviceLimit: number;
  /**
   * Accept `http:` Web Push endpoints: only for local push-service stand-ins in tests.
   * @default false (`LUCKY_IM_PUSH_ALLOW_HTTP_ENDPOINTS`)
   */
  pushAllowHttpEndpoints: boolean;
  /** Webhooks: the endpoint events are POSTed to; with {@link webhookSecret} it turns webhooks on. */
  webhookUrl?: string;
  /** Webhooks: the HMAC-SHA256 signing secret. */
  webhookSecret?: string;
  /** Webhooks: the event types sent (unset: all). */
  webhookEvents?: readonly string[];
  /** Webhooks: attempts per event before it becomes a dead letter. @default 8 */
  webhookMaxAttempts: number;
  /** Webhooks: how long one POST may take, in ms. @default 5000 */
  webhookTimeoutMs: number;
  /**
   * Folder of the static web page.
   * @default the package's `public/` folder
   */
  publicDir?: string;
}

export { DEFAULT_ALLOWED_FILE_TYPES, SETTINGS } from "./settings.js";

type Env = Record<string, string | undefined>;

/** Every problem of a configuration, one line per variable; thrown by {@link loadConfig}. */
export class ConfigError extends Error {
  /** One sentence per problem, each naming its variable. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `[lucky-im] [chat-server] invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The defaults: embedded mode, data in a local SQLite file. Tests spread their changes over it. */
export function defaultConfig(): ChatServerConfig {
  return loadConfig({});
}

/**
 * Reads the configuration from environment variables (the {@link SETTINGS} table, the
 * README's table). Throws a {@link ConfigError} listing every problem at once, each
 * naming its variable: malformed or out-of-range values, and unknown `LUCKY_IM_*`
 * variables (a misspelt setting would otherwise be silently ignored).
 */
export function loadConfig(env: Env = process.env): ChatServerConfig {
  const problems: string[] = [];
  const known = new Set(SETTINGS.flatMap((s) => [s.env, ...(s.aliases ?? [])]));
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("LUCKY_IM_") || known.has(name)) continue;
    if (FOREIGN_VARIABLES.some((pattern) => pattern.test(name))) continue;
    const removed = REMOVED_VARIABLES[name];
    if (removed !== undefined) {
      problems.push(removed);
      continue;
    }
    const hint = closestName(name, [...known]);
    problems.push(
      `${name} is not a setting of the chat server${hint ? ` (did you mean ${hint}?)` : ""}; see the README's table`,
    );
  }
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const read = readVariable(env, setting);
    if ("problem" in read) {
      problems.push(read.problem);
      continue;
    }
    const raw = read.raw;
    if (raw === undefined) {
      if (setting.default !== undefined) config[setting.key] = finish(setting, setting.default);
      continue;
    }
    const decoded = decodeSetting(setting, raw);
    if ("problem" in decoded) problems.push(decoded.problem);
    else config[setting.key] = finish(setting, decoded.value);
  }
  const storeProblem = chooseStore(config);
  if (storeProblem) problems.push(storeProblem);
  const vapid = [config.vapidPublicKey, config.vapidPrivateKey, config.vapidSubject];
  if (vapid.some((v) => v !== undefined) && vapid.some((v) => v === undefined)) {
    problems.push(
      "LUCKY_IM_VAPID_PUBLIC_KEY, LUCKY_IM_VAPID_PRIVATE_KEY and LUCKY_IM_VAPID_SUBJECT go together: set all three or none",
    );
  }
  if (config.fileAccess === "members" && config.fileUrlSecret === undefined) {
    problems.push(
      "LUCKY_IM_FILE_ACCESS=members needs LUCKY_IM_FILE_URL_SECRET (32+ characters, the same on every node) to sign download URLs",
    );
  }
  if ((config.webhookUrl === undefined) !== (config.webhookSecret === undefined)) {
    problems.push("LUCKY_IM_WEBHOOK_URL and LUCKY_IM_WEBHOOK_SECRET go together: set both or none");
  }
  const unknownEvent = (config.webhookEvents as string[] | undefined)?.find(
    (type) => !isWebhookEventType(type),
  );
  if (unknownEvent !== undefined) {
    problems.push(
      `LUCKY_IM_WEBHOOK_EVENTS: unknown event type "${unknownEvent}" (known: ${WEBHOOK_EVENT_TYPES.join(", ")})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as ChatServerConfig;
}

/** The trimmed value of a setting's variable or of one alias; two different values are a problem. */
function readVariable(
  env: Env,
  setting: Setting,
): { raw: string | undefined } | { problem: string } {
  const found = [setting.env, ...(setting.aliases ?? [])]
    .map((name) => ({ name, value: env[name]?.trim() }))
    .filter((entry): entry is { name: string; value: string } => Boolean(entry.value));
  const distinct = new Set(found.map((entry) => entry.value));
  if (distinct.size > 1) {
    return {
      problem: `${found.map((entry) => entry.name).join(" and ")} are both set, to different values: set ${setting.env} only`,
    };
  }
  return { raw: found[0]?.value };
}

/** Paths are resolved against the working directory; content types are compared lower-cased. */
function finish(setting: Setting, value: unknown): unknown {
  if (
    setting.key === "filesDir" ||
    setting.key === "sqlitePath" ||
    setting.key === "fcmServiceAccountFile"
  ) {
    const dir = value as string;
    return isAbsolute(dir) ? dir : resolve(process.cwd(), dir);
  }
  if (setting.key === "allowedFileTypes") return (value as string[]).map((t) => t.toLowerCase());
  return value;
}
