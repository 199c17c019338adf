import type { DomainEvent, DomainEventKind } from "../domain/domain-event.js";

/** Options of {@link DomainEventStore.claim}. */
export interface DomainEventClaimOptions {
  /** At most this many events. */
  limit: number;
  /** The claim holds for this long; then the events can be claimed again. */
  leaseMs: number;
  /**
   * Only events of these kinds (absent: every kind). A consumer claims the kinds it reads, so
   * that in a cluster whose nodes read different kinds none takes (and settles) another's.
   */
  kinds?: readonly DomainEventKind[];
}

/**
 * The domain event outbox: events of group, group-join, contact and read-cursor writes,
 * recorded by those writes in their own transaction (so a crash never keeps the change and
 * loses its event), then claimed and settled by a consumer (e.g. `@lucky-im/webhooks`).
 *
 * Invariants:
 * - Recording is off until {@link DomainEventStore.enable} turns a kind on for this store
 *   instance: a write records nothing (no extra statement) for kinds nobody consumes.
 * - `claim` returns unleased (or lease-expired) events, oldest first, of the `kinds` asked
 *   for (every kind without), and leases them; two concurrent claimers never receive the same
 *   event while its lease holds.
 * - An event whose `coalesceKey` matches a pending event's is merged into it (its `data`
 *   replaced, its `revision` bumped, its lease released) instead of added.
 * - `settle` deletes an event only at the revision claimed: a merged-in newer write is
 *   claimed again (at-least-once).
 */
export interface DomainEventStore {
  /**
   * Turns recording on for `kinds` in this store instance (in-process, additive). Each
   * node that consumes events calls it at start-up.
   */
  enable(kinds: readonly DomainEventKind[]): void;
  /** The kinds this instance records. */
  enabledKinds(): DomainEventKind[];
  /** Leases up to `options.limit` due events (see the invariants); `[]` when none. */
  claim(options: DomainEventClaimOptions): Promise<DomainEvent[]>;
  /** Removes consumed events (idempotent), each only at the revision it was claimed at. */
  settle(events: readonly Pick<DomainEvent, "id" | "revision">[]): Promise<void>;
  /** How many events wait (claimed ones included), for metrics. */
  pending(): Promise<number>;
}
