/**
 * Remembers the last `capacity` keys seen, so a node drops a message it
 * already pushed when the broker redelivers it or the relay publishes it again.
 */
export class DedupeCache {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True the first time a key is seen (and remembers it); false for a repeat. */
  firstSight(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.capacity) {
      // A Set iterates in insertion order: the first key is the oldest.
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
