import type { Executor } from "./executor.js";
import { searchText } from "./search-text.js";

/** What {@link SearchIndexer} needs. */
export interface SearchIndexerOptions {
  /** How often queued messages are indexed, in ms. */
  intervalMs: number;
  /** Most messages indexed in one transaction. */
  maxBatch: number;
}

/** @internal The indexer's statements (exported for the query-plan test). */
export const SQL = {
  anyQueued: "SELECT 1 FROM message_search_backlog LIMIT 1",
  upTo: `SELECT max(row_id) AS up_to FROM
    (SELECT row_id FROM message_search_backlog ORDER BY row_id LIMIT ?)`,
  // CROSS JOIN keeps the queue the outer loop: SQLite would otherwise carry `row_id <= ?`
  // over to message_search_rows and walk every row ever indexed, per batch. OR REPLACE:
  // a row already in the index (written behind the store's back) must not block the queue.
  index: `INSERT OR REPLACE INTO messages_fts (rowid, text)
    SELECT r.id, ${searchText("m")} FROM message_search_backlog AS b
    CROSS JOIN message_search_rows AS r ON r.id = b.row_id
    JOIN messages AS m ON m.message_id = r.message_id
    WHERE b.row_id <= ?`,
  done: "DELETE FROM message_search_backlog WHERE row_id <= ?",
} as const;

/**
 * @internal Writes the full-text index of messages the insert trigger queued
 * (migration `0010_search_backlog`), many per transaction: FTS5 writes a
 * segment per transaction, so indexing each message in its append's own
 * commit cost about 40 % of the append. Runs every `intervalMs`, and in full
 * before every search ({@link SearchIndexer.catchUp}), so a search finds every
 * stored message. Each batch is a bookkeeping commit: a power cut that loses
 * it loses its dequeue too, and the rows are indexed again.
 */
export class SearchIndexer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param exec - the store's executor
   * @param options - interval and batch size
   */
  constructor(
    private readonly exec: Executor,
    private readonly options: SearchIndexerOptions,
  ) {}

  /** Indexes one batch; returns how many rows were dequeued (0: nothing waited). */
  indexBatch(): number {
    // A read first: an idle store takes no write lock (and a read-only file can still search).
    if (this.exec.statement(SQL.anyQueued).get() === undefined) return 0;
    return this.exec.transaction(() => {
      const { up_to: upTo } = this.exec.statement(SQL.upTo).get(this.options.maxBatch) as {
        up_to: number | null;
      };
      if (upTo === null) return 0;
      this.exec.statement(SQL.index).run(upTo);
      return this.exec.statement(SQL.done).run(upTo).changes;
    }, "bookkeeping");
  }

  /** Indexes everything queued (before a search). */
  catchUp(): void {
    while (this.indexBatch() >= this.options.maxBatch) {
      // A full batch: more may wait.
    }
  }

  /** Starts indexing every `intervalMs` (sooner while full batches wait). */
  start(): void {
    this.schedule(this.options.intervalMs);
  }

  /** Stops the timer; what is queued stays queued in the file. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref?.();
  }

  private tick(): void {
    let full = false;
    try {
      full = this.indexBatch() >= this.options.maxBatch;
    } catch {
      // The file is busy or not migrated yet: the rows stay queued, and a search (which
      // catches up first) reports the error to its caller. Try again next interval.
    }
    this.schedule(full ? 0 : this.options.intervalMs);
  }
}
