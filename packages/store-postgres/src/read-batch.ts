/** @internal Options of {@link ReadBatch}. */
export interface ReadBatchOptions {
  /** Most reads in one query. */
  maxBatch: number;
  /** Most batch queries running at once; later reads wait and join the next batch. */
  maxInFlight: number;
}

interface Waiter<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * @internal Coalesces concurrent reads of many callers into one query, each
 * caller getting its own answer. Reads asked for in the same turn of the
 * event loop leave together; while `maxInFlight` batches run, new reads wait
 * and leave together when one returns. There is no timer: a lone read waits
 * one `setImmediate` at most. A reconnect storm's thousands of `sync` reads
 * thus become a few dozen queries instead of one (and one socket write) each.
 */
export class ReadBatch<I, O> {
  private waiting: Waiter<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;

  /**
   * @param run answers a batch: one result per item, in the items' order. A
   *   rejection rejects every read of the batch.
   */
  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly options: ReadBatchOptions,
  ) {}

  /** Queues a read; resolves with its own result. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    if (this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    // After the current I/O phase: every read its frames asked for joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async execute(batch: Waiter<I, O>[]): Promise<void> {
    let results: readonly O[];
    try {
      results = await this.run(batch.map((waiter) => waiter.item));
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
      return;
    }
    batch.forEach((waiter, i) => {
      if (i < results.length) waiter.resolve(results[i] as O);
      else waiter.reject(new Error("[lucky-im] [store-postgres] a batched read lost its result"));
    });
  }
}
