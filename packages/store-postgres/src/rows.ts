import type {
  Group,
  GroupMember,
  Message,
  MessageBody,
  MessageChange,
  MessageChangeKind,
  OutboxEntry,
  ReplyReference,
} from "@lucky-im/core";
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
  reply_to: unknown;
  mentions: unknown;
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
  "reply_to",
  "mentions",
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
  if (row.reply_to !== null && row.reply_to !== undefined) {
    message.replyTo = row.reply_to as ReplyReference;
  }
  if (row.mentions !== null && row.mentions !== undefined)
    message.mentions = row.mentions as string[];
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
  kind?: "message" | "change";
  change_seq?: string | number | null;
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
  if (row.kind === "change") {
    entry.kind = "change";
    if (row.change_seq !== null && row.change_seq !== undefined) {
      entry.changeSeq = Number(row.change_seq);
    }
  }
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

/** A `message_changes` row. */
export interface ChangeRow {
  conversation_id: string;
  change_seq: string | number;
  kind: string;
  message_id: string;
  seq: string | number;
  by_user: string;
  visible_to: string | null;
  body: unknown;
  reaction_key: string | null;
  changed_at: Date;
}

/** A `message_changes` row as a domain {@link MessageChange}. */
export function toChange(row: ChangeRow): MessageChange {
  const change: MessageChange = {
    conversationId: row.conversation_id,
    changeSeq: Number(row.change_seq),
    kind: row.kind as MessageChangeKind,
    messageId: row.message_id,
    seq: Number(row.seq),
    by: row.by_user,
    ts: toMs(row.changed_at),
  };
  if (row.body !== null && row.body !== undefined) change.body = row.body as MessageBody;
  if (row.reaction_key !== null) change.key = row.reaction_key;
  if (row.visible_to !== null) change.visibleTo = row.visible_to;
  return change;
}
