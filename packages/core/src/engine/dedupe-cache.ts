import { monotonicNow } from "../util/monotonic-now.js";

/** How a {@link DedupeCache} is bounded. */
export interface DedupeCacheOptions {
  /** Most keys remembered. */
  maxKeys: number;
  /** How long a key is remembered at least, in ms (0: until evicted by `maxKeys`). */
  ttlMs: number;
}

/**
 * Remembers recently seen keys, so a node drops a message it already pushed when the broker
 * redelivers it or the relay publishes it again. It is asked once per delivered message, so it
 * is two generations of plain `Set`s rather than an LRU list: a key goes into the young
 * generation; when that holds half of `maxKeys`, or is older than `ttlMs`, it becomes the old
 * one and the old one is dropped whole. So it remembers at most `maxKeys` keys, at least the
 * newest half of them, each for at least `ttlMs` unless evicted, and a key seen again moves back
 * to the young generation (a key that keeps coming back stays known). The TTL is checked when
 * the cache is used; one idle for two TTLs forgets everything at its next use.
 */
export class DedupeCache {
  private young = new Set<string>();
  private old = new Set<string>();
  private readonly generationKeys: number;
  private readonly ttlMs: number;
  /** When the young generation started (only kept with a TTL). */
  private youngSince: number;

  constructor(options: DedupeCacheOptions) {
    this.generationKeys = Math.max(1, Math.ceil(options.maxKeys / 2));
    this.ttlMs = options.ttlMs;
    this.youngSince = options.ttlMs > 0 ? monotonicNow() : 0;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** True the first time a key is seen (and remembers it); false for a repeat. */
  firstSight(key: string): boolean {
    if (this.ttlMs > 0) this.expire();
    if (this.young.has(key)) return false;
    // A key of the old generation moves back to the young one.
    const repeat = this.old.delete(key);
    this.remember(key);
    return !repeat;
  }

  private remember(key: string): void {
    this.young.add(key);
    if (this.young.size >= this.generationKeys) this.rotate();
  }

  /** The young generation becomes the old one; the old one is forgotten. */
  private rotate(): void {
    this.old = this.young;
    this.young = new Set();
    if (this.ttlMs > 0) this.youngSince = monotonicNow();
  }

  private expire(): void {
    const age = monotonicNow() - this.youngSince;
    if (age < this.ttlMs) return;
    // Past two TTLs even the young generation's keys are older than one TTL.
    if (age >= 2 * this.ttlMs) this.young.clear();
    this.rotate();
  }
}
