import { TurnBatch } from "@lucky-im/core";

/** The outcome of one item of a batch: its own result or its own error. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** @internal Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** How long the first item of a batch waits for company, in ms. */
  windowMs: number;
  /** A batch is flushed at once when it holds this many items. */
  maxBatch: number;
  /**
   * Most batches running at once. While that many run, new items wait (no
   * timer) and leave together as soon as one finishes: under load batches
   * grow by themselves instead of queueing small ones for the pool, so
   * there are fewer commits (each waits for a WAL flush) and fewer row-lock
   * waits between batches touching the same conversations.
   */
  maxInFlight: number;
}

/**
 * @internal Collects items submitted within a short window (or until
 * `maxBatch` are waiting) and hands them to `run` in one call, so that many
 * appends share one transaction. Each submitter gets the outcome of its own
 * item. Up to `maxInFlight` batches run at once. The batching is core's
 * {@link TurnBatch} with a window; this adds the per-item outcomes.
 */
export class GroupCommit<I, O> {
  private readonly batch: TurnBatch<I, Outcome<O>>;

  /**
   * @param run - commits a batch: one outcome per item, in the items' order.
   *   A rejection fails every item of the batch.
   */
  constructor(run: (items: I[]) => Promise<Outcome<O>[]>, options: GroupCommitOptions) {
    this.batch = new TurnBatch(run, {
      windowMs: options.windowMs,
      maxBatch: options.maxBatch,
      maxInFlight: options.maxInFlight,
    });
  }

  /** Adds an item to the current batch; resolves or rejects with its own outcome. */
  async submit(item: I): Promise<O> {
    const outcome = await this.batch.submit(item);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Starts what waits now, as batches of at most `maxBatch`, within `maxInFlight`. */
  flush(): void {
    this.batch.flush();
  }

  /** Flushes what waits and resolves once every batch in flight settled. */
  drain(): Promise<void> {
    return this.batch.drain();
  }
}
