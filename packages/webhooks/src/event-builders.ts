import type { DomainEvent, Message, MessageChange } from "@lucky-im/core";
import { isWebhookEventType, type WebhookEvent } from "./webhook-event.js";

/** @internal `message.stored`: its id is the same on the fast path and a relay re-drive. */
export function messageStoredEvent(message: Message): WebhookEvent {
  return {
    id: `message.stored:${message.messageId}`,
    type: "message.stored",
    occurredAt: message.ts,
    conversationId: message.conversationId,
    // A snapshot: a store may change the object in place later (an edit, a recall).
    data: { message: structuredClone(message) },
  };
}

/**
 * @internal The event of a change-log entry: `edited` and `recalled` have their own
 * types, reactions and pins are `message.changed`; private changes (deleted for one
 * user, cleared) make none.
 */
export function changeEvent(change: MessageChange): WebhookEvent | undefined {
  if (change.visibleTo !== undefined) return undefined;
  const type =
    change.kind === "edited"
      ? "message.edited"
      : change.kind === "recalled"
        ? "message.recalled"
        : "message.changed";
  return {
    id: `${type}:${change.conversationId}:${change.changeSeq}`,
    type,
    occurredAt: change.ts,
    conversationId: change.conversationId,
    data: { change: structuredClone(change) },
  };
}

/**
 * @internal The webhook event of a domain event (group, group-join, contact, read), or
 * `undefined` for a type webhooks do not know. Its id is stable across re-claims: the
 * domain event's id (a read: its user, conversation and seq; `group.created`: the group).
 */
export function domainWebhookEvent(event: DomainEvent): WebhookEvent | undefined {
  if (!isWebhookEventType(event.type)) return undefined;
  const data = event.data;
  const id =
    event.type === "message.read"
      ? `message.read:${String(data.conversationId)}:${String(data.userId)}:${String(data.seq)}`
      : event.type === "group.created"
        ? `group.created:${String((data.group as { groupId?: unknown } | undefined)?.groupId)}`
        : `${event.type}:${event.id}`;
  return {
    id,
    type: event.type,
    occurredAt: event.occurredAt,
    ...(event.conversationId !== undefined && { conversationId: event.conversationId }),
    data,
  };
}
