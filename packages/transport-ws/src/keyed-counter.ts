/** Counts live things per key (connections per user or per address). */
export class KeyedCounter {
  readonly #counts = new Map<string, number>();

  /** The current count of `key`. */
  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /**
   * Adds one to `key` unless it is at `max` already. Returns a function that
   * takes the one back (idempotent), or `undefined` when the cap was reached.
   */
  acquire(key: string, max: number): (() => void) | undefined {
    const count = this.get(key);
    if (count >= max) return undefined;
    this.#counts.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.get(key) - 1;
      // Delete at zero so the map does not grow with every address ever seen.
      if (left <= 0) this.#counts.delete(key);
      else this.#counts.set(key, left);
    };
  }

  /** How many keys have a count above zero. */
  get size(): number {
    return this.#counts.size;
  }
}
