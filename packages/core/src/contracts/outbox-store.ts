import type { ClaimedOutboxEntry, OutboxEntryKind } from "../domain/outbox.js";

/** Options of {@link OutboxStore.claim}. */
export interface ClaimOptions {
  /** At most this many entries. */
  limit: number;
  /** The claim holds for this long; then the entry can be claimed again. */
  leaseMs: number;
  /**
   * Only entries of these kinds. The default claims messages only, so a relay
   * that does not publish changes never receives one.
   * @default ["message"]
   */
  kinds?: readonly OutboxEntryKind[];
}

/** Backlog figures for metrics. */
export interface OutboxStats {
  /** Entries not yet published (claimed ones included). */
  pending: number;
  /** Creation time of the oldest pending entry (ms since epoch), if any. */
  oldestPendingAt?: number;
}

/**
 * The outbox: entries written by {@link MessageStore.append} in the message's
 * transaction, published by the engine's fast path or by the relay.
 *
 * Invariants:
 * - `claim` returns `pending` entries whose `nextAttemptAt` has passed and
 *   whose lease is free or expired, and leases them; two concurrent claimers
 *   never receive the same entry while its lease holds (PostgreSQL:
 *   `FOR UPDATE SKIP LOCKED`).
 * - Entries are never selected by "id greater than the last one seen":
 *   rows commit out of order.
 * - A new entry is not due before a grace period has passed (its
 *   `nextAttemptAt` is the message's time plus the adapter's `outboxGraceMs`,
 *   2 s by default): the engine relies on it so that the relay takes only what
 *   the fast path missed, instead of publishing every message a second time.
 */
export interface OutboxStore {
  /**
   * Leases up to `options.limit` due entries for `options.leaseMs` and returns
   * them (see the invariants above). The caller publishes them,
   * then calls {@link OutboxStore.markSent} or {@link OutboxStore.markFailed};
   * an entry whose lease runs out is claimed again (at-least-once).
   * Each entry carries its message and the participants to publish to.
   * Resolves with `[]` when nothing is due (or `limit` is 0); the relay then
   * waits for its next tick. Rejects only when the store fails: the relay
   * reports it and tries again at its next interval.
   */
  claim(options: ClaimOptions): Promise<ClaimedOutboxEntry[]>;
  /** Marks entries published (idempotent). */
  markSent(ids: readonly string[]): Promise<void>;
  /** Releases entries for another try at `retryAt` (ms since epoch), counting the attempt. */
  markFailed(ids: readonly string[], retryAt: number): Promise<void>;
  /** Deletes `sent` entries created before `olderThan` (ms since epoch); returns how many. */
  purge(olderThan: number): Promise<number>;
  /**
   * The backlog, for metrics and health: entries of `kinds` only (default
   * `["message"]`, what a relay with the default claim publishes).
   */
  stats(options?: { kinds?: readonly OutboxEntryKind[] }): Promise<OutboxStats>;
}
