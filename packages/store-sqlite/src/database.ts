import type { Generated } from "kysely";

/**
 * The tables as kysely sees them. Timestamps are INTEGER milliseconds since
 * the epoch, booleans INTEGER 0/1, message bodies JSON TEXT: SQLite has no
 * such types of its own, and integers compare and sort exactly.
 */

/** `conversations`: one row per conversation, holding its seq counter. */
export interface ConversationTable {
  id: string;
  kind: "direct" | "group";
  last_seq: number;
  created_at: number;
  /** Newest message ts (or creation): orders a user's conversation list. */
  updated_at: number;
  /** Write order of the last append (a counter): breaks ties of `updated_at`. */
  touched_at: number;
}

/** `messages`: primary key (conversation_id, seq). */
export interface MessageTable {
  conversation_id: string;
  seq: number;
  message_id: string;
  sender_id: string;
  cid: string;
  to_type: "user" | "group";
  to_id: string;
  /** JSON text. */
  body: string;
  sent_at: number;
  created_at: number;
  recalled_at: number | null;
  recalled_by: string | null;
  edited_at: number | null;
  /** JSON `ReplyReference`, or null. */
  reply_to: string | null;
  /** JSON array of mentioned user ids or `all`, or null. */
  mentions: string | null;
  /** JSON `ForwardOrigin` of a forwarded copy, or null. */
  forwarded: string | null;
}

/** `cursors`: per (user, conversation); a row means the user is in the conversation. */
export interface CursorTable {
  user_id: string;
  conversation_id: string;
  delivered_seq: number;
  read_seq: number;
  updated_at: number;
  /** The conversation's last seq when the user joined (group members); 0 for direct ones. */
  joined_seq: Generated<number>;
  /** The user's conversation settings (migration 0003_people). */
  pinned_at: Generated<number | null>;
  /** {@link MUTED_FOREVER} for muted for ever. */
  muted_until: Generated<number | null>;
  /** 0 or 1. */
  archived: Generated<number>;
  /** 0 or 1. */
  marked_unread: Generated<number>;
}

/** `muted_until` of a conversation muted for ever: the largest time a JavaScript Date holds. */
export const MUTED_FOREVER = 8_640_000_000_000_000;

/** `contact_requests`: at most one per (from_id, to_id). */
export interface ContactRequestTable {
  from_id: string;
  to_id: string;
  message: string;
  created_at: number;
  expires_at: number;
  state: "pending" | "accepted" | "declined" | "cancelled";
}

/** `contacts`: one row per side. */
export interface ContactTable {
  user_id: string;
  contact_id: string;
  remark: string | null;
  since: number;
}

/** `blocks`: `user_id` blocked `blocked_id`. */
export interface BlockTable {
  user_id: string;
  blocked_id: string;
  since: number;
}

/** `privacy_settings`: a row once the user changed the defaults. */
export interface PrivacySettingsTable {
  user_id: string;
  direct_messages: "anyone" | "contacts";
  group_invites: "anyone" | "contacts" | "nobody";
}

/** `profiles`; booleans are 0/1. */
export interface ProfileTable {
  user_id: string;
  username: string | null;
  display_name: string;
  avatar: string | null;
  searchable: number;
  hide_last_seen: number;
  last_seen_at: number | null;
  updated_at: number;
  /** `searchKey(display_name)`, computed by the store: prefix search reads it. */
  name_key: string;
  /** `searchKey(username)`, or null. */
  username_key: string | null;
}

/** `groups`. */
export interface GroupTable {
  id: string;
  name: string;
  owner_id: string;
  /** 0 or 1. */
  muted_all: number;
  created_at: number;
  /** `""` when never set. */
  description: string;
  avatar: string | null;
  announcement: string | null;
  announcement_by: string | null;
  /** ms since epoch. */
  announcement_at: number | null;
}

/** `group_members`: primary key (group_id, user_id). */
export interface GroupMemberTable {
  group_id: string;
  user_id: string;
  role: "owner" | "admin" | "member";
  muted_until: number | null;
  joined_at: number;
}

/** `outbox`: one entry per stored message, written in the message's transaction. */
export interface OutboxTable {
  id: Generated<number>;
  message_id: string;
  conversation_id: string;
  status: "pending" | "sent";
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  created_at: number;
  /** `message` or `change`. */
  kind: Generated<"message" | "change">;
  /** A change entry's place in its conversation's change log. */
  change_seq: number | null;
}

/** `group_join_settings`: one row per group that changed its join settings. */
export interface GroupJoinSettingsTable {
  group_id: string;
  join_mode: "open" | "approval" | "invite";
  invite_policy: "members" | "admins";
}

/** `group_join_tickets`: join requests and invitations; one pending per (group, user, kind). */
export interface GroupJoinTicketTable {
  id: string;
  group_id: string;
  kind: "request" | "invitation";
  user_id: string;
  by_id: string;
  message: string;
  state: "pending" | "accepted" | "declined" | "expired";
  created_at: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
}

/** `group_invite_links`: invite links by their secret code. */
export interface GroupInviteLinkTable {
  code: string;
  group_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
}

/** `group_invite_link_uses`: who joined with which link (a link works once per user). */
export interface GroupInviteLinkUseTable {
  code: string;
  user_id: string;
}

/** The domain event outbox (migration 0009); times in ms since epoch. */
export interface DomainEventTable {
  seq: Generated<number>;
  id: string;
  kind: string;
  type: string;
  conversation_id: string | null;
  /** JSON. */
  data: string;
  occurred_at: number;
  coalesce_key: string | null;
  ord: number | null;
  revision: Generated<number>;
  lease_until: number | null;
}

/** The database as kysely sees it. */
export interface Database {
  conversations: ConversationTable;
  messages: MessageTable;
  cursors: CursorTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  outbox: OutboxTable;
  contact_requests: ContactRequestTable;
  contacts: ContactTable;
  blocks: BlockTable;
  privacy_settings: PrivacySettingsTable;
  profiles: ProfileTable;
  group_join_settings: GroupJoinSettingsTable;
  group_join_tickets: GroupJoinTicketTable;
  group_invite_links: GroupInviteLinkTable;
  group_invite_link_uses: GroupInviteLinkUseTable;
  domain_events: DomainEventTable;
}
