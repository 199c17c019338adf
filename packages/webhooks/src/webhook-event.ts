/** Every webhook event type, in documentation order. */
export const WEBHOOK_EVENT_TYPES = [
  "message.stored",
  "message.edited",
  "message.recalled",
  "message.changed",
  "message.read",
  "group.created",
  "group.changed",
  "group.member_joined",
  "group.member_left",
  "group_join.requested",
  "group_join.invited",
  "group_join.approved",
  "group_join.declined",
  "group_join.joined_by_link",
  "contact.changed",
  "user.connected",
  "user.disconnected",
] as const;

/** The type of a {@link WebhookEvent} (see {@link WEBHOOK_EVENT_TYPES}). */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * One event posted to webhook endpoints. The body of every POST is this object as JSON.
 * `id` is stable across retries and re-drives: receivers de-duplicate on it.
 */
export interface WebhookEvent {
  /** Stable id, the idempotency key (e.g. `message.stored:<messageId>`). */
  id: string;
  /** What happened. */
  type: WebhookEventType;
  /** When it happened, in ms since the epoch. */
  occurredAt: number;
  /** The conversation it belongs to, when it belongs to one. */
  conversationId?: string;
  /** The event's fields (see docs/integrations.md for each type). */
  data: Record<string, unknown>;
}

/** True when `value` names a {@link WebhookEventType}. */
export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(value);
}
