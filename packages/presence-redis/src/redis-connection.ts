import { type BackgroundErrorHandler, ImError, reportBackgroundError } from "@lucky-im/core";
import { Redis } from "ioredis";

/** How an adapter gets its Redis client: the user's own, or one it creates from a URL. */
export interface RedisConnectionOptions {
  /**
   * An ioredis client to use. The adapter never quits it: its owner does.
   * For fast failures while Redis is down, create it with
   * `enableOfflineQueue: false` and a low `maxRetriesPerRequest`; with
   * `enableAutoPipelining: true`, the calls of many sessions made in the same
   * tick (a reconnect storm's presence writes) leave in one write.
   * @default undefined (the adapter creates a client from `url`)
   */
  redis?: Redis;
  /**
   * A Redis URL; the adapter creates its own client (`enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 1`, so calls fail fast while Redis is down;
   * `enableAutoPipelining: true`, so calls made in the same tick share one
   * write) and quits it on `close()`.
   * @default "redis://127.0.0.1:6379"
   */
  url?: string;
  /**
   * Called with errors that no caller receives, as an `ImError` (`unavailable`, the
   * original as `cause`) and what failed: connection errors of the adapter's own client
   * (`"redis connection"`; ioredis reconnects by itself), and Redis failures a rate
   * limiter answered from its in-memory insurance (`"consume"`).
   * @default logs to `console.error`, once per distinct message until the connection is ready again
   */
  onError?: BackgroundErrorHandler;
}

/** @internal A client plus readiness tracking, shared by the presence and the rate limiter. */
export interface RedisConnection {
  readonly client: Redis;
  /**
   * Resolves when a command may be sent: waits for the first connection (up to
   * `timeoutMs`); returns false when the connection was lost since (the caller
   * fails fast instead of queueing).
   */
  ready(timeoutMs: number): Promise<boolean>;
  /** Hands an error no caller receives to `onError`, as an ImError (`unavailable` when wrapped). */
  report(error: unknown, context: string): void;
  /** Quits the client when the adapter created it. Idempotent. */
  close(): Promise<void>;
}

/** @internal */
export function openRedisConnection(options: RedisConnectionOptions, pkg: string): RedisConnection {
  const owned = options.redis === undefined;
  const client =
    options.redis ??
    new Redis(options.url ?? "redis://127.0.0.1:6379", {
      // Fail fast while Redis is down instead of queueing calls; ioredis keeps reconnecting.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // One write per tick instead of one per call: thousands of sessions registering at
      // once would otherwise cost a syscall (and a context switch) each.
      enableAutoPipelining: true,
    });

  let lastLogged: string | undefined;
  const onError: BackgroundErrorHandler =
    options.onError ??
    ((error, context) => {
      if (error.message === lastLogged) return;
      lastLogged = error.message;
      console.error(`[lucky-im] [${pkg}] ${context}: ${error.message}`);
    });
  const report = (error: unknown, context: string) =>
    reportBackgroundError(onError, error, context, "unavailable");
  const state = trackReadiness(client);
  // Only on our own client: on a user's client, error handling is the user's.
  if (owned) {
    client.on("error", (error: Error) => report(error, "redis connection"));
    client.on("ready", () => {
      lastLogged = undefined;
    });
  }

  let closed: Promise<void> | undefined;

  return {
    client,
    report,
    async ready(timeoutMs) {
      const status = client.status;
      if (status === "ready") return true;
      if (status === "wait") return true; // lazyConnect: ioredis connects on the first command
      if (state.everReady || status === "end" || status === "close") return false;
      // First connection still in progress: wait for it, bounded.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
        timer.unref();
      });
      try {
        return await Promise.race([state.firstReady, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      closed ??= (async () => {
        if (!owned) return;
        if (client.status === "end") return;
        // Resolves on 'end' (bounded: close() must not hang on an odd client state).
        const ended = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          timer.unref();
          client.once("end", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        try {
          if (client.status === "ready") await client.quit();
          else client.disconnect();
        } catch {
          client.disconnect();
        }
        await ended;
        // The error listener stays: a late socket error must not become an unhandled 'error' event.
      })();
      return closed;
    },
  };
}

interface Readiness {
  everReady: boolean;
  /** Resolves true on the first 'ready', false if the client ends before. */
  firstReady: Promise<boolean>;
}

// One listener pair per client, however many adapters share it.
const readiness = new WeakMap<Redis, Readiness>();

function trackReadiness(client: Redis): Readiness {
  let state = readiness.get(client);
  if (state) return state;
  const created: Readiness = {
    everReady: client.status === "ready",
    firstReady: Promise.resolve(true),
  };
  if (!created.everReady) {
    created.firstReady = new Promise<boolean>((resolve) => {
      const onReady = () => {
        created.everReady = true;
        client.off("end", onEnd);
        resolve(true);
      };
      const onEnd = () => {
        client.off("ready", onReady);
        resolve(false);
      };
      client.once("ready", onReady);
      client.once("end", onEnd);
    });
  }
  state = created;
  readiness.set(client, state);
  return state;
}

/** @internal Wraps a Redis failure into `ImError('unavailable')` naming the package and the operation. */
export function unavailable(pkg: string, op: string, cause: unknown): ImError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ImError("unavailable", `[lucky-im] [${pkg}] ${op} failed: ${reason}`, { cause });
}
