/**
 * Collects items and hands them to `flush` in one call: after `delayMs`, or
 * as soon as `maxItems` are waiting. Turns one write per message into one
 * write per batch (cursor updates, outbox marks).
 */
export class Batcher<K, V> {
  private items = new Map<K, V>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly flushItems: (items: Map<K, V>) => Promise<void>,
    private readonly options: {
      delayMs: number;
      maxItems: number;
      /** Combines a new value with one already waiting under the same key. */
      merge?: (previous: V, next: V) => V;
      onError: (error: unknown) => void;
    },
  ) {}

  add(key: K, value: V): void {
    const previous = this.items.get(key);
    const merge = this.options.merge;
    this.items.set(key, previous !== undefined && merge ? merge(previous, value) : value);
    if (this.items.size >= this.options.maxItems) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.delayMs);
      this.timer.unref?.();
    }
  }

  /** Writes what is waiting now; resolves when every earlier flush finished too. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.size === 0) return this.running;
    const batch = this.items;
    this.items = new Map();
    this.running = this.running.then(() =>
      this.flushItems(batch).catch((error: unknown) => this.options.onError(error)),
    );
    return this.running;
  }
}
