import type { MessageChangeLimits, PeopleLimits } from "@lucky-im/core";
import type { SqliteConnection } from "./sqlite-connection.js";

/**
 * Options of {@link createSqliteStore}. Give either `path` or `database`.
 */
export interface SqliteStoreOptions {
  /**
   * The database file; created with its directory if missing. The store
   * opens its own connection and closes it on `close()`. Several stores (or
   * processes) may open the same file: they share its data, as nodes share a
   * PostgreSQL database, one writer at a time.
   */
  path?: string;
  /**
   * An open better-sqlite3 (12.x) `Database` to run on instead of `path`.
   * The store sets its pragmas (WAL, `busy_timeout`, foreign keys,
   * `synchronous`) and never closes it.
   */
  database?: SqliteConnection;
  /**
   * How long a write waits for another connection's write lock before it
   * fails with `unavailable`, in ms (SQLite's `busy_timeout`). The wait
   * blocks the thread: keep it short.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * SQLite's `synchronous` pragma. `"full"`: every commit waits for the WAL
   * to reach the disk, so `sent` means stored even across a power cut.
   * `"normal"`: commits do not wait; a power cut (not a process crash) may
   * lose the last commits.
   * @default "full"
   */
  synchronous?: "full" | "normal";
  /**
   * Commit bookkeeping writes (cursor moves from acks and reads, outbox
   * entries marked sent, outbox leases) without waiting for the disk
   * (`synchronous = NORMAL` for those transactions only); the next append
   * syncs them along. better-sqlite3 commits on the main thread, so a disk
   * sync per ack would stall every connection. A power cut (not a process
   * crash) may lose the last such writes: a lost mark makes the relay
   * publish the message again, which every node drops as a duplicate; a lost
   * cursor move makes `sync` send a few messages again, which clients drop
   * by `messageId`. Appends and group changes always wait for the disk (with
   * `synchronous: "full"`). `false`: every commit waits.
   * @default true
   */
  asyncBookkeepingCommits?: boolean;
  /**
   * Run pending migrations when the store is created, in one `BEGIN
   * IMMEDIATE` transaction (several processes may start at once).
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
   * in ms. The engine's fast path publishes at once and marks the entry
   * sent; the grace keeps the relay from racing it.
   * @default 2000
   */
  outboxGraceMs?: number;
  /**
   * Group commit: appends arriving within `groupCommitWindowMs` (or until
   * `groupCommitMaxBatch` wait) share one transaction (one commit, one WAL
   * sync); each caller still gets its own result or error. `false` commits
   * every append on its own.
   * @default true
   */
  groupCommit?: boolean;
  /**
   * How long the first append of a batch waits for others, in ms; 0: the
   * appends asked for in the same turn of the event loop, with no timer.
   * better-sqlite3 commits on the main thread and a `synchronous: "full"`
   * commit waits for the disk, so fewer, larger commits leave the thread
   * free for everything else: on the bench (docs/benchmarks.md) a 2 ms
   * window took 15–27 % less CPU per message than one turn at 1,000–1,500
   * msg/s, the same near saturation (where one turn already gathers many
   * appends), with the delivery p99 unchanged and 2–3 ms more at p50.
   * At most 1000.
   * @default 2
   */
  groupCommitWindowMs?: number;
  /**
   * A batch is committed at once when it holds this many appends.
   * @default 500
   */
  groupCommitMaxBatch?: number;
  /**
   * How often the full-text index takes in the messages appended since, in
   * ms. Appends only queue their rows (FTS5 writes a segment per
   * transaction, which cost about 40 % of an append); the queue is indexed
   * in batches on this interval and in full before every search, so a
   * search always finds every stored message. At most 2^31−1 (Node's
   * longest timer).
   * @default 50
   */
  searchIndexIntervalMs?: number;
  /**
   * Most messages indexed in one transaction (a larger queue is indexed in
   * several, one after the other).
   * @default 500
   */
  searchIndexMaxBatch?: number;
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
