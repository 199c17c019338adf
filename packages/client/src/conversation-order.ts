import type { MessageFrame } from "@lucky-im/protocol";

/**
 * An entry of the ordering buffer: a received `message`, or `null` for a seq
 * that this client sent itself (confirmed by `sent`), which advances the cursor
 * without being emitted as a `message`.
 */
export type OrderedEntry = MessageFrame | null;

/**
 * Orders one conversation: de-duplicates by seq (a `messageId` has exactly one
 * seq), buffers out-of-order entries and releases them contiguously.
 * `cursor` is the highest contiguous seq released to the application;
 * `undefined` until the conversation is anchored (its starting point known).
 */
export class ConversationOrder {
  cursor: number | undefined;
  readonly buffer = new Map<number, OrderedEntry>();
  /** Pending gap timer, if any. */
  gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Full sync rounds that ended with the same hole still open at `gapCursor`. */
  gapRounds = 0;
  gapCursor: number | undefined;

  constructor(cursor?: number) {
    this.cursor = cursor;
  }

  /** Adds an entry; false when it is a duplicate (at or below the cursor, or already buffered). */
  offer(seq: number, entry: OrderedEntry): boolean {
    if (this.cursor !== undefined && seq <= this.cursor) return false;
    if (this.buffer.has(seq)) return false;
    this.buffer.set(seq, entry);
    return true;
  }

  /** Sets the starting point (or raises the cursor) and drops what it covers. */
  anchorAt(seq: number): void {
    if (this.cursor !== undefined && seq <= this.cursor) return;
    this.cursor = seq;
    for (const buffered of this.buffer.keys()) if (buffered <= seq) this.buffer.delete(buffered);
  }

  /** Releases the contiguous entries after the cursor, in seq order, advancing it. */
  drain(): OrderedEntry[] {
    const out: OrderedEntry[] = [];
    if (this.cursor === undefined) return out;
    let cursor: number = this.cursor;
    while (this.buffer.has(cursor + 1)) {
      cursor++;
      out.push(this.buffer.get(cursor) ?? null);
      this.buffer.delete(cursor);
    }
    this.cursor = cursor;
    return out;
  }

  /** True when entries wait behind a missing seq (or the conversation is not anchored yet). */
  get waiting(): boolean {
    return this.buffer.size > 0;
  }

  /** The lowest buffered seq, if any. */
  minBuffered(): number | undefined {
    let min: number | undefined;
    for (const seq of this.buffer.keys()) if (min === undefined || seq < min) min = seq;
    return min;
  }

  /** Drops the highest buffered entries until at most `max` remain; returns how many were dropped. */
  trim(max: number): number {
    if (this.buffer.size <= max) return 0;
    const seqs = [...this.buffer.keys()].sort((a, b) => a - b);
    const drop = seqs.slice(max);
    for (const seq of drop) this.buffer.delete(seq);
    return drop.length;
  }
}
