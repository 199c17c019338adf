/** Options of {@link TurnBatch}. */
export interface TurnBatchOptions<I> {
  /** A batch leaves as soon as the sizes of its items add up to this. */
  maxBatch: number;
  /**
   * Most batches running at once; while that many run, new items wait and
   * leave together when one returns.
   * @default Infinity
   */
  maxInFlight?: number;
  /** The size of an item (a lookup of 50 users may count 50). @default 1 per item */
  sizeOf?: (item: I) => number;
  /**
   * How long the first item of a batch waits for company, in ms (a group commit's
   * window). Unset: one turn of the event loop (`setImmediate`), with no timer.
   * With a window, items held back by `maxInFlight` leave as soon as a batch
   * returns (they have waited); the others wait out their window, whatever
   * returns meanwhile. The timer is not unref()ed (a caller is waiting for it).
   * @default undefined (one turn)
   */
  windowMs?: number;
}

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * The batching primitive: coalesces the calls made during one turn of the event
 * loop (or within `windowMs`) into one call of `run`, each caller getting its own
 * result. A batch leaves when its items reach `maxBatch`, or at the end of the turn
 * (window); at most `maxInFlight` batches run at once, and while that many run new
 * items wait and leave together when one returns, so under load batches grow by
 * themselves instead of queueing. Under load an adapter's per-message round trips
 * (a Redis script, a query, a commit) become one per batch. Without `windowMs` there
 * is no timer: a lone call waits one `setImmediate` at most, after the I/O callbacks
 * of the turn that asked for it.
 *
 * For adapter authors; the engine and the bundled adapters use it for presence
 * lookups, rate-limit checks, `sync` reads and (with a window) the PostgreSQL
 * store's group commit. To give each item its own error, make `O` an outcome
 * (`{ ok: true, value } | { ok: false, error }`) and unwrap it after `submit`.
 *
 * @example
 * ```ts
 * const gets = new TurnBatch<string, string | null>((keys) => redis.mget(...keys), { maxBatch: 500 });
 * const value = await gets.submit("user:42");
 * ```
 */
export class TurnBatch<I, O> {
  private waiting: Waiter<I, O>[] = [];
  private waitingSize = 0;
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private readonly sizeOf: (item: I) => number;

  /**
   * @param run - answers a batch: one result per item, in the items' order.
   *   A rejection rejects every call of the batch.
   */
  constructor(
    private readonly run: (items: I[]) => Promise<readonly O[]>,
    private readonly options: TurnBatchOptions<I>,
  ) {
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
    this.sizeOf = options.sizeOf ?? (() => 1);
  }

  /** Queues an item; resolves with its own result. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.waitingSize += this.sizeOf(item);
      if (this.waitingSize >= this.options.maxBatch) this.flush();
      else this.schedule();
    });
  }

  /** Starts what waits now (ignoring the window), within `maxInFlight`. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.scheduled = false;
    }
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.takeBatch();
      this.inFlight++;
      const done = this.execute(batch).finally(() => {
        this.inFlight--;
        this.running.delete(done);
        // With a window, items held back by maxInFlight have had theirs: they leave now.
        // Items whose window still runs (a timer is set) wait for it.
        if (this.options.windowMs === undefined) this.schedule();
        else if (this.timer === undefined) this.flush();
      });
      this.running.add(done);
    }
  }

  /** Flushes what waits and resolves once every batch in flight has settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    const { windowMs } = this.options;
    if (windowMs === undefined) {
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduled = false;
        this.flush();
      }, windowMs);
    }
  }

  /** The oldest waiting items up to `maxBatch` in size (at least one). */
  private takeBatch(): Waiter<I, O>[] {
    let size = 0;
    let count = 0;
    while (count < this.waiting.length) {
      const next = this.sizeOf((this.waiting[count] as Waiter<I, O>).item);
      if (count > 0 && size + next > this.options.maxBatch) break;
      size += next;
      count++;
    }
    this.waitingSize -= size;
    return this.waiting.splice(0, count);
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
      else waiter.reject(new Error("[lucky-im] [core] a batched call lost its result"));
    });
  }
}
