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
 * item. Up to `maxInFlight` batches run at once.
 */
export class GroupCommit<I, O> {
  private waiting: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] =
    [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<Outcome<O>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Adds an item to the current batch; resolves or rejects with its own outcome. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // While maxInFlight batches run, a finishing one takes what waits (see flush).
      if (this.running >= this.options.maxInFlight) return;
      if (this.waiting.length >= this.options.maxBatch) {
        this.flush();
      } else if (this.timer === undefined) {
        // Not unref()ed: a caller is waiting for this batch.
        this.timer = setTimeout(() => this.flush(), this.options.windowMs);
      }
    });
  }

  /** Starts what waits now, as batches of at most `maxBatch`, within `maxInFlight`. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiting.length > 0 && this.running < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.running++;
      const done = this.execute(batch).finally(() => {
        this.running--;
        this.inFlight.delete(done);
        this.flush();
      });
      this.inFlight.add(done);
    }
  }

  /** Flushes what waits and resolves once every batch in flight settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async execute(
    batch: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[],
  ): Promise<void> {
    let outcomes: Outcome<O>[];
    try {
      outcomes = await this.run(batch.map((entry) => entry.item));
    } catch (error) {
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    batch.forEach((entry, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined)
        entry.reject(new Error("[lucky-im] [store-postgres] lost outcome"));
      else if (outcome.ok) entry.resolve(outcome.value);
      else entry.reject(outcome.error);
    });
  }
}
