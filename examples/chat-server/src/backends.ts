import {
  type CodeStore,
  type CredentialStore,
  createMemoryCredentialStore,
  createMemoryRefreshTokenStore,
  createPostgresAuthStores,
  inMemoryRateLimits,
  type LoginChallengeStore,
  type RateLimiterFactory,
  type RefreshTokenStore,
} from "@lucky-im/auth";
import { createAmqpBroker } from "@lucky-im/broker-amqp";
import {
  type Broker,
  createMemoryStorage,
  type ImError,
  type Presence,
  type RateLimiter,
  type Storage,
  toImError,
} from "@lucky-im/core";
import {
  connectRedis,
  createRedisPresence,
  createRedisRateLimiter,
} from "@lucky-im/presence-redis";
import {
  createMemoryDeviceRegistry,
  createPostgresDeviceRegistry,
  createPostgresPushQueue,
  type DeviceRegistry,
  type PushQueue,
} from "@lucky-im/push";
import { createPostgresStore } from "@lucky-im/store-postgres";
import {
  createMemoryWebhookQueue,
  createPostgresWebhookQueue,
  type WebhookQueue,
} from "@lucky-im/webhooks";
import pg from "pg";
import type { Logger } from "pino";
import type { ChatServerConfig } from "./config.js";
import { loadSharedLoginKey, type PrivateJwk } from "./login-keys.js";
import { schemaMigrations } from "./migrations/schema-migrations.js";
import { openSqliteBackend } from "./sqlite-backend.js";
import type { StoreKind } from "./store-selection.js";

/** How long a starting node tries to reach Redis before it gives up. */
const REDIS_CONNECT_TIMEOUT_MS = 5000;

/** The adapters chosen by the configuration. Unset ones default to the engine's in-memory ones. */
export interface Backends {
  storage?: Storage;
  broker?: Broker;
  presence?: Presence;
  /** The per-connection frame limiter. */
  frameLimiter?: RateLimiter;
  /** Named limiters for auth and registration (Redis-backed with Redis, else in memory). */
  limiterFactory: RateLimiterFactory;
  /** Where users, refresh tokens, codes and QR login challenges live. */
  authStores: {
    credentials: CredentialStore;
    refreshTokens: RefreshTokenStore;
    codes?: CodeStore;
    challenges?: LoginChallengeStore;
  };
  /** Where push device tokens live (same database as the store; in memory for `memory`). */
  deviceRegistry: DeviceRegistry;
  /**
   * Where push notifications wait to be sent (same database as the store); undefined
   * for `memory`: the notifier's own bounded queue in memory.
   */
  pushQueue?: PushQueue;
  /** Where webhook deliveries wait (same database as the store; in memory for `memory`). */
  webhookQueue: WebhookQueue;
  /** The login key shared through PostgreSQL; undefined: one per process. */
  loginKey?: PrivateJwk;
  /** Which services are configured, for logs. */
  services: { store: StoreKind; postgres: boolean; amqp: boolean; redis: boolean };
  /** Releases the pool and the Redis client (after the engine closed its adapters). */
  close(): Promise<void>;
}

/**
 * Opens what the configuration names: a SQLite file (store and auth tables),
 * PostgreSQL (store, auth tables, shared login key; migrated unless `migrate` is false), RabbitMQ (broker), Redis (presence and rate
 * limits). On a failure, closes what was already opened and rethrows.
 */
export async function openBackends(
  config: ChatServerConfig,
  nodeId: string,
  jwtSecret: string,
  log: Logger,
): Promise<Backends> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) =>
        log.warn({ err: error }, "closing a backend failed"),
      );
    }
  };
  // Every adapter's onError has one shape: an ImError and what failed.
  const report = (what: string) => (error: ImError, context: string) =>
    log.error({ code: error.code, err: error }, `${what}: ${context}`);
  try {
    const backends: Backends = {
      limiterFactory: inMemoryRateLimits,
      authStores: {
        credentials: createMemoryCredentialStore(),
        refreshTokens: createMemoryRefreshTokenStore(),
      },
      deviceRegistry: createMemoryDeviceRegistry(),
      webhookQueue: createMemoryWebhookQueue(),
      services: {
        store: config.store,
        postgres: config.postgresUrl !== undefined,
        amqp: config.amqpUrl !== undefined,
        redis: config.redisUrl !== undefined,
      },
      close,
    };

    // The memory store bounded (LUCKY_IM_MEMORY_MAX_*): a dev server or a benchmark that runs for long.
    if (
      config.store === "memory" &&
      (config.memoryMaxMessages !== undefined || config.memoryMaxAgeMs !== undefined)
    ) {
      backends.storage = createMemoryStorage({
        retention: {
          ...(config.memoryMaxMessages !== undefined
            ? { maxMessagesPerConversation: config.memoryMaxMessages }
            : {}),
          ...(config.memoryMaxAgeMs !== undefined ? { maxAgeMs: config.memoryMaxAgeMs } : {}),
        },
      });
    }

    if (config.store === "sqlite") {
      const sqlite = await openSqliteBackend(config.sqlitePath, { migrate: config.migrate });
      closers.push(() => sqlite.close());
      backends.storage = sqlite.storage;
      backends.authStores = sqlite.authStores;
      backends.deviceRegistry = sqlite.deviceRegistry;
      backends.pushQueue = sqlite.pushQueue;
      backends.webhookQueue = sqlite.webhookQueue;
    }

    if (config.postgresUrl) {
      const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 20 });
      pool.on("error", (error) =>
        report("postgres")(toImError(error, "unavailable"), "idle pool connection"),
      );
      closers.push(() => pool.end());
      // Every table's migrations (store, auth, login key) run here, each under kysely's lock, so
      // nodes may start together; with LUCKY_IM_MIGRATE=false the deploy ran `lucky-im migrate up`.
      if (config.migrate) {
        const applied = await schemaMigrations({
          kind: "postgres",
          pool,
          schema: config.schema,
        }).up();
        if (applied.length > 0) log.info({ applied }, "migrations applied");
      }
      const storage = await createPostgresStore({
        pool,
        schema: config.schema,
        migrate: false,
        onError: report("postgres store"),
      });
      backends.storage = storage;
      // Idempotent: the engine closes it too; this covers a failure before the engine exists.
      closers.push(() => storage.close());
      backends.authStores = createPostgresAuthStores(pool, { schema: config.schema });
      backends.deviceRegistry = createPostgresDeviceRegistry(pool, { schema: config.schema });
      backends.pushQueue = createPostgresPushQueue(pool, { schema: config.schema });
      backends.webhookQueue = createPostgresWebhookQueue(pool, { schema: config.schema });
      backends.loginKey = await loadSharedLoginKey(pool, {
        schema: config.schema,
        secret: jwtSecret,
        onReplace: () =>
          log.warn(
            "the stored login key was sealed with another JWT secret: replaced (set the same LUCKY_IM_JWT_SECRET on every node)",
          ),
      });
    }

    if (config.amqpUrl) {
      backends.broker = createAmqpBroker({
        url: config.amqpUrl,
        prefix: config.amqpPrefix,
        queueType: config.amqpQueueType,
        nodeId,
        connectionName: `lucky-im-chat-server ${nodeId}`,
        onError: report("amqp broker"),
      });
    }

    if (config.redisUrl) {
      // One client for presence and every limiter; calls fail fast while Redis is down, and
      // commands of one tick leave in one write. Unreachable at startup: fail within seconds,
      // naming the URL, instead of starting a node whose every call fails.
      const redis = await connectRedis({
        url: config.redisUrl,
        timeoutMs: REDIS_CONNECT_TIMEOUT_MS,
        redisOptions: { connectionName: `lucky-im-chat-server-${nodeId}` },
      });
      let lastError: string | undefined;
      redis.on("error", (error: Error) => {
        if (error.message === lastError) return;
        lastError = error.message;
        log.error({ err: error }, "redis connection error");
      });
      redis.on("ready", () => {
        lastError = undefined;
      });
      closers.push(async () => {
        if (redis.status === "ready") await redis.quit();
        else redis.disconnect();
      });
      const prefix = config.redisPrefix;
      backends.presence = createRedisPresence({
        redis,
        prefix: `${prefix}:presence`,
        nodeTtlMs: config.presenceTtlMs,
      });
      backends.frameLimiter = createRedisRateLimiter({
        redis,
        prefix: `${prefix}:rl:frames`,
        points: config.framesPerWindow,
        durationMs: config.rateWindowMs,
        batchWindowMs: config.rateBatchWindowMs,
        onError: report("redis rate limiter"),
      });
      backends.limiterFactory = (spec) =>
        createRedisRateLimiter({
          redis,
          prefix: `${prefix}:rl:${spec.name}`,
          points: spec.points,
          durationMs: spec.durationMs,
          onError: report("redis rate limiter"),
        });
    }
    return backends;
  } catch (error) {
    await close();
    throw error;
  }
}
