import type { ColumnType, Generated } from "kysely";

/**
 * Row types of the tables the migrations create, as kysely sees them.
 * `bigint` columns come back from `pg` as strings (no global type parser is
 * installed, so a pool the user passed keeps its behaviour); the mappers in
 * `rows.ts` turn them into numbers.
 */

type Int8 = ColumnType<string | number, number | string | bigint, number | string | bigint>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** Kysely's `Generated<>` does not nest `ColumnType`s: spelled out instead. */
type GeneratedInt8 = ColumnType<string | number, undefined, number | string | bigint>;
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** `conversations`: one row per conversation, holding the seq counter. */
export interface ConversationTable {
  id: string;
  kind: "direct" | "group";
  last_seq: Int8;
  created_at: GeneratedTimestamp;
  /** Newest message ts (or creation): orders a user's conversation list. */
  updated_at: GeneratedTimestamp;
  /** Server clock of the last append: breaks ties of `updated_at`. */
  touched_at: GeneratedTimestamp;
}

/** `messages`: primary key (conversation_id, seq). */
export interface MessageTable {
  conversation_id: string;
  seq: Int8;
  message_id: string;
  sender_id: string;
  cid: string;
  to_type: "user" | "group";
  to_id: string;
  body: ColumnType<unknown, string, string>;
  sent_at: Timestamp;
  created_at: GeneratedTimestamp;
  recalled_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  recalled_by: string | null;
  edited_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** The quoted message and its excerpt (JSON `ReplyReference`), or null. */
  reply_to: ColumnType<unknown, string | null, string | null>;
  /** Mentioned user ids or `all` (a JSON array of strings), or null. */
  mentions: ColumnType<unknown, string | null, string | null>;
  /** The original of a forwarded copy (JSON `ForwardOrigin`), or null. */
  forwarded: ColumnType<unknown, string | null, string | null>;
}

/** `cursors`: per (user, conversation); a row means the user is in the conversation. */
export interface CursorTable {
  user_id: string;
  conversation_id: string;
  delivered_seq: Int8;
  read_seq: Int8;
  /** The conversation's last seq when the user joined (group members); 0 for direct ones. */
  joined_seq: GeneratedInt8;
  updated_at: GeneratedTimestamp;
  /** The user's conversation settings (migration 0003_people): null / false when never set. */
  pinned_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** `infinity` for muted for ever. */
  muted_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  archived: ColumnType<boolean, boolean | undefined, boolean>;
  marked_unread: ColumnType<boolean, boolean | undefined, boolean>;
}

/** `groups`. */
export interface GroupTable {
  id: string;
  name: string;
  owner_id: string;
  muted_all: Generated<boolean>;
  created_at: Timestamp;
  description: Generated<string>;
  avatar: string | null;
  announcement: string | null;
  announcement_by: string | null;
  announcement_at: NullableTimestamp;
}

/** `group_members`: primary key (group_id, user_id). */
export interface GroupMemberTable {
  group_id: string;
  user_id: string;
  role: "owner" | "admin" | "member";
  muted_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  joined_at: Timestamp;
}

/** `outbox`: one entry per stored message, written in the message's transaction. */
export interface OutboxTable {
  id: GeneratedInt8;
  message_id: string;
  conversation_id: string;
  status: Generated<"pending" | "sent">;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  lease_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: GeneratedTimestamp;
  /** `message` or `change` (entries older than the column are messages). */
  kind: Generated<"message" | "change">;
  /** A change entry's place in its conversation's change log. */
  change_seq: ColumnType<string | number | null, number | null | undefined, number | null>;
}

/** `change_counters`: the last changeSeq of each conversation with changes. */
export interface ChangeCounterTable {
  conversation_id: string;
  last_change_seq: Int8;
}

/** `message_changes`: the per-conversation change log, primary key (conversation_id, change_seq). */
export interface MessageChangeTable {
  conversation_id: string;
  change_seq: Int8;
  kind: string;
  message_id: string;
  seq: Int8;
  by_user: string;
  visible_to: string | null;
  body: ColumnType<unknown, string | null, string | null>;
  reaction_key: string | null;
  changed_at: Timestamp;
}

/** `message_edits`: earlier bodies of edited messages. */
export interface MessageEditTable {
  id: GeneratedInt8;
  message_id: string;
  body: ColumnType<unknown, string, string>;
  replaced_at: Timestamp;
}

/** `reactions`: one row per (message, key, user). */
export interface ReactionTable {
  message_id: string;
  reaction_key: string;
  user_id: string;
  reacted_at: Timestamp;
}

/** `pins`: pinned messages per conversation. */
export interface PinTable {
  conversation_id: string;
  message_id: string;
  seq: Int8;
  pinned_by: string;
  pinned_at: Timestamp;
}

/** `hidden_messages`: messages a user deleted for themselves. */
export interface HiddenMessageTable {
  user_id: string;
  conversation_id: string;
  seq: Int8;
}

/** `conversation_clears`: per user, every message up to `up_to_seq` is hidden. */
export interface ConversationClearTable {
  user_id: string;
  conversation_id: string;
  up_to_seq: Int8;
}

type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;

/** `contact_requests`: at most one per (from_id, to_id). */
export interface ContactRequestTable {
  from_id: string;
  to_id: string;
  message: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  state: "pending" | "accepted" | "declined" | "cancelled";
}

/** `contacts`: one row per side. */
export interface ContactTable {
  user_id: string;
  contact_id: string;
  remark: string | null;
  since: Timestamp;
}

/** `blocks`: `user_id` blocked `blocked_id`. */
export interface BlockTable {
  user_id: string;
  blocked_id: string;
  since: Timestamp;
}

/** `privacy_settings`: a row once the user changed the defaults. */
export interface PrivacySettingsTable {
  user_id: string;
  direct_messages: "anyone" | "contacts";
  group_invites: "anyone" | "contacts" | "nobody";
}

/** `profiles`. */
export interface ProfileTable {
  user_id: string;
  username: string | null;
  display_name: string;
  avatar: string | null;
  searchable: boolean;
  hide_last_seen: boolean;
  last_seen_at: NullableTimestamp;
  updated_at: Timestamp;
  /** `searchKey(display_name)`, computed by the store: prefix search reads it. */
  name_key: string;
  /** `searchKey(username)`, or null. */
  username_key: string | null;
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
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_by: string | null;
  decided_at: NullableTimestamp;
}

/** `group_invite_links`: invite links by their secret code. */
export interface GroupInviteLinkTable {
  code: string;
  group_id: string;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  max_uses: number | null;
  uses: Generated<number>;
  revoked_at: NullableTimestamp;
}

/** `group_invite_link_uses`: who joined with which link (a link works once per user). */
export interface GroupInviteLinkUseTable {
  code: string;
  user_id: string;
}

/** Moderation tables (migration 0006): read with raw SQL only. */
export interface SuspensionTable {
  user_id: string;
}
/** See {@link SuspensionTable}. */
export interface ModerationReportTable {
  id: string;
}
/** See {@link SuspensionTable}. */
export interface ModerationAuditTable {
  id: string;
}

/** The domain event outbox (migration 0009); times in ms since epoch. */
export interface DomainEventTable {
  seq: GeneratedInt8;
  id: string;
  kind: string;
  type: string;
  conversation_id: string | null;
  data: unknown;
  occurred_at: string | number;
  coalesce_key: string | null;
  ord: string | number | null;
  revision: Generated<number>;
  lease_until: string | number | null;
}

/** The database as kysely sees it (unqualified names; the schema comes from `withSchema`). */
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
  change_counters: ChangeCounterTable;
  message_changes: MessageChangeTable;
  message_edits: MessageEditTable;
  reactions: ReactionTable;
  pins: PinTable;
  hidden_messages: HiddenMessageTable;
  conversation_clears: ConversationClearTable;
  group_join_settings: GroupJoinSettingsTable;
  group_join_tickets: GroupJoinTicketTable;
  group_invite_links: GroupInviteLinkTable;
  group_invite_link_uses: GroupInviteLinkUseTable;
  suspensions: SuspensionTable;
  moderation_reports: ModerationReportTable;
  moderation_audit: ModerationAuditTable;
  domain_events: DomainEventTable;
}
