import { LRUCache } from "lru-cache";

/** How a {@link DedupeCache} is bounded. */
export interface DedupeCacheOptions {
  /** Most keys remembered; the least recently seen go first. */
  maxKeys: number;
  /** How long a key is remembered, in ms (0: until evicted by `maxKeys`). */
  ttlMs: number;
}

/**
 * Remembers recently seen keys, so a node drops a message it already pushed
 * when the broker redelivers it or the relay publishes it again. An LRU (not
 * a FIFO) keeps a key that keeps coming back, and the TTL frees memory on a
 * quiet node.
 */
export class DedupeCache {
  private readonly seen: LRUCache<string, true>;

  constructor(options: DedupeCacheOptions) {
    this.seen = new LRUCache({
      max: options.maxKeys,
      ...(options.ttlMs > 0 ? { ttl: options.ttlMs } : {}),
    });
  }

  /** Keys remembered now. */
  get size(): number {
    return this.seen.size;
  }

  /** True the first time a key is seen (and remembers it); false for a repeat. */
  firstSight(key: string): boolean {
    // get() refreshes the key's recency: a repeat is the likeliest to repeat again.
    if (this.seen.get(key)) return false;
    this.seen.set(key, true);
    return true;
  }
}
