import { ImError } from "@lucky-im/core";
import { Redis, type RedisOptions } from "ioredis";

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** The Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). */
  url: string;
  /**
   * How long to keep trying to connect before giving up, in ms. ioredis would otherwise
   * retry forever while every call fails (a server started against a wrong URL hung ~17 s,
   * then failed without naming it).
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * More ioredis options. The defaults suit the adapters of this package: fail fast while
   * Redis is down (`enableOfflineQueue: false`, `maxRetriesPerRequest: 1`) and batch the
   * calls of one tick (`enableAutoPipelining: true`).
   * @default {}
   */
  redisOptions?: RedisOptions;
}

/** The URL without its password or query, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.username = parsed.username === "default" ? "" : parsed.username;
    parsed.search = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(an unparsable URL)";
  }
}

/**
 * Creates an ioredis client and waits until it is ready, or rejects with
 * `ImError('unavailable')` naming the URL (without its password) and the last connection
 * error after `timeoutMs`. Once connected, the client reconnects by itself as usual.
 * Attach your own `error` listener to the resolved client (this one is removed).
 *
 * @example
 * ```ts
 * const redis = await connectRedis({ url: process.env.REDIS_URL!, timeoutMs: 3000 });
 * redis.on("error", (error) => log.warn(error));
 * const presence = createRedisPresence({ redis });
 * ```
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<Redis> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    connectTimeout: Math.min(timeoutMs, 10_000),
    ...options.redisOptions,
  });
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
  };
  client.on("error", onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      client.once("ready", () => resolve());
      timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
    });
    return client;
  } catch {
    client.disconnect();
    const reason = lastError?.message ?? `no answer within ${timeoutMs} ms`;
    throw new ImError(
      "unavailable",
      `[lucky-im] [presence-redis] cannot connect to Redis at ${redactRedisUrl(options.url)}: ${reason}`,
    );
  } finally {
    clearTimeout(timer);
    client.off("error", onError);
  }
}
