import type { BackgroundErrorHandler, MessageChangeLimits, PeopleLimits } from "@lucky-im/core";
import type { PostgresPool } from "kysely";

/**
 * Options of {@link createPostgresStore}. Give either `pool` or `url`.
 */
export interface PostgresStoreOptions {
  /**
   * A `pg.Pool` (or any pool with the same `connect()`/`end()` shape) to run
   * on. The store never ends a pool it was given: `close()` leaves it open.
   * Attach your own `pool.on("error", ...)` handler to it, as `pg` asks.
   */
  pool?: PostgresPool;
  /**
   * A PostgreSQL connection URL (`postgres://user:pass@host:5432/db`); the
   * store creates its own pool from it and ends that pool on `close()`. The
   * same name as the broker's and the Redis adapters' `url`.
   */
  url?: string;
  /**
   * @deprecated Use `url` (the same value; giving both with different values is a `ConfigError`).
   */
  connectionString?: string;
  /**
   * Size of the pool the store creates from `url` (ignored with `pool`).
   * @default 10
   */
  maxConnections?: number;
  /**
   * How long the pool the store creates waits for a connection before the
   * operation fails with `unavailable`, in ms (ignored with `pool`).
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * The PostgreSQL schema holding every table of the store, kysely's
   * migration tables included. Two applications (or two test files) with
   * different schemas share a database without clashing. Letters, digits
   * and `_`, at most 63.
   * @default "lucky_im"
   */
  schema?: string;
  /**
   * Run pending migrations when the store is created (under kysely's
   * migration lock, so several nodes may start at once). Set to `false` when
   * migrations run from a deploy step (`lucky-im-store-postgres migrate`).
   * @default true
   */
  migrate?: boolean;
  /**
   * The most messages one `range` call returns, whatever `limit` asks.
   * @default 200
   */
  maxPageSize?: number;
  /**
   * How long after its message's `ts` a new outbox entry becomes claimable,
   * in ms. The engine's fast path publishes at once and marks the entry sent;
   * the grace keeps the relay from racing it and take only what it missed.
   * @default 2000
   */
  outboxGraceMs?: number;
  /**
   * Commit bookkeeping writes (cursor moves from acks and reads, outbox
   * entries marked sent) without waiting for the WAL flush
   * (`synchronous_commit = off` for those statements only). They are the
   * most frequent commits, and each waited for its own fsync. A PostgreSQL
   * crash may lose the last such writes (at most about 3 × `wal_writer_delay`):
   * a lost mark makes the relay publish the message again, which every node
   * drops as a duplicate; a lost cursor move makes `sync` send a few messages
   * again, which clients drop by `messageId`. Appends always wait for the
   * flush: `sent` means stored. `false` makes every commit wait.
   * @default true
   */
  asyncBookkeepingCommits?: boolean;
  /**
   * Group commit: appends arriving within `groupCommitWindowMs` (or until
   * `groupCommitMaxBatch` wait) share one transaction, one seq update per
   * conversation; each caller still gets its own result or error.
   * `false` runs one transaction per append.
   * @default true
   */
  groupCommit?: boolean;
  /**
   * How long the first append of a batch waits for others, in ms.
   * @default 1
   */
  groupCommitWindowMs?: number;
  /**
   * A batch is committed at once when it holds this many appends.
   * @default 500
   */
  groupCommitMaxBatch?: number;
  /**
   * Most append batches running at once. While that many run, new appends
   * wait and leave together when one finishes, so batches grow under load
   * instead of queueing many small transactions (each waiting for its own
   * WAL flush, and for the row locks of conversations an earlier batch holds).
   * @default 2
   */
  groupCommitMaxInFlight?: number;
  /**
   * Read batching: concurrent `cursors(userId)` calls (every cursor of a user)
   * and ascending `range(conversationId, { afterSeq, limit })` calls of many
   * callers share one query per batch, each caller still getting its own
   * answer (a reconnect storm's `sync` reads). No timer: reads asked for in
   * the same turn of the event loop, or while `readBatchMaxInFlight` batches
   * run, leave together. `false` runs one query per call.
   * @default true
   */
  readBatch?: boolean;
  /**
   * Most reads in one batched query.
   * @default 500
   */
  readBatchMaxSize?: number;
  /**
   * Most batched queries of one kind running at once (each holds a pooled
   * connection); further reads wait and join the next batch.
   * @default 4
   */
  readBatchMaxInFlight?: number;
  /**
   * How many times an append transaction that hit a deadlock, a
   * serialization failure or a concurrent insert of the same (from, cid) is
   * retried before its appends are tried one by one.
   * @default 3
   */
  appendRetries?: number;
  /**
   * Receives errors that no caller can receive, as an `ImError` and what failed: a lost
   * `LISTEN` connection (`"outbox LISTEN"`, the store listens again by itself), an idle
   * pooled connection that broke (`"idle pool connection"`, pool created by the store).
   * @default console.error
   */
  onError?: BackgroundErrorHandler;
  /**
   * Limits of the contact, profile and conversation-settings stores (lengths, pending
   * requests, page sizes); absent fields keep their defaults.
   * @default DEFAULT_PEOPLE_LIMITS of `@lucky-im/core`
   */
  peopleLimits?: Partial<PeopleLimits>;
  /**
   * Limits of edits, reactions, pins, replies, mentions and search; unset
   * fields take the defaults of `DEFAULT_MESSAGE_CHANGE_LIMITS`.
   */
  messageChanges?: Partial<MessageChangeLimits>;
}
