/** Shards of a {@link ShardedMap}: a power of two, so a hash picks one with a mask. */
const SHARDS = 256;

/**
 * A `Map` from string keys spread over 256 smaller maps. A `Map` grows by rehashing every entry
 * at once when it doubles: past a million entries one `set` stopped the event loop for 0.3 to
 * 1 s on the bench machine (a stall in every connection's latency, at a moment that depends on
 * history, not load). Spread out, each shard holds 1/256 of the entries and its rehash takes
 * 1/256 of the time. For maps that grow with history (every message ever stored); the rest
 * stay plain `Map`s.
 */
export class ShardedMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map());
  private count = 0;

  /** Entries in all shards. */
  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shardOf(key).get(key);
  }

  has(key: string): boolean {
    return this.shardOf(key).has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shardOf(key);
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    const deleted = this.shardOf(key).delete(key);
    if (deleted) this.count--;
    return deleted;
  }

  /** Every entry, shard by shard (not in insertion order). */
  *entries(): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard;
  }

  /**
   * The shard of a key, by an FNV-1a hash of the whole key: ids that differ only at one end
   * (time-ordered ids, counters, a fixed prefix or suffix) still spread evenly.
   */
  private shardOf(key: string): Map<string, V> {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return this.shards[(hash ^ (hash >>> 16)) & (SHARDS - 1)]!;
  }
}
