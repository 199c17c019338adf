import type { RateLimiter, RateLimitResult } from "@lucky-im/core";
import { checkOption, ImError, isImError, withRateLimiterRuntime } from "@lucky-im/core";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { resolvePrefix } from "./name-prefix.js";
import { RateLimitUpserts } from "./rate-limit-upserts.js";
import {
  openRedisConnection,
  type RedisConnectionOptions,
  unavailable,
} from "./redis-connection.js";

const PKG = "presence-redis";
/** Longest wait of `close()` for consumes made before it. */
const CLOSE_WAIT_MS = 2000;

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions extends RedisConnectionOptions {
  /**
   * Prefix of this limiter's keys (`<prefix>:<key>`). Two limiters with
   * different budgets need different prefixes.
   * @default "lucky-im:rl"
   */
  prefix?: string;
  /** @deprecated Use `prefix` (giving both with different values is a `ConfigError`). */
  keyPrefix?: string;
  /** Points each key may spend per window. Required. */
  points: number;
  /** Length of the window, in ms (millisecond precision). Required. */
  durationMs: number;
  /**
   * When a key overspends, block it for this long instead of until the end
   * of the window (0: no extra block).
   * @default 0
   */
  blockDurationMs?: number;
  /**
   * While Redis is down, count in this process's memory instead (same points and
   * window, per process), so an outage degrades limits rather than refusing
   * everything (each fallback is reported to `onError`). When false, `consume`
   * rejects with `ImError('unavailable')`.
   * @default true
   */
  insurance?: boolean;
  /**
   * Waits at most this long for the first connection before answering
   * (from the insurance limiter or with `unavailable`).
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * The consumes of one event-loop turn go to Redis in one script call; a turn
   * with more keys than this makes several calls.
   * @default 500
   */
  maxKeysPerCall?: number;
  /**
   * How long the first consume of a batch waits for others before the script
   * call goes, in ms (at most 1000). 0: the consumes of one event-loop turn.
   * Every consume then waits up to this long; in return the frames it gates
   * reach the rest of the server together, so below saturation the store,
   * presence and socket writes after it batch too. In the full-stack bench,
   * 5 ms cut server and services CPU per message by 37 % at 1,000 msg/s and
   * 16 % at 3,000 (docs/benchmarks.md).
   * @default 0
   */
  batchWindowMs?: number;
}

/** A {@link RateLimiter} on Redis, as returned by {@link createRedisRateLimiter}. */
export interface RedisRateLimiter extends RateLimiter {
  /** Quits the Redis client when the limiter created it. Idempotent. */
  close(): Promise<void>;
}

/** `RateLimiterRedis` with its storage step in milliseconds; the rest (blocking, insurance) is the library's. */
class MsRateLimiterRedis extends RateLimiterRedis {
  readonly #client: Redis;
  readonly #upserts: RateLimitUpserts;
  readonly #ready: () => Promise<boolean>;
  readonly #onStoreError: (error: unknown) => void;

  constructor(
    opts: ConstructorParameters<typeof RateLimiterRedis>[0],
    client: Redis,
    upserts: RateLimitUpserts,
    ready: () => Promise<boolean>,
    onStoreError: (error: unknown) => void,
  ) {
    super(opts);
    this.#client = client;
    this.#upserts = upserts;
    this.#ready = ready;
    this.#onStoreError = onStoreError;
  }

  // Overrides the store hook rate-limiter-flexible calls for consume, block and set.
  async _upsert(
    rlKey: string,
    points: number,
    msDuration: number,
    forceExpire = false,
  ): Promise<[number, number]> {
    try {
      if (!(await this.#ready())) {
        throw new Error(`redis is not connected (status ${this.#client.status})`);
      }
      return await this.#upserts.upsert(
        rlKey,
        points,
        Math.max(0, Math.ceil(msDuration)),
        forceExpire,
      );
    } catch (error) {
      this.#onStoreError(error);
      throw error;
    }
  }
}

/**
 * Creates a {@link RateLimiter} that holds across nodes: a fixed window per key
 * in Redis (rate-limiter-flexible's `RateLimiterRedis`, millisecond precision).
 *
 * A rejected consume resolves `{ allowed: false, remaining, retryAfterMs }`. A
 * Redis failure falls back to a per-process in-memory limiter
 * ({@link RedisRateLimiterOptions.insurance}, default on) or, with insurance
 * off, rejects with `ImError('unavailable')`.
 *
 * @example
 * ```ts
 * const limiter = createRedisRateLimiter({ redis, prefix: "chat:send", points: 20, durationMs: 1000 });
 * const { allowed, retryAfterMs } = await limiter.consume(`user:${userId}`);
 * ```
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const points = checkOption(PKG, "points", options.points, { min: 1, integer: true });
  const durationMs = checkOption(PKG, "durationMs", options.durationMs, { min: 1 });
  const blockDurationMs = checkOption(PKG, "blockDurationMs", options.blockDurationMs ?? 0, {
    min: 0,
  });
  const connectTimeoutMs = checkOption(PKG, "connectTimeoutMs", options.connectTimeoutMs ?? 5000, {
    min: 0,
  });
  const maxKeysPerCall = checkOption(PKG, "maxKeysPerCall", options.maxKeysPerCall ?? 500, {
    min: 1,
    integer: true,
  });
  const batchWindowMs = checkOption(PKG, "batchWindowMs", options.batchWindowMs ?? 0, {
    min: 0,
    max: 1000,
  });
  const keyPrefix = resolvePrefix(PKG, options, "lucky-im:rl");

  const connection = openRedisConnection(options, PKG);
  const client = connection.client;
  const upserts = new RateLimitUpserts(client, maxKeysPerCall, batchWindowMs);

  const insured = options.insurance !== false;
  const common = { points, duration: durationMs / 1000, blockDuration: blockDurationMs / 1000 };
  const limiter = new MsRateLimiterRedis(
    {
      ...common,
      storeClient: client,
      keyPrefix,
      insuranceLimiter: insured ? new RateLimiterMemory({ ...common, keyPrefix }) : undefined,
    },
    client,
    upserts,
    () => connection.ready(connectTimeoutMs),
    (error) => {
      // With insurance the caller gets an answer anyway: onError learns that Redis failed.
      if (insured)
        connection.report(unavailable(PKG, "consume (answered per process)", error), "consume");
    },
  );

  /** Consumes not answered yet (close waits for them). */
  const pending = new Set<Promise<unknown>>();
  const redisLimiter: RedisRateLimiter = {
    async consume(key, cost = 1) {
      // Checked here: the library would treat a bad cost as a store error and ask the insurance limiter.
      if (!Number.isInteger(cost) || cost < 0) {
        throw new ImError(
          "bad_request",
          `[lucky-im] [${PKG}] points to consume must be an integer >= 0`,
        );
      }
      const consumed = limiter.consume(key, cost);
      pending.add(consumed);
      try {
        const res = await consumed;
        return {
          allowed: true,
          remaining: res.remainingPoints,
          retryAfterMs: 0,
        } satisfies RateLimitResult;
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          return {
            allowed: false,
            remaining: Math.max(0, error.remainingPoints),
            retryAfterMs: Math.max(1, Math.ceil(error.msBeforeNext)),
          } satisfies RateLimitResult;
        }
        if (isImError(error)) throw error;
        throw unavailable(PKG, "consume", error);
      } finally {
        pending.delete(consumed);
      }
    },
    async close() {
      // Consumes made before close get their answer before the client goes: from now on a
      // batch leaves without waiting for its window.
      upserts.stopWaiting();
      // Bounded: a Redis that took a call and never answers must not hold close forever.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...pending]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      await connection.close();
    },
  };
  // The runtime wrapper makes close idempotent and refuses every call made after it.
  return withRateLimiterRuntime(redisLimiter, { label: `[lucky-im] [${PKG}] rate limiter` });
}
