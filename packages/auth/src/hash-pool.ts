import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@lucky-im/core";
import { Piscina } from "piscina";
import { authError } from "./internal/errors.js";

/** Options of {@link createHashPool}. */
export interface HashPoolOptions {
  /**
   * Hashes running at once, each on a worker thread of its own (and, at the
   * default cost, 128 MiB of memory each): this bounds CPU and memory.
   * @default 2 (1 on a single-core machine)
   */
  maxConcurrent?: number;
  /**
   * Hashes waiting for a thread; beyond it `run` rejects with `unavailable`
   * (HTTP 503 with `Retry-After`).
   * @default 8
   */
  maxQueued?: number;
  /**
   * Hashes running or waiting for one key (a client IP); beyond it `run`
   * rejects with `rate_limited` (HTTP 429 with `Retry-After`), so one client
   * cannot fill the queue.
   * @default 2
   */
  maxPerKey?: number;
  /**
   * Added to the hash threads' nice value (Linux; ignored elsewhere): under CPU
   * pressure the scheduler serves API requests, static files and WebSocket
   * traffic before password hashes.
   * @default 10
   */
  niceIncrement?: number;
  /**
   * Idle worker threads exit after this long, in ms (they hold no memory then).
   * @default 30000
   */
  idleTimeoutMs?: number;
}

/** The inputs of one scrypt derivation. */
export interface ScryptJob {
  /** The password to hash, as given (normalized by the password policy). */
  password: string;
  /** A random salt, unique per hash. */
  salt: Uint8Array;
  /** Bytes of derived key to produce. */
  keyLength: number;
  /** scrypt's CPU/memory cost (a power of two); memory use is about `128 * N * r` bytes. */
  N: number;
  /** scrypt's block size. */
  r: number;
  /** scrypt's parallelization. */
  p: number;
  /** The memory cap passed to `crypto.scrypt`; must exceed `128 * N * r`. */
  maxmem: number;
}

/**
 * A bounded pool of worker threads that runs scrypt. Password hashing stays
 * off libuv's 4 shared threads (file reads, DNS and other crypto need them)
 * and off the event loop, and a login flood is refused once the pool is full
 * instead of queueing work and memory without bound.
 */
export interface HashPool {
  /**
   * Derives a key on a worker thread. `key` (a client IP) is counted against
   * {@link HashPoolOptions.maxPerKey}. Rejects with `rate_limited` (this key has
   * too many hashes in flight) or `unavailable` (the pool is full), both with
   * `details.retryAfterMs`.
   */
  run(job: ScryptJob, key?: string): Promise<Buffer>;
  /** Hashes running or waiting. */
  readonly pending: number;
  /** Stops the worker threads; later `run` calls reject. Idempotent. */
  close(): Promise<void>;
}

// Next to this module in the sources and in dist/ (the build copies it there).
const WORKER_FILE = fileURLToPath(new URL("./scrypt-worker.mjs", import.meta.url));

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError("auth", `hash pool: ${name} must be an integer >= 1`);
  }
  return value;
}

/**
 * Creates a {@link HashPool} on piscina. Threads start on demand and exit when idle.
 *
 * @example
 * ```ts
 * const pool = createHashPool({ maxConcurrent: 2, maxQueued: 8, maxPerKey: 2 });
 * const hasher = createPasswordHasher({ pool });
 * await hasher.verify(password, stored, { key: request.ip });
 * ```
 */
export function createHashPool(options: HashPoolOptions = {}): HashPool {
  const maxConcurrent = positiveInt(
    "maxConcurrent",
    options.maxConcurrent ?? Math.max(1, Math.min(2, availableParallelism() - 1)),
  );
  const maxQueued = options.maxQueued ?? 8;
  if (!Number.isInteger(maxQueued) || maxQueued < 0) {
    throw new ConfigError("auth", "hash pool: maxQueued must be an integer >= 0");
  }
  const maxPerKey = positiveInt("maxPerKey", options.maxPerKey ?? 2);
  let piscina: Piscina | undefined;
  const pool = () => {
    piscina ??= new Piscina({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: maxConcurrent,
      // Admission below keeps the queue bounded; piscina's own bound is a backstop.
      maxQueue: maxQueued + maxConcurrent,
      idleTimeout: options.idleTimeoutMs ?? 30_000,
      concurrentTasksPerWorker: 1,
      niceIncrement: options.niceIncrement ?? 10,
    });
    return piscina;
  };
  const perKey = new Map<string, number>();
  let pending = 0;
  let closed = false;
  // A running average of one hash, to tell refused clients when to come back.
  let averageMs = 1000;

  const retryAfterMs = () =>
    Math.max(1000, Math.ceil(averageMs * (Math.floor(pending / maxConcurrent) + 1)));

  return {
    get pending() {
      return pending;
    },
    async run(job, key) {
      if (closed) throw authError("unavailable", "password hashing is shut down");
      if (key !== undefined && (perKey.get(key) ?? 0) >= maxPerKey) {
        throw authError("rate_limited", "too many logins in progress from this address", {
          details: { retryAfterMs: retryAfterMs() },
        });
      }
      if (pending >= maxConcurrent + maxQueued) {
        throw authError("unavailable", "the server is busy checking passwords; retry later", {
          details: { retryAfterMs: retryAfterMs() },
        });
      }
      pending += 1;
      if (key !== undefined) perKey.set(key, (perKey.get(key) ?? 0) + 1);
      const started = performance.now();
      try {
        const result: Uint8Array = await pool().run(job);
        averageMs = averageMs * 0.8 + (performance.now() - started) * 0.2;
        return Buffer.from(result.buffer, result.byteOffset, result.byteLength);
      } finally {
        pending -= 1;
        if (key !== undefined) {
          const left = (perKey.get(key) ?? 1) - 1;
          if (left === 0) perKey.delete(key);
          else perKey.set(key, left);
        }
      }
    },
    async close() {
      closed = true;
      const running = piscina;
      piscina = undefined;
      await running?.destroy();
    },
  };
}
