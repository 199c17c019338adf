import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import {
  type AuthService,
  type CodeSender,
  createAuthService,
  createEncryptionKeyRing,
  createHashPool,
  createPasswordHasher,
} from "@lucky-im/auth";
import {
  createImServer,
  createMemoryStorage,
  type ImServer,
  isMuted as isConversationMuted,
  newId,
} from "@lucky-im/core";
import {
  bearerAuthenticator,
  clientErrorHandler,
  createImMetrics,
  handleError,
  imHttpPlugin,
  installValidators,
  registerMetricsRoute,
  securityHeaders,
  sendErrorStatus,
} from "@lucky-im/http";
import type { PushMetricsListener, PushNotifier } from "@lucky-im/push";
import { createWsTransport } from "@lucky-im/transport-ws";
import {
  type WebhookDispatcher,
  type WebhookMetricsListener,
  withWebhookEvents,
} from "@lucky-im/webhooks";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { type Logger, pino } from "pino";
import { openBackends } from "./backends.js";
import type { ChatServerConfig } from "./config.js";
import { selectFileStore } from "./file-store-selection.js";
import { redactedRequestSerializer } from "./log-redaction.js";
import { mediaUrlHook } from "./media-urls.js";
import type { RouteContext } from "./page-context.js";
import { createChatPush } from "./push.js";
import { createPushQueueMetrics } from "./push-metrics.js";
import { registerPageSettingsRoutes } from "./routes/page-settings-routes.js";
import { registerPushRoutes } from "./routes/push-routes.js";
import { registerStaticRoutes } from "./routes/static-routes.js";
import { registerWebhookRoutes } from "./routes/webhook-routes.js";
import { createWebhookMetrics } from "./webhook-metrics.js";
import { createChatWebhooks } from "./webhooks.js";

/** A running chat server. */
export interface ChatServer {
  /** The Fastify instance (listening). */
  readonly app: FastifyInstance;
  /** The Lucky IM engine. */
  readonly im: ImServer;
  /** Registration, login and tokens. */
  readonly auth: AuthService;
  /** The port it listens on (useful after `port: 0`). */
  readonly port: number;
  /** `http://<host>:<port>` (loopback when bound to every interface). */
  readonly url: string;
  /** `http://<host>:<port>` of the metrics listener when `metricsPort` is set. */
  readonly metricsUrl?: string;
  /**
   * Drains: readiness turns 503, WebSocket clients get 1001, in-flight sends
   * are stored and published, then HTTP stops and the services are released.
   * Idempotent.
   */
  close(): Promise<void>;
}

/** Options of {@link createChatServer} that are not configuration. */
export interface ChatServerOptions {
  /**
   * The pino logger.
   * @default a pino logger at `config.logLevel`, tokens and bodies redacted
   */
  logger?: Logger;
  /**
   * Delivers password reset, login and recipient check codes (your SMS or e-mail provider).
   * @default the auth package's logging sender (codes in the log: development only)
   */
  codeSender?: CodeSender;
}

/** One level up from `src/` (sources) or `dist/` (the build): the package folder. */
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The single-file browser build of `@lucky-im/client` (served at `/client.js`). */
function clientBundlePath(): string {
  const manifest = createRequire(import.meta.url).resolve("@lucky-im/client/package.json");
  return join(dirname(manifest), "dist", "browser", "lucky-im-client.js");
}

/** Never in a log line: credentials, and bodies (they hold passwords and messages). */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['sec-websocket-protocol']",
  "req.body",
  "res.headers['set-cookie']",
  "body",
  "password",
  "passwordJwe",
  "accessToken",
  "refreshToken",
  "token",
];

/** The default logger: JSON lines, redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "lucky-im-chat-server" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  });
}

/**
 * Builds and starts the whole server: backends from the configuration, the
 * auth service, the engine on a WebSocket transport attached to Fastify's
 * server at `/ws`, the HTTP API of PROTOCOL.md, metrics and the web page;
 * then listens on `config.port`.
 *
 * @example
 * ```ts
 * const server = await createChatServer({ ...loadConfig(), port: 0 });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function createChatServer(
  config: ChatServerConfig,
  options: ChatServerOptions = {},
): Promise<ChatServer> {
  const nodeId = config.nodeId ?? newId("n");
  // Whatever the logger, request lines never carry a token from the query string.
  const log = (options.logger ?? createLogger(config.logLevel)).child(
    { nodeId },
    { serializers: { req: redactedRequestSerializer } },
  );

  let jwtSecret = config.jwtSecret;
  if (jwtSecret === undefined) {
    jwtSecret = randomBytes(32).toString("base64url");
    log.warn(
      "LUCKY_IM_JWT_SECRET is not set: using a random secret for this process (tokens die with it, and other nodes refuse them)",
    );
  }

  const backends = await openBackends(config, nodeId, jwtSecret, log);
  const { services } = backends;
  if (services.store === "sqlite") {
    log.info({ path: config.sqlitePath }, "data is kept in a SQLite file (LUCKY_IM_SQLITE_PATH)");
  }
  if (!services.postgres && !services.amqp && !services.redis) {
    log.warn(
      services.store === "sqlite"
        ? "embedded mode: SQLite storage, in-process broker and presence; run a single node"
        : "embedded mode: in-memory storage, broker and presence; data is not persisted and is lost when the process stops",
    );
  } else {
    if (services.store === "memory") log.warn("LUCKY_IM_STORE=memory: data is not persisted");
    if (!services.amqp)
      log.warn("LUCKY_IM_AMQP_URL is not set: in-process broker, run a single node");
    if (!services.redis)
      log.warn("LUCKY_IM_REDIS_URL is not set: in-process presence, run a single node");
  }

  let draining = false;
  let im: ImServer | undefined;
  let app: FastifyInstance | undefined;
  // Password hashes run on worker threads of their own, bounded: a login flood is refused
  // with 429/503 instead of starving static files, API calls and WebSocket auth.
  const hashPool = createHashPool({
    maxConcurrent: config.hashConcurrency,
    maxQueued: config.hashQueue,
    maxPerKey: config.hashPerIp,
  });
  let metricsApp: FastifyInstance | undefined;
  let notifier: PushNotifier | undefined;
  let webhooks: WebhookDispatcher | undefined;
  try {
    const auth = createAuthService({
      ...backends.authStores,
      signingKey: { secret: jwtSecret },
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      accessTokenTtlSec: config.accessTokenTtlSec,
      refreshReuseIntervalMs: config.refreshReuseIntervalMs,
      minPasswordLength: config.passwordMinLength,
      // Shared through PostgreSQL when set; otherwise a key per process is enough (one node).
      encryptionKeys: createEncryptionKeyRing(
        backends.loginKey ? { keys: [backends.loginKey] } : {},
      ),
      passwordHasher: createPasswordHasher({ logN: config.passwordHashLogN, pool: hashPool }),
      loginLimitPerUser: { points: config.loginLimit, durationMs: config.loginWindowMs },
      loginLimitPerIp: { points: config.loginLimitPerIp, durationMs: config.loginWindowMs },
      loginBackoff: {
        freeFailures: config.loginFreeFailures,
        baseDelayMs: config.loginBackoffBaseMs,
        maxDelayMs: config.loginBackoffMaxMs,
      },
      lookupLimitPerUser: { points: config.lookupLimit, durationMs: 60_000 },
      lookupLimitPerIp: { points: config.lookupLimitPerIp, durationMs: 60_000 },
      rateLimiter: backends.limiterFactory,
      ...(options.codeSender ? { codeSender: options.codeSender } : {}),
      // A suspended or banned user gets no tokens: no login of any kind, no refresh.
      isSuspended: async (userId) => (await im?.admin.suspensionOf(userId)) !== undefined,
      // Revoked tokens (logout, refresh reuse, password reset) also close the user's live sessions.
      onRevoke: ({ userId }) => im?.kick(userId),
      onError: (error, context) => log.error({ code: error.code, err: error }, `auth: ${context}`),
    });

    const http: FastifyInstance = Fastify({
      loggerInstance: log as FastifyBaseLogger,
      bodyLimit: config.jsonBodyLimit,
      // One trusted hop: the client address is the one our proxy appended, never a hop the
      // client wrote itself (that would dodge the per-address limits).
      trustProxy: config.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
      // Behind a load balancer a request can outlive a slow client: bound it.
      requestTimeout: 120_000,
      // Node's parser answers a larger head itself: clientErrorHandler gives it our shape (431).
      http: { maxHeaderSize: config.maxHeaderBytes },
      clientErrorHandler,
      // Malformed URLs (`/%zz`) and the like, in the API's error shape.
      frameworkErrors: handleError,
    });
    app = http;

    const transport = createWsTransport({
      server: http.server,
      path: "/ws",
      trustProxy: config.trustProxy,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      maxConnectionsPerUser: config.maxConnectionsPerUser,
      highWaterMark: config.wsHighWaterMark,
      maxBufferedBytes: config.wsMaxBufferedBytes,
      slowClientTimeoutMs: config.wsSlowClientTimeoutMs,
      // The engine refuses frames over maxFrameBytes with bad_request; the socket limit must not be lower.
      maxPayload: config.maxFrameBytes,
      ...(config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {}),
      onError: (error, context) =>
        log.error({ code: error.code, err: error }, `websocket transport: ${context}`),
    });

    // The metrics need the engine, the engine needs the notifier: count once both exist.
    let countPush: PushMetricsListener | undefined;
    const push = createChatPush(
      config,
      backends.deviceRegistry,
      log,
      (result, platform) => countPush?.(result, platform),
      // The user's own mute of the conversation (a mention still pushes).
      async (userId, conversationId) => {
        const storage = im?.storage;
        if (storage === undefined) return false;
        const [settings] = await storage.conversationSettings.get(userId, [conversationId]);
        return settings !== undefined && isConversationMuted(settings, Date.now());
      },
      backends.pushQueue,
      // A message recalled while its push waited is not shown in the notification. A failed
      // lookup (the store closing at shutdown) sends the notification as before rather than
      // spending one of the job's attempts.
      async (messageId) => im?.storage.messages.get(messageId).catch(() => undefined),
    );
    notifier = push.notifier;
    // Webhooks (LUCKY_IM_WEBHOOK_*): the engine's writes become events, recorded before settling.
    let webhookMetrics: WebhookMetricsListener | undefined;
    webhooks = createChatWebhooks(config, backends.webhookQueue, log, {
      count: (name, endpointId, by) => webhookMetrics?.count?.(name, endpointId, by),
      latency: (endpointId, ms, ok) => webhookMetrics?.latency?.(endpointId, ms, ok),
    });
    const baseStorage = backends.storage ?? (webhooks ? createMemoryStorage() : undefined);
    const storage =
      webhooks && baseStorage
        ? withWebhookEvents(baseStorage, webhooks, {
            onError: (error, context) => log.warn({ err: error }, context),
          })
        : baseStorage;
    const engine = createImServer({
      transport,
      authenticator: auth.authenticator,
      nodeId,
      // Admins: the user ids of `adminUserIds` (never usernames: anyone may register a name first).
      admin: { isAdmin: (userId) => config.adminUserIds.includes(userId) },
      ...(storage ? { storage } : {}),
      ...(backends.broker ? { broker: backends.broker } : {}),
      ...(backends.presence ? { presence: backends.presence } : {}),
      // The Redis limiter counts each user's frames across every node; in process, per connection.
      ...(backends.frameLimiter
        ? { rateLimiter: backends.frameLimiter, rateLimitScope: "user" as const }
        : {}),
      hooks: {
        ...mediaUrlHook,
        // Recipients with no live session: wake their devices (the notifier only queues).
        ...(push.notifier ? { onOffline: push.notifier.onOffline } : {}),
      },
      // A durable push queue: a message's outbox entry is settled once its pushes are
      // recorded, so a crash in between makes the relay record them again.
      delivery: { settleAfterOffline: Boolean(push.notifier && backends.pushQueue) },
      limits: {
        framesPerWindow: config.framesPerWindow,
        rateWindowMs: config.rateWindowMs,
        maxFrameBytes: config.maxFrameBytes,
        maxJsonDepth: config.maxJsonDepth,
        newDirectConversationsPerWindow: config.newDirectLimit,
        callsPerWindow: config.callLimit,
        strangerAddsPerWindow: config.strangerAddLimit,
        contactRequestsPerWindow: config.contactRequestLimit,
        syncPageBytes: config.syncPageBytes,
        maxGroupSize: config.maxGroupSize,
        maxPendingJoinRequestsPerUser: config.maxPendingJoinRequests,
        maxGroupDescriptionLength: config.maxGroupDescription,
        maxGroupAnnouncementLength: config.maxGroupAnnouncement,
        profileSearchesPerWindow: config.profileSearchesPerMinute,
        profileSearchWindowMs: 60_000,
        maxServerBatch: config.serverBatchMax,
        maxBroadcastUsers: config.broadcastMax,
      },
      caches: {
        group: { maxEntries: config.groupCacheSize },
        dedupe: { maxEntries: config.dedupeCacheSize },
      },
      heartbeatMs: transport.heartbeatMs,
      presenceTracking: {
        // A third of the TTL: two missed heartbeats still leave the node alive.
        heartbeatMs: Math.max(300, Math.floor(config.presenceTtlMs / 3)),
      },
      multiDevice: config.multiDevice,
      logger: log, // pino fits ImLogger as it is
    });
    im = engine;
    engine.on("error", (error, context) =>
      log.warn({ code: error.code, err: error }, `engine: ${context}`),
    );
    engine.on("connection", (session) =>
      log.debug({ userId: session.userId, sessionId: session.sessionId }, "session opened"),
    );
    engine.on("disconnection", (session, code) =>
      log.debug({ userId: session.userId, sessionId: session.sessionId, code }, "session closed"),
    );

    const metrics = createImMetrics(engine, {
      onError: (error) => log.warn({ err: error }, "collecting metrics"),
    });
    countPush = metrics.countPush;
    webhookMetrics = createWebhookMetrics(
      metrics.registry,
      (error) => log.warn({ err: error }, "collecting metrics"),
      webhooks ? backends.webhookQueue : undefined,
    );
    if (push.notifier) {
      createPushQueueMetrics(metrics.registry, push.notifier, (error) =>
        log.warn({ err: error }, "collecting metrics"),
      );
    }
    const fileStore = selectFileStore(config);
    // A suspended user's token is refused with 403 on every route (the API's and the page's).
    const authenticate = bearerAuthenticator(auth, engine);
    const ctx: RouteContext = {
      config,
      push,
      pushDeviceLimiter: backends.limiterFactory({
        name: "http_push_devices",
        points: config.pushDeviceLimit,
        durationMs: 600_000,
      }),
      publicDir: config.publicDir ?? `${PACKAGE_ROOT}public`,
      clientBundlePath: clientBundlePath(),
      authenticate,
    };

    await installHttpBasics(http, config);
    // The HTTP API of docs/protocol.md, at the root (the page calls /auth/login, /conversations ...).
    await http.register(imHttpPlugin, {
      im: engine,
      auth,
      authenticate,
      files: fileStore.files,
      filesKind: fileStore.kind,
      // Members-only downloads (LUCKY_IM_FILE_ACCESS=members): the page asks for signed URLs.
      // No secret (a config built in code): the plugin refuses to start, saying so.
      ...(config.fileAccess === "members"
        ? {
            fileAccess: {
              mode: "members" as const,
              secret: config.fileUrlSecret ?? "",
              urlTtlSeconds: config.fileUrlTtlSeconds,
            },
          }
        : {}),
      rateLimiter: backends.limiterFactory,
      limits: {
        bodyLimit: config.jsonBodyLimit,
        maxGroupMuteSeconds: config.maxGroupMuteSeconds,
        maxFileBytes: config.maxFileBytes,
        allowedFileTypes: config.allowedFileTypes,
        thumbnailSize: config.thumbnailSize,
        filesQuotaBytesPerDay: config.filesQuotaBytesPerDay,
        filesQuotaFilesPerDay: config.filesQuotaFilesPerDay,
        filesRedirectSec: config.filesRedirectSec,
        registerLimitPerHour: config.registerLimitPerHour,
        searchLimitPerMinute: config.searchLimitPerMinute,
        serverApiLimitPerMinute: config.serverApiLimitPerMinute,
        serverApiBodyLimit: config.serverApiBodyLimit,
      },
      // The server API (docs/protocol.md §14) only with a key.
      ...(config.serverApiKey === undefined ? {} : { serverApiKey: config.serverApiKey }),
      // /metrics on this listener only when protected by a token and not moved to its own port.
      routes: { metrics: config.metricsPort === undefined && config.metricsToken !== undefined },
      metrics,
      ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
      draining: () => draining,
      // Logged out everywhere: no device of the user is to be woken any more.
      onLogoutAll: (userId) => push.registry.unregisterUser(userId),
      // Set once for the API and the page below.
      securityHeaders: false,
    });
    registerPushRoutes(http, ctx);
    registerPageSettingsRoutes(http, ctx);
    if (webhooks) {
      // Admins only, by the engine's own check (the `/admin` routes' `isAdmin`).
      registerWebhookRoutes(http, webhooks, {
        authenticate,
        isAdmin: (userId) => engine.admin.isAdmin({ userId, claims: {} }),
      });
    }
    registerStaticRoutes(http, ctx);

    await engine.start();
    webhooks?.start();
    await http.listen({ port: config.port, host: config.host, backlog: config.listenBacklog });
    if (config.metricsPort !== undefined) {
      // Its own listener: scrapers reach it on a private network, the public port has no /metrics.
      const scrape = Fastify({ loggerInstance: log as FastifyBaseLogger });
      scrape.setErrorHandler(handleError);
      registerMetricsRoute(scrape, metrics, config.metricsToken);
      await scrape.listen({ port: config.metricsPort, host: config.host });
      metricsApp = scrape;
    } else if (config.metricsToken === undefined) {
      log.info("/metrics is off: set LUCKY_IM_METRICS_TOKEN or LUCKY_IM_METRICS_PORT to scrape it");
    }
    const address = http.server.address() as AddressInfo;
    const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
    log.info(
      { port: address.port, host: config.host, services, filesDir: config.filesDir },
      `Lucky IM chat server listening on ${url} (WebSocket at /ws)`,
    );

    const metricsAddress = metricsApp?.server.address() as AddressInfo | undefined;
    const base = (port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    let closing: Promise<void> | undefined;
    const started = http;
    return {
      app: started,
      im: engine,
      auth,
      port: address.port,
      url,
      ...(metricsAddress ? { metricsUrl: base(metricsAddress.port) } : {}),
      close() {
        closing ??= (async () => {
          draining = true;
          log.info("draining");
          await engine.close();
          // Recorded deliveries stay in the queue for the next start (or another node).
          await webhooks?.stop();
          // Pushes in flight finish; waiting ones stay queued (in the database: for the next start
          // or another node; in memory: lost).
          await notifier?.close();
          await started.close();
          await hashPool.close();
          await metricsApp?.close();
          await backends.close();
          log.info("closed");
        })();
        return closing;
      },
    };
  } catch (error) {
    await im?.close().catch(() => {});
    await webhooks?.stop().catch(() => {});
    await notifier?.close().catch(() => {});
    await app?.close().catch(() => {});
    await hashPool.close();
    await metricsApp?.close().catch(() => {});
    await backends.close();
    throw error;
  }
}

/**
 * Validation, the error shape (also for Fastify's own refusals: bad URLs, oversized heads),
 * the URL length limit, security headers and CORS (only for the configured origins).
 */
async function installHttpBasics(app: FastifyInstance, config: ChatServerConfig): Promise<void> {
  app.setErrorHandler(handleError);
  installValidators(app);
  app.addHook("onRequest", async (request, reply) => {
    if ((request.raw.url ?? "").length > config.maxUrlLength) {
      return sendErrorStatus(
        reply,
        414,
        "bad_request",
        `the URL is longer than ${config.maxUrlLength} bytes`,
      );
    }
  });
  await app.register(
    helmet,
    securityHeaders({
      ...(config.allowedOrigins ? { allowedOrigins: config.allowedOrigins } : {}),
      mediaOrigins: bucketOrigins(config),
    }),
  );
  if (config.allowedOrigins) {
    // Bearer tokens, no cookies: no credentials mode, nothing ambient to expose.
    await app.register(cors, {
      origin: [...config.allowedOrigins],
      methods: ["GET", "POST", "DELETE"],
      allowedHeaders: ["Authorization", "Content-Type"],
      maxAge: 600,
    });
  }
}

/**
 * Where redirected downloads come from (S3 with `LUCKY_IM_FILES_REDIRECT_SEC` above 0): the page's
 * `<img>`, `<audio>` and `<video>` load from the bucket's origin, in path or virtual-host style.
 */
export function bucketOrigins(config: ChatServerConfig): string[] {
  if (!config.s3Bucket || config.filesRedirectSec === 0) return [];
  if (!config.s3Endpoint) return ["https://*.amazonaws.com"];
  const url = new URL(config.s3Endpoint);
  return [url.origin, `${url.protocol}//${config.s3Bucket}.${url.host}`];
}
