import { DEFAULT_LIMITS } from "@lucky-im/http";
import { type TSchema, Type } from "@sinclair/typebox";
import type { ChatServerConfig } from "./config.js";

/** One environment variable of the chat server: where it goes, what it may hold, what it means. */
export interface Setting<K extends keyof ChatServerConfig = keyof ChatServerConfig> {
  /** The configuration field it sets. */
  readonly key: K;
  /** The environment variable. */
  readonly env: string;
  /** Older names still read (with a warning in the docs); setting both to different values is an error. */
  readonly aliases?: readonly string[];
  /**
   * What the value may be, after the text is decoded: `Type.Integer`, `Type.Boolean`,
   * a union of `Type.Literal`s, `Type.String`, or `Type.Array` of strings (comma-separated).
   */
  readonly schema: TSchema;
  /** The value when the variable is unset or empty; none: the field stays unset. */
  readonly default?: ChatServerConfig[K];
  /** Turns the checked value into the field's (e.g. a path made absolute). */
  readonly finish?: (value: never) => ChatServerConfig[K];
  /** Never echoed in an error message (credentials, URLs with passwords). */
  readonly secret?: boolean;
  /** One line for the README's table. */
  readonly doc: string;
}

/** Typed constructor of a {@link Setting} (infers the field's type for the default). */
function setting<K extends keyof ChatServerConfig>(entry: Setting<K>): Setting<K> {
  return entry;
}

const port = (description: string) => Type.Integer({ minimum: 0, maximum: 65_535, description });
const atLeast = (minimum = 1, maximum = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ minimum, maximum });
const oneOf = <T extends string>(...values: T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const nonEmpty = Type.String({ minLength: 1 });
const list = Type.Array(nonEmpty, { minItems: 1 });

/**
 * Upload content types allowed by default: `@lucky-im/http`'s `DEFAULT_LIMITS.allowedFileTypes`.
 * SVG and HTML are left out: served inline they run script.
 */
export const DEFAULT_ALLOWED_FILE_TYPES: readonly string[] = DEFAULT_LIMITS.allowedFileTypes;

/** pino's levels. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Every environment variable of the chat server. Adding one is one entry here (and its field
 * in {@link ChatServerConfig}); the loader, the unknown-variable check and the README test
 * read this table.
 */
export const SETTINGS: readonly Setting[] = [
  setting({
    key: "port",
    env: "PORT",
    schema: port("HTTP port"),
    default: 8080,
    doc: "HTTP and WebSocket port (0: a free port)",
  }),
  setting({
    key: "host",
    env: "HOST",
    schema: nonEmpty,
    default: "0.0.0.0",
    doc: "interface to listen on",
  }),
  setting({
    key: "listenBacklog",
    env: "LUCKY_IM_LISTEN_BACKLOG",
    schema: atLeast(),
    default: 4096,
    doc: "connections the kernel queues before the server accepts them",
  }),
  setting({
    key: "postgresUrl",
    env: "LUCKY_IM_POSTGRES_URL",
    secret: true,
    schema: nonEmpty,
    doc: "PostgreSQL; unset: see LUCKY_IM_STORE",
  }),
  setting({
    key: "schema",
    env: "LUCKY_IM_SCHEMA",
    schema: nonEmpty,
    default: "lucky_im",
    doc: "PostgreSQL schema of every table",
  }),
  setting({
    key: "migrate",
    env: "LUCKY_IM_MIGRATE",
    schema: Type.Boolean(),
    default: true,
    doc: "run pending migrations at start; false: your deploy runs `lucky-im migrate up`",
  }),
  setting({
    key: "amqpUrl",
    env: "LUCKY_IM_AMQP_URL",
    secret: true,
    schema: nonEmpty,
    doc: "RabbitMQ; unset: in process",
  }),
  setting({
    key: "amqpPrefix",
    env: "LUCKY_IM_AMQP_PREFIX",
    schema: nonEmpty,
    default: "lucky-im",
    doc: "prefix of exchanges and queues",
  }),
  setting({
    key: "amqpQueueType",
    env: "LUCKY_IM_AMQP_QUEUE_TYPE",
    schema: oneOf("classic", "quorum"),
    default: "classic",
    doc: "node queue type",
  }),
  setting({
    key: "presenceTtlMs",
    env: "LUCKY_IM_PRESENCE_TTL_MS",
    schema: atLeast(1_000),
    default: 30_000,
    doc: "life of a node's presence without a heartbeat",
  }),
  setting({
    key: "rateBatchWindowMs",
    env: "LUCKY_IM_RATE_BATCH_WINDOW_MS",
    schema: atLeast(0, 1000),
    default: 5,
    doc: "wait of a frame's rate-limit check for others (with Redis)",
  }),
  setting({
    key: "redisUrl",
    env: "LUCKY_IM_REDIS_URL",
    secret: true,
    schema: nonEmpty,
    doc: "Redis; unset: in process",
  }),
  setting({
    key: "redisPrefix",
    env: "LUCKY_IM_REDIS_PREFIX",
    schema: nonEmpty,
    default: "lucky-im",
    doc: "prefix of every Redis key",
  }),
  setting({
    key: "nodeId",
    env: "LUCKY_IM_NODE_ID",
    schema: nonEmpty,
    doc: "this node's id; unset: generated",
  }),
  setting({
    key: "jwtSecret",
    env: "LUCKY_IM_JWT_SECRET",
    secret: true,
    schema: nonEmpty,
    doc: "HS256 secret of access tokens",
  }),
  setting({
    key: "jwtIssuer",
    env: "LUCKY_IM_JWT_ISSUER",
    schema: nonEmpty,
    default: "lucky-im",
    doc: "`iss` of access tokens",
  }),
  setting({
    key: "jwtAudience",
    env: "LUCKY_IM_JWT_AUDIENCE",
    schema: nonEmpty,
    default: "lucky-im",
    doc: "`aud` of access tokens",
  }),
  setting({
    key: "accessTokenTtlSec",
    env: "LUCKY_IM_ACCESS_TOKEN_TTL_SEC",
    schema: atLeast(),
    default: 900,
    doc: "life of an access token",
  }),
  setting({
    key: "refreshReuseIntervalMs",
    env: "LUCKY_IM_REFRESH_REUSE_INTERVAL_MS",
    schema: atLeast(0),
    default: 10_000,
    doc: "an old refresh token answers with the same successor this long",
  }),
  setting({
    key: "filesDir",
    env: "LUCKY_IM_FILES_DIR",
    schema: nonEmpty,
    default: "./data/files",
    doc: "where uploads are stored",
  }),
  setting({
    key: "maxFileBytes",
    env: "LUCKY_IM_FILES_MAX_BYTES",
    schema: atLeast(),
    default: DEFAULT_LIMITS.maxFileBytes,
    doc: "largest upload",
  }),
  setting({
    key: "allowedFileTypes",
    env: "LUCKY_IM_FILES_ALLOWED_TYPES",
    schema: list,
    default: DEFAULT_LIMITS.allowedFileTypes,
    doc: "content types of uploads",
  }),
  setting({
    key: "thumbnailSize",
    env: "LUCKY_IM_FILES_THUMBNAIL_SIZE",
    schema: atLeast(16, 4096),
    default: DEFAULT_LIMITS.thumbnailSize,
    doc: "longest side, in pixels, of the WebP thumbnail made for JPEG, PNG and WebP uploads",
  }),
  setting({
    key: "filesQuotaBytesPerDay",
    env: "LUCKY_IM_FILES_QUOTA_BYTES_PER_DAY",
    schema: atLeast(),
    default: DEFAULT_LIMITS.filesQuotaBytesPerDay,
    doc: "bytes a user may upload per UTC day (counted in memory, per node)",
  }),
  setting({
    key: "filesQuotaFilesPerDay",
    env: "LUCKY_IM_FILES_QUOTA_FILES_PER_DAY",
    schema: atLeast(),
    default: DEFAULT_LIMITS.filesQuotaFilesPerDay,
    doc: "files a user may upload per UTC day (counted in memory, per node)",
  }),
  setting({
    key: "filesRedirectSec",
    env: "LUCKY_IM_FILES_REDIRECT_SEC",
    schema: atLeast(0, 604_800),
    default: DEFAULT_LIMITS.filesRedirectSec,
    doc: "with S3, `GET /files/:id` redirects to a presigned URL that lives this long; 0: serve through the server",
  }),
  setting({
    key: "fileAccess",
    env: "LUCKY_IM_FILE_ACCESS",
    schema: oneOf("link", "members"),
    default: "link",
    doc: "who may download a file sent in a conversation: `link` (anyone with its URL) or `members` (its members, by token or a signed URL; needs LUCKY_IM_FILE_URL_SECRET)",
  }),
  setting({
    key: "fileUrlSecret",
    env: "LUCKY_IM_FILE_URL_SECRET",
    secret: true,
    schema: Type.String({ minLength: 32 }),
    doc: "with LUCKY_IM_FILE_ACCESS=members: the HMAC key of signed download URLs (32+ characters, the same on every node)",
  }),
  setting({
    key: "fileUrlTtlSeconds",
    env: "LUCKY_IM_FILE_URL_TTL_SEC",
    schema: atLeast(1, 604_800),
    default: 300,
    doc: "with LUCKY_IM_FILE_ACCESS=members: how long a signed download URL works, in seconds",
  }),
  setting({
    key: "s3Bucket",
    env: "LUCKY_IM_S3_BUCKET",
    schema: nonEmpty,
    doc: "store uploads in this S3 bucket instead of LUCKY_IM_FILES_DIR",
  }),
  setting({
    key: "s3Region",
    env: "LUCKY_IM_S3_REGION",
    schema: nonEmpty,
    default: "us-east-1",
    doc: "the bucket's region",
  }),
  setting({
    key: "s3Endpoint",
    env: "LUCKY_IM_S3_ENDPOINT",
    schema: nonEmpty,
    doc: "the S3 service URL for anything but AWS (MinIO: `http://minio:9000`)",
  }),
  setting({
    key: "s3AccessKeyId",
    env: "LUCKY_IM_S3_ACCESS_KEY_ID",
    schema: nonEmpty,
    doc: "S3 access key id; unset: the AWS SDK's credential chain",
  }),
  setting({
    key: "s3SecretAccessKey",
    env: "LUCKY_IM_S3_SECRET_ACCESS_KEY",
    secret: true,
    schema: nonEmpty,
    doc: "S3 secret access key",
  }),
  setting({
    key: "s3ForcePathStyle",
    env: "LUCKY_IM_S3_FORCE_PATH_STYLE",
    schema: Type.Boolean(),
    default: false,
    doc: "path-style URLs (`host/bucket/key`): MinIO and most self-hosted servers need `true`",
  }),
  setting({
    key: "s3Prefix",
    env: "LUCKY_IM_S3_PREFIX",
    schema: Type.String({ pattern: "^(.*/)?$" }),
    default: "",
    doc: "key prefix in the bucket, ending with `/` (`im/`)",
  }),
  setting({
    key: "allowedOrigins",
    env: "LUCKY_IM_CORS_ORIGINS",
    aliases: ["LUCKY_IM_ALLOWED_ORIGINS"],
    schema: list,
    doc: "browser origins allowed by CORS and on the WebSocket",
  }),
  setting({
    key: "trustProxy",
    env: "LUCKY_IM_TRUST_PROXY",
    schema: Type.Boolean(),
    default: false,
    doc: "trust X-Forwarded-For",
  }),
  setting({
    key: "logLevel",
    env: "LUCKY_IM_LOG_LEVEL",
    schema: oneOf(...LOG_LEVELS),
    default: "info",
    doc: "pino level",
  }),
  setting({
    key: "multiDevice",
    env: "LUCKY_IM_MULTI_DEVICE",
    schema: oneOf("multi", "one-per-device-class"),
    default: "multi",
    doc: "multi-device policy",
  }),
  setting({
    key: "framesPerWindow",
    env: "LUCKY_IM_RATE_FRAMES",
    schema: atLeast(),
    default: 40,
    doc: "WebSocket frames per window",
  }),
  setting({
    key: "rateWindowMs",
    env: "LUCKY_IM_RATE_WINDOW_MS",
    schema: atLeast(),
    default: 1000,
    doc: "frame rate window",
  }),
  setting({
    key: "maxFrameBytes",
    env: "LUCKY_IM_MAX_FRAME_BYTES",
    schema: atLeast(1024),
    default: 65_536,
    doc: "largest WebSocket frame the engine accepts",
  }),
  setting({
    key: "maxJsonDepth",
    env: "LUCKY_IM_MAX_JSON_DEPTH",
    schema: atLeast(4),
    default: 32,
    doc: "deepest nesting in a frame",
  }),
  setting({
    key: "groupCacheSize",
    env: "LUCKY_IM_GROUP_CACHE_SIZE",
    schema: atLeast(),
    default: 10_000,
    doc: "groups a node caches",
  }),
  setting({
    key: "maxGroupSize",
    env: "LUCKY_IM_MAX_GROUP_SIZE",
    schema: atLeast(2, 1_000_000),
    default: 500,
    doc: "largest group, owner included",
  }),
  setting({
    key: "maxGroupMuteSeconds",
    env: "LUCKY_IM_MAX_GROUP_MUTE_SECONDS",
    schema: atLeast(60),
    default: DEFAULT_LIMITS.maxGroupMuteSeconds,
    doc: "longest timed mute of a group member",
  }),
  setting({
    key: "maxPendingJoinRequests",
    env: "LUCKY_IM_MAX_PENDING_JOIN_REQUESTS",
    schema: atLeast(1, 10_000),
    default: 20,
    doc: "pending join requests one user may have open",
  }),
  setting({
    key: "maxGroupDescription",
    env: "LUCKY_IM_MAX_GROUP_DESCRIPTION",
    schema: atLeast(1, 100_000),
    default: 500,
    doc: "longest group description, in characters",
  }),
  setting({
    key: "maxGroupAnnouncement",
    env: "LUCKY_IM_MAX_GROUP_ANNOUNCEMENT",
    schema: atLeast(1, 100_000),
    default: 2000,
    doc: "longest group announcement, in characters",
  }),
  setting({
    key: "profileSearchesPerMinute",
    env: "LUCKY_IM_PROFILE_SEARCHES_PER_MINUTE",
    schema: atLeast(),
    default: 20,
    doc: "user searches one user may make per minute on a node",
  }),
  setting({
    key: "dedupeCacheSize",
    env: "LUCKY_IM_DEDUPE_CACHE_SIZE",
    schema: atLeast(),
    default: 100_000,
    doc: "message ids a node remembers to drop duplicates",
  }),
  setting({
    key: "maxConnectionsPerIp",
    env: "LUCKY_IM_MAX_CONNECTIONS_PER_IP",
    schema: atLeast(),
    default: 1000,
    doc: "WebSocket connections per client address",
  }),
  setting({
    key: "maxConnectionsPerUser",
    env: "LUCKY_IM_MAX_CONNECTIONS_PER_USER",
    schema: atLeast(),
    default: 10,
    doc: "WebSocket connections per user",
  }),
  setting({
    key: "loginLimit",
    env: "LUCKY_IM_LOGIN_LIMIT",
    schema: atLeast(),
    default: 10,
    doc: "login attempts per username per window",
  }),
  setting({
    key: "loginLimitPerIp",
    env: "LUCKY_IM_LOGIN_LIMIT_PER_IP",
    schema: atLeast(),
    default: 100,
    doc: "login attempts per address per window",
  }),
  setting({
    key: "loginWindowMs",
    env: "LUCKY_IM_LOGIN_WINDOW_MS",
    schema: atLeast(),
    default: 300_000,
    doc: "the login window",
  }),
  setting({
    key: "registerLimitPerHour",
    env: "LUCKY_IM_REGISTER_LIMIT",
    schema: atLeast(),
    default: DEFAULT_LIMITS.registerLimitPerHour,
    doc: "registrations per address per hour",
  }),
  setting({
    key: "adminUserIds",
    env: "LUCKY_IM_ADMIN_USER_IDS",
    schema: Type.Array(Type.String({ pattern: "^[^\\s:]{1,128}$" }), {
      description: "user ids (no spaces or colons)",
    }),
    default: [],
    doc: "user ids of the admins (`/admin` routes and page): `GET /users/me` shows yours",
  }),
  setting({
    key: "searchLimitPerMinute",
    env: "LUCKY_IM_SEARCH_LIMIT",
    schema: atLeast(),
    default: DEFAULT_LIMITS.searchLimitPerMinute,
    doc: "searches (GET /search) per user per minute",
  }),
  setting({
    key: "loginFreeFailures",
    env: "LUCKY_IM_LOGIN_FREE_FAILURES",
    schema: atLeast(0),
    default: 5,
    doc: "wrong passwords per (username, IP) before backoff",
  }),
  setting({
    key: "loginBackoffBaseMs",
    env: "LUCKY_IM_LOGIN_BACKOFF_BASE_MS",
    schema: atLeast(1),
    default: 1000,
    doc: "first login backoff wait",
  }),
  setting({
    key: "loginBackoffMaxMs",
    env: "LUCKY_IM_LOGIN_BACKOFF_MAX_MS",
    schema: atLeast(1),
    default: 900_000,
    doc: "longest login backoff wait",
  }),
  setting({
    key: "hashConcurrency",
    env: "LUCKY_IM_HASH_CONCURRENCY",
    schema: atLeast(1),
    default: 2,
    doc: "password hashes at once",
  }),
  setting({
    key: "hashQueue",
    env: "LUCKY_IM_HASH_QUEUE",
    schema: atLeast(0),
    default: 8,
    doc: "password hashes waiting",
  }),
  setting({
    key: "hashPerIp",
    env: "LUCKY_IM_HASH_PER_IP",
    schema: atLeast(1),
    default: 2,
    doc: "password hashes per client IP",
  }),
  setting({
    key: "lookupLimit",
    env: "LUCKY_IM_LOOKUP_LIMIT",
    schema: atLeast(1),
    default: 30,
    doc: "username lookups per user per minute",
  }),
  setting({
    key: "lookupLimitPerIp",
    env: "LUCKY_IM_LOOKUP_LIMIT_PER_IP",
    schema: atLeast(1),
    default: 60,
    doc: "username lookups per IP per minute",
  }),
  setting({
    key: "newDirectLimit",
    env: "LUCKY_IM_NEW_DIRECT_LIMIT",
    schema: atLeast(1),
    default: 30,
    doc: "first messages to strangers per 10 minutes",
  }),
  setting({
    key: "callLimit",
    env: "LUCKY_IM_CALL_LIMIT",
    schema: atLeast(1),
    default: 20,
    doc: "new calls per 10 minutes",
  }),
  setting({
    key: "strangerAddLimit",
    env: "LUCKY_IM_STRANGER_ADD_LIMIT",
    schema: atLeast(1),
    default: 1000,
    doc: "strangers added to groups per 10 minutes",
  }),
  setting({
    key: "contactRequestLimit",
    env: "LUCKY_IM_CONTACT_REQUEST_LIMIT",
    schema: atLeast(1),
    default: 20,
    doc: "contact requests per 10 minutes",
  }),
  setting({
    key: "passwordHashLogN",
    env: "LUCKY_IM_PASSWORD_HASH_LOG_N",
    schema: atLeast(10, 22),
    default: 17,
    doc: "log2 of the scrypt cost",
  }),
  setting({
    key: "passwordMinLength",
    env: "LUCKY_IM_PASSWORD_MIN_LENGTH",
    schema: atLeast(),
    default: 8,
    doc: "shortest new password",
  }),
  setting({
    key: "jsonBodyLimit",
    env: "LUCKY_IM_JSON_BODY_LIMIT",
    schema: atLeast(1024),
    default: 64 * 1024,
    doc: "largest JSON body",
  }),
  setting({
    key: "maxUrlLength",
    env: "LUCKY_IM_MAX_URL_LENGTH",
    schema: atLeast(256),
    default: 8192,
    doc: "longest request URL (414 beyond)",
  }),
  setting({
    key: "maxHeaderBytes",
    env: "LUCKY_IM_MAX_HEADER_BYTES",
    schema: atLeast(1024),
    default: 16 * 1024,
    doc: "largest request head (431 beyond)",
  }),
  setting({
    key: "syncPageBytes",
    env: "LUCKY_IM_SYNC_PAGE_BYTES",
    schema: atLeast(1),
    default: 256 * 1024,
    doc: "bytes of one sync answer page (the rest follows with more: true)",
  }),
  setting({
    key: "wsHighWaterMark",
    env: "LUCKY_IM_WS_HIGH_WATER_MARK",
    schema: atLeast(1),
    default: 1024 * 1024,
    doc: "bytes queued to a client above which it counts as slow",
  }),
  setting({
    key: "wsMaxBufferedBytes",
    env: "LUCKY_IM_WS_MAX_BUFFERED_BYTES",
    schema: atLeast(1),
    default: 4 * 1024 * 1024,
    doc: "bytes queued to a client beyond which it is closed with 4008",
  }),
  setting({
    key: "wsSlowClientTimeoutMs",
    env: "LUCKY_IM_WS_SLOW_CLIENT_TIMEOUT_MS",
    schema: atLeast(1),
    default: 10_000,
    doc: "how long a client may stay over the high-water mark before 4008",
  }),
  setting({
    key: "store",
    env: "LUCKY_IM_STORE",
    schema: oneOf("sqlite", "memory", "postgres"),
    doc: "where data is kept: `sqlite` (a local file), `memory` (lost at exit) or `postgres`; unset: `postgres` when LUCKY_IM_POSTGRES_URL is set, else `sqlite`",
  }),
  setting({
    key: "sqlitePath",
    env: "LUCKY_IM_SQLITE_PATH",
    schema: nonEmpty,
    default: "./data/lucky-im.sqlite",
    doc: "the SQLite file of the `sqlite` store (created with its directory)",
  }),
  setting({
    key: "memoryMaxMessages",
    env: "LUCKY_IM_MEMORY_MAX_MESSAGES",
    schema: atLeast(1),
    doc: "the `memory` store keeps at most this many messages per conversation, the oldest dropped first (clients are told); unset: all",
  }),
  setting({
    key: "memoryMaxAgeMs",
    env: "LUCKY_IM_MEMORY_MAX_AGE_MS",
    schema: atLeast(1),
    doc: "the `memory` store drops messages older than this many ms; unset: none",
  }),
  setting({
    key: "vapidPublicKey",
    env: "LUCKY_IM_VAPID_PUBLIC_KEY",
    schema: Type.String({ pattern: "^[A-Za-z0-9_-]{87}$" }),
    doc: "Web Push: the VAPID public key (base64url, `npx web-push generate-vapid-keys`); with the private key and subject it turns Web Push on",
  }),
  setting({
    key: "vapidPrivateKey",
    env: "LUCKY_IM_VAPID_PRIVATE_KEY",
    secret: true,
    schema: Type.String({ pattern: "^[A-Za-z0-9_-]{43}$" }),
    doc: "Web Push: the VAPID private key (base64url)",
  }),
  setting({
    key: "vapidSubject",
    env: "LUCKY_IM_VAPID_SUBJECT",
    schema: Type.String({ pattern: "^(mailto:|https://)\\S+$" }),
    doc: "Web Push: a contact for push services, `mailto:` or `https://`",
  }),
  setting({
    key: "fcmServiceAccountFile",
    env: "LUCKY_IM_FCM_SERVICE_ACCOUNT_FILE",
    schema: nonEmpty,
    doc: "FCM: the service-account key file (JSON); set, it turns FCM HTTP v1 on",
  }),
  setting({
    key: "fcmTokenUrl",
    env: "LUCKY_IM_FCM_TOKEN_URL",
    schema: Type.String({ pattern: "^https?://\\S+$" }),
    default: "https://oauth2.googleapis.com/token",
    doc: "FCM: the OAuth 2.0 token endpoint",
  }),
  setting({
    key: "fcmApiUrl",
    env: "LUCKY_IM_FCM_API_URL",
    schema: Type.String({ pattern: "^https?://\\S+$" }),
    default: "https://fcm.googleapis.com",
    doc: "FCM: the API origin (`/v1/projects/{id}/messages:send`)",
  }),
  setting({
    key: "pushContent",
    env: "LUCKY_IM_PUSH_CONTENT",
    schema: oneOf("hidden", "preview"),
    default: "hidden",
    doc: 'what a push shows: `hidden` ("New message") or `preview` (sender and text)',
  }),
  setting({
    key: "pushBatchWindowMs",
    env: "LUCKY_IM_PUSH_BATCH_WINDOW_MS",
    schema: atLeast(0),
    default: 2000,
    doc: "messages to an offline user in one conversation within this window make one push",
  }),
  setting({
    key: "pushMaxQueued",
    env: "LUCKY_IM_PUSH_MAX_QUEUED",
    schema: atLeast(1),
    default: 10_000,
    doc: "pushes waiting at once; beyond, new ones are dropped (counted)",
  }),
  setting({
    key: "pushDeviceLimit",
    env: "LUCKY_IM_PUSH_DEVICE_LIMIT",
    schema: atLeast(1),
    default: 20,
    doc: "push device registrations per user per 10 minutes",
  }),
  setting({
    key: "pushAllowHttpEndpoints",
    env: "LUCKY_IM_PUSH_ALLOW_HTTP_ENDPOINTS",
    schema: Type.Boolean(),
    default: false,
    doc: "accept `http:` Web Push endpoints: local push-service stand-ins in tests only",
  }),
  setting({
    key: "webhookUrl",
    env: "LUCKY_IM_WEBHOOK_URL",
    schema: Type.String({ pattern: "^https?://\\S+$" }),
    doc: "webhooks: the endpoint events are POSTed to (with the secret it turns webhooks on; docs/integrations.md)",
  }),
  setting({
    key: "webhookSecret",
    env: "LUCKY_IM_WEBHOOK_SECRET",
    secret: true,
    schema: Type.String({ minLength: 16 }),
    doc: "webhooks: the HMAC-SHA256 signing secret (16+ characters)",
  }),
  setting({
    key: "webhookEvents",
    env: "LUCKY_IM_WEBHOOK_EVENTS",
    schema: list,
    doc: "webhooks: the event types sent, comma-separated (`message.stored,message.read`); unset: all but `message.read` (opt-in)",
  }),
  setting({
    key: "webhookMaxAttempts",
    env: "LUCKY_IM_WEBHOOK_MAX_ATTEMPTS",
    schema: atLeast(1),
    default: 8,
    doc: "webhooks: attempts per event before it becomes a dead letter",
  }),
  setting({
    key: "webhookTimeoutMs",
    env: "LUCKY_IM_WEBHOOK_TIMEOUT_MS",
    schema: atLeast(1, 60_000),
    default: 5_000,
    doc: "webhooks: how long one POST may take, in ms (1 to 60000)",
  }),
  setting({
    key: "metricsToken",
    env: "LUCKY_IM_METRICS_TOKEN",
    secret: true,
    schema: Type.String({ minLength: 16 }),
    doc: "bearer token of /metrics",
  }),
  setting({
    key: "serverApiKey",
    env: "LUCKY_IM_SERVER_API_KEY",
    secret: true,
    schema: Type.String({ minLength: 32 }),
    doc: "bearer key of the server API (/server/messages, /server/broadcast); unset: off",
  }),
  setting({
    key: "serverApiLimitPerMinute",
    env: "LUCKY_IM_SERVER_API_LIMIT",
    schema: atLeast(),
    default: DEFAULT_LIMITS.serverApiLimitPerMinute,
    doc: "server API requests per address per minute",
  }),
  setting({
    key: "serverApiBodyLimit",
    env: "LUCKY_IM_SERVER_API_BODY_LIMIT",
    schema: atLeast(1024),
    default: DEFAULT_LIMITS.serverApiBodyLimit,
    doc: "largest server API body, in bytes",
  }),
  setting({
    key: "serverBatchMax",
    env: "LUCKY_IM_SERVER_BATCH_MAX",
    schema: atLeast(),
    default: 1_000,
    doc: "most messages of one POST /server/messages batch",
  }),
  setting({
    key: "broadcastMax",
    env: "LUCKY_IM_BROADCAST_MAX",
    schema: atLeast(),
    default: 10_000,
    doc: "most recipients of one POST /server/broadcast",
  }),
  setting({
    key: "metricsPort",
    env: "LUCKY_IM_METRICS_PORT",
    schema: port("metrics port"),
    doc: "serve /metrics on this port only",
  }),
];

/**
 * Variables the server no longer reads, with what to do instead: setting one is a
 * configuration error (rather than a silently ignored variable).
 */
export const REMOVED_VARIABLES: Readonly<Record<string, string>> = {
  LUCKY_IM_ADMIN_USERNAMES:
    "LUCKY_IM_ADMIN_USERNAMES is no longer read: anyone could register an admin's username before them; list the admins' user ids in LUCKY_IM_ADMIN_USER_IDS instead (GET /users/me shows a user's id)",
};

/**
 * Names under the `LUCKY_IM_` prefix that belong to other tools (tests, benchmarks, the
 * store-postgres CLI) and may share the server's environment.
 */
export const FOREIGN_VARIABLES: readonly RegExp[] = [
  /^LUCKY_IM_TEST_/,
  /^LUCKY_IM_BENCH_/,
  /^LUCKY_IM_PG_SCHEMA$/,
];
