import type {
  Group,
  GroupMember,
  Message,
  MessageBody,
  MessageChange,
  MessageChangeKind,
  OutboxEntry,
} from "@lucky-im/core";
import type { Selectable } from "kysely";
import type { GroupMemberTable, GroupTable, MessageTable, OutboxTable } from "./database.js";

/** A `messages` row as selected by the stores. */
export type MessageRow = Omit<MessageTable, "created_at">;

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
  "reply_to",
  "mentions",
] as const;

/** A `messages` row as a domain {@link Message}. */
export function toMessage(row: MessageRow): Message {
  const message: Message = {
    messageId: row.message_id,
    conversationId: row.conversation_id,
    seq: row.seq,
    from: row.sender_id,
    to: { type: row.to_type, id: row.to_id },
    body: JSON.parse(row.body) as MessageBody,
    cid: row.cid,
    ts: row.sent_at,
  };
  if (row.recalled_at !== null) {
    message.recalled = true;
    if (row.recalled_by !== null) message.recalledBy = row.recalled_by;
  }
  if (row.edited_at !== null) message.editedAt = row.edited_at;
  if (row.reply_to !== null && row.reply_to !== undefined)
    message.replyTo = JSON.parse(row.reply_to);
  if (row.mentions !== null && row.mentions !== undefined)
    message.mentions = JSON.parse(row.mentions);
  return message;
}

/** An `outbox` row as a domain {@link OutboxEntry}. */
export function toOutboxEntry(row: Selectable<OutboxTable>): OutboxEntry {
  const entry: OutboxEntry = {
    id: String(row.id),
    messageId: row.message_id,
    conversationId: row.conversation_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
  };
  if (row.lease_until !== null) entry.leaseUntil = row.lease_until;
  if (row.kind === "change") {
    entry.kind = "change";
    if (row.change_seq !== null) entry.changeSeq = row.change_seq;
  }
  return entry;
}

/** A `group_members` row as selected by the stores. */
export type MemberRow = Omit<GroupMemberTable, "group_id">;

/** A `group_members` row as a domain {@link GroupMember}. */
export function toMember(row: MemberRow): GroupMember {
  const member: GroupMember = { userId: row.user_id, role: row.role, joinedAt: row.joined_at };
  if (row.muted_until !== null) member.mutedUntil = row.muted_until;
  return member;
}

/** A `groups` row and its members as a domain {@link Group}. */
export function toGroup(row: GroupTable, members: MemberRow[]): Group {
  return {
    groupId: row.id,
    name: row.name,
    ownerId: row.owner_id,
    mutedAll: row.muted_all === 1,
    createdAt: row.created_at,
    members: members.map(toMember),
  };
}

/** A `message_changes` row. */
export interface ChangeRow {
  conversation_id: string;
  change_seq: number;
  kind: string;
  message_id: string;
  seq: number;
  by_user: string;
  visible_to: string | null;
  /** JSON text, or null. */
  body: string | null;
  reaction_key: string | null;
  changed_at: number;
}

/** A `message_changes` row as a domain {@link MessageChange}. */
export function toChange(row: ChangeRow): MessageChange {
  const change: MessageChange = {
    conversationId: row.conversation_id,
    changeSeq: row.change_seq,
    kind: row.kind as MessageChangeKind,
    messageId: row.message_id,
    seq: row.seq,
    by: row.by_user,
    ts: row.changed_at,
  };
  if (row.body !== null) change.body = JSON.parse(row.body) as MessageBody;
  if (row.reaction_key !== null) change.key = row.reaction_key;
  if (row.visible_to !== null) change.visibleTo = row.visible_to;
  return change;
}
