/**
 * What a domain event is about; a consumer turns on the kinds it reads (see
 * {@link DomainEventStore.enable}), and a store records no event of a kind nobody
 * turned on.
 * - `group`: a group was created, changed, dismissed, or members joined or left.
 * - `group_join`: a join request or invitation was opened, approved or declined, or a
 *   user joined by an invite link.
 * - `contact`: a contact request, contact or block changed.
 * - `read`: a read cursor moved (high volume: pending events of one user and conversation
 *   are merged into one).
 */
export type DomainEventKind = "group" | "group_join" | "contact" | "read";

/** Every {@link DomainEventKind}. */
export const DOMAIN_EVENT_KINDS: readonly DomainEventKind[] = [
  "group",
  "group_join",
  "contact",
  "read",
];

/** A domain event as a store writes it, in the transaction of the change it describes. */
export interface NewDomainEvent {
  /** Its kind (what a consumer subscribes to). */
  kind: DomainEventKind;
  /** What happened, e.g. `group.member_joined` (see docs/integrations.md). */
  type: string;
  /** The conversation it belongs to, when it belongs to one. */
  conversationId?: string;
  /** The event's fields (JSON). */
  data: Record<string, unknown>;
  /** When it happened (ms since epoch). */
  occurredAt: number;
  /**
   * Pending events with the same key are one event: a newer write replaces the pending
   * one's `data` when its `order` is not lower (a read cursor: its user and conversation).
   */
  coalesceKey?: string;
  /** With `coalesceKey`: the value that must not go down (a read cursor's seq). */
  order?: number;
}

/** A recorded domain event, as {@link DomainEventStore.claim} returns it. */
export interface DomainEvent extends NewDomainEvent {
  /** Its id, assigned when it was first recorded; stable across re-claims. */
  id: string;
  /**
   * Bumped each time a coalescing write replaced its data: {@link DomainEventStore.settle}
   * removes the event only if it was not replaced since it was claimed.
   */
  revision: number;
}
