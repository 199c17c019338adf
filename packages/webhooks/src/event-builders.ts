import { randomUUID } from "node:crypto";
import type { Group, Message, MessageChange } from "@lucky-im/core";
import type { WebhookEvent } from "./webhook-event.js";

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

/** @internal `message.read`: a read cursor moved. */
export function readEvent(userId: string, conversationId: string, seq: number): WebhookEvent {
  return {
    id: `message.read:${conversationId}:${userId}:${seq}`,
    type: "message.read",
    occurredAt: Date.now(),
    conversationId,
    data: { userId, conversationId, seq },
  };
}

/** @internal A unique id for events that are not re-driven (one per occurrence). */
export function occurrenceId(type: string): string {
  return `${type}:${Date.now().toString(36)}-${randomUUID()}`;
}

/** @internal `group.created`. */
export function groupCreatedEvent(group: Group): WebhookEvent {
  return {
    id: `group.created:${group.groupId}`,
    type: "group.created",
    occurredAt: group.createdAt,
    conversationId: `g:${group.groupId}`,
    data: { group: structuredClone(group) },
  };
}

/** @internal `group.changed`, `group.member_joined` or `group.member_left`. */
export function groupEvent(
  type: "group.changed" | "group.member_joined" | "group.member_left",
  groupId: string,
  data: Record<string, unknown>,
): WebhookEvent {
  return {
    id: occurrenceId(type),
    type,
    occurredAt: Date.now(),
    conversationId: `g:${groupId}`,
    data: { groupId, ...data },
  };
}

/** @internal `contact.changed`. */
export function contactEvent(
  change: string,
  userId: string,
  otherId: string,
  extra: Record<string, unknown> = {},
): WebhookEvent {
  return {
    id: occurrenceId("contact.changed"),
    type: "contact.changed",
    occurredAt: Date.now(),
    data: { change, userId, otherId, ...extra },
  };
}
