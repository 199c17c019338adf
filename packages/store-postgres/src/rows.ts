import type { Group, GroupMember, Message, MessageBody, OutboxEntry } from "@lucky-im/core";
import { toMs } from "./context.js";

/** A `messages` row as selected by the stores (bigints as strings, timestamps as Dates). */
export interface MessageRow {
  conversation_id: string;
  seq: string | number;
  message_id: string;
  sender_id: string;
  cid: string;
  to_type: "user" | "group";
  to_id: string;
  body: unknown;
  sent_at: Date;
  recalled_at: Date | null;
  recalled_by: string | null;
  edited_at: Date | null;
}

/** The columns of {@link MessageRow}, for selects. */
export const MESSAGE_COLUMNS = [
  "conversation_id",
  "seq",
  "message_id",
  "sender_id",
  "cid",
  "to_type",
  "to_id",
  "body",
  "sent_at",
  "recalled_at",
  "recalled_by",
  "edited_at",
] as const;

/** A `messages` row as a domain {@link Message}. */
export function toMessage(row: MessageRow): Message {
  const message: Message = {
    messageId: row.message_id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    from: row.sender_id,
    to: { type: row.to_type, id: row.to_id },
    body: row.body as MessageBody,
    cid: row.cid,
    ts: toMs(row.sent_at),
  };
  if (row.recalled_at !== null) {
    message.recalled = true;
    if (row.recalled_by !== null) message.recalledBy = row.recalled_by;
  }
  if (row.edited_at !== null) message.editedAt = toMs(row.edited_at);
  return message;
}

/** An `outbox` row. */
export interface OutboxRow {
  id: string | number;
  message_id: string;
  conversation_id: string;
  status: "pending" | "sent";
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
  created_at: Date;
}

/** An `outbox` row as a domain {@link OutboxEntry}. */
export function toOutboxEntry(row: OutboxRow): OutboxEntry {
  const entry: OutboxEntry = {
    id: String(row.id),
    messageId: row.message_id,
    conversationId: row.conversation_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: toMs(row.next_attempt_at),
    createdAt: toMs(row.created_at),
  };
  if (row.lease_until !== null) entry.leaseUntil = toMs(row.lease_until);
  return entry;
}

/** A `group_members` row. */
export interface MemberRow {
  user_id: string;
  role: "owner" | "admin" | "member";
  muted_until: Date | null;
  joined_at: Date;
}

/** A `group_members` row as a domain {@link GroupMember}. */
export function toMember(row: MemberRow): GroupMember {
  const member: GroupMember = {
    userId: row.user_id,
    role: row.role,
    joinedAt: toMs(row.joined_at),
  };
  if (row.muted_until !== null) member.mutedUntil = toMs(row.muted_until);
  return member;
}

/** A `groups` row. */
export interface GroupRow {
  id: string;
  name: string;
  owner_id: string;
  muted_all: boolean;
  created_at: Date;
}

/** A `groups` row and its members as a domain {@link Group}. */
export function toGroup(row: GroupRow, members: MemberRow[]): Group {
  return {
    groupId: row.id,
    name: row.name,
    ownerId: row.owner_id,
    mutedAll: row.muted_all,
    createdAt: toMs(row.created_at),
    members: members.map(toMember),
  };
}
