import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  type MigratorProps,
  sql,
} from "kysely";
import { searchText as SEARCH_TEXT } from "./search-text.js";
import type { SqliteConnection } from "./sqlite-connection.js";

/** The insert trigger of `0004_message_changes`: every message indexed in its own transaction. */
const INDEX_ON_INSERT = `CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_search_rows (message_id) VALUES (new.message_id);
        INSERT INTO messages_fts (rowid, text) VALUES (last_insert_rowid(), ${SEARCH_TEXT("new")});
      END`;

/** The delete trigger of `0004_message_changes`. */
const UNINDEX_ON_DELETE = `CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts
        WHERE rowid = (SELECT id FROM message_search_rows WHERE message_id = old.message_id);
        DELETE FROM message_search_rows WHERE message_id = old.message_id;
      END`;

/**
 * The migrations of this package, in order. Append new ones; never edit one
 * that was released (a database that applied it would not run it again).
 */
const MIGRATIONS: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s
        .createTable("conversations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('direct', 'group')`))
        .addColumn("last_seq", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "integer", (c) => c.notNull())
        // Newest message ts (or creation): orders a user's conversation list...
        .addColumn("updated_at", "integer", (c) => c.notNull())
        // ...and the write order of the last append breaks ties.
        .addColumn("touched_at", "integer", (c) => c.notNull())
        .execute();
      await s
        .createIndex("conversations_touched_idx")
        .on("conversations")
        .column("touched_at")
        .execute();

      await s
        .createTable("messages")
        .addColumn("conversation_id", "text", (c) => c.notNull().references("conversations.id"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("message_id", "text", (c) => c.notNull().unique())
        .addColumn("sender_id", "text", (c) => c.notNull())
        .addColumn("cid", "text", (c) => c.notNull())
        .addColumn("to_type", "text", (c) => c.notNull().check(sql`to_type in ('user', 'group')`))
        .addColumn("to_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("sent_at", "integer", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("recalled_at", "integer")
        .addColumn("recalled_by", "text")
        .addColumn("edited_at", "integer")
        // History paging and sync: (conversation_id, seq) ranges.
        .addPrimaryKeyConstraint("messages_pkey", ["conversation_id", "seq"])
        // Idempotent send: dedupe on (sender, cid).
        .addUniqueConstraint("messages_sender_cid_key", ["sender_id", "cid"])
        .execute();

      await s
        .createTable("cursors")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text", (c) => c.notNull().references("conversations.id"))
        .addColumn("delivered_seq", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("read_seq", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "integer", (c) => c.notNull())
        // A user's cursors and conversation list.
        .addPrimaryKeyConstraint("cursors_pkey", ["user_id", "conversation_id"])
        .execute();
      // Participants of a conversation (fan-out, outbox claim).
      await s
        .createIndex("cursors_conversation_idx")
        .on("cursors")
        .columns(["conversation_id", "user_id"])
        .execute();

      await s
        .createTable("groups")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("owner_id", "text", (c) => c.notNull())
        .addColumn("muted_all", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "integer", (c) => c.notNull())
        .execute();

      await s
        .createTable("group_members")
        .addColumn("group_id", "text", (c) =>
          c.notNull().references("groups.id").onDelete("cascade"),
        )
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) =>
          c.notNull().check(sql`role in ('owner', 'admin', 'member')`),
        )
        .addColumn("muted_until", "integer")
        .addColumn("joined_at", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("group_members_pkey", ["group_id", "user_id"])
        .execute();
      // groupsOf(user).
      await s
        .createIndex("group_members_user_idx")
        .on("group_members")
        .columns(["user_id", "group_id"])
        .execute();

      await s
        .createTable("outbox")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) =>
          c.notNull().defaultTo("pending").check(sql`status in ('pending', 'sent')`),
        )
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "integer", (c) => c.notNull())
        .addColumn("lease_until", "integer")
        .addColumn("created_at", "integer", (c) => c.notNull())
        .execute();
      // Claim and stats look at pending entries only; the fast path marks
      // almost every entry sent at once, so the index stays small.
      await s
        .createIndex("outbox_pending_idx")
        .on("outbox")
        .columns(["next_attempt_at", "id"])
        .where(sql.ref("status"), "=", "pending")
        .execute();
      // Purge of published entries by age.
      await s
        .createIndex("outbox_sent_idx")
        .on("outbox")
        .column("created_at")
        .where(sql.ref("status"), "=", "sent")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        "outbox",
        "group_members",
        "groups",
        "cursors",
        "messages",
        "conversations",
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  "0002_cursor_joined_seq": {
    // The last seq when a group member joined: sync and history start after it.
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("cursors")
        .addColumn("joined_seq", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("cursors").dropColumn("joined_seq").execute();
    },
  },
  "0003_people": {
    // Contacts, requests, blocks, privacy, profiles (issue 16) and the per-user conversation
    // settings, which live on the cursor row so that the conversation list stays one query.
    async up(db: Kysely<unknown>) {
      await createPeopleTables(db);
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        "profiles",
        "privacy_settings",
        "blocks",
        "contacts",
        "contact_requests",
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
      for (const column of ["pinned_at", "muted_until", "archived", "marked_unread"]) {
        await db.schema.alterTable("cursors").dropColumn(column).execute();
      }
    },
  },
  "0004_message_changes": {
    // Edits, replies, mentions, reactions, pins, delete-for-me, search and the per-conversation
    // change log (issue 17).
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s.alterTable("messages").addColumn("reply_to", "text").execute();
      await s.alterTable("messages").addColumn("mentions", "text").execute();
      await s
        .alterTable("outbox")
        .addColumn("kind", "text", (c) => c.notNull().defaultTo("message"))
        .execute();
      await s.alterTable("outbox").addColumn("change_seq", "integer").execute();
      await s
        .createTable("change_counters")
        .addColumn("conversation_id", "text", (c) => c.primaryKey())
        .addColumn("last_change_seq", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await s
        .createTable("message_changes")
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("change_seq", "integer", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("by_user", "text", (c) => c.notNull())
        .addColumn("visible_to", "text")
        .addColumn("body", "text")
        .addColumn("reaction_key", "text")
        .addColumn("changed_at", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("message_changes_pkey", ["conversation_id", "change_seq"])
        .execute();
      await s
        .createTable("message_edits")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("replaced_at", "integer", (c) => c.notNull())
        .execute();
      await s
        .createIndex("message_edits_message_idx")
        .on("message_edits")
        .columns(["message_id", "id"])
        .execute();
      await s
        .createTable("reactions")
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("reaction_key", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("reacted_at", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("reactions_pkey", ["message_id", "reaction_key", "user_id"])
        .execute();
      await s
        .createTable("pins")
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("message_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("pinned_by", "text", (c) => c.notNull())
        .addColumn("pinned_at", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("pins_pkey", ["conversation_id", "message_id"])
        .execute();
      await s
        .createTable("hidden_messages")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("hidden_messages_pkey", ["user_id", "conversation_id", "seq"])
        .execute();
      await s
        .createTable("conversation_clears")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text", (c) => c.notNull())
        .addColumn("up_to_seq", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("conversation_clears_pkey", ["user_id", "conversation_id"])
        .execute();

      // Full-text search: an FTS5 table kept in sync by triggers. Its rowids come from
      // message_search_rows (an INTEGER PRIMARY KEY, stable under VACUUM, unlike the
      // implicit rowid of `messages`). The text expression MUST match SEARCH_TEXT below.
      await sql`CREATE TABLE message_search_rows (
        id INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE)`.execute(db);
      await sql`CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, tokenize = 'unicode61 remove_diacritics 0')`.execute(db);
      await sql.raw(INDEX_ON_INSERT).execute(db);
      await sql
        .raw(`CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        UPDATE messages_fts SET text = ${SEARCH_TEXT("new")}
        WHERE rowid = (SELECT id FROM message_search_rows WHERE message_id = new.message_id);
      END`)
        .execute(db);
      await sql.raw(UNINDEX_ON_DELETE).execute(db);
      await sql`INSERT INTO message_search_rows (message_id) SELECT message_id FROM messages`.execute(
        db,
      );
      await sql
        .raw(`INSERT INTO messages_fts (rowid, text)
        SELECT r.id, ${SEARCH_TEXT("m")} FROM messages AS m
        JOIN message_search_rows AS r ON r.message_id = m.message_id`)
        .execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const trigger of ["messages_fts_insert", "messages_fts_update", "messages_fts_delete"]) {
        await sql.raw(`DROP TRIGGER IF EXISTS ${trigger}`).execute(db);
      }
      for (const table of [
        "messages_fts",
        "message_search_rows",
        "conversation_clears",
        "hidden_messages",
        "pins",
        "reactions",
        "message_edits",
        "message_changes",
        "change_counters",
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
      await db.schema.alterTable("outbox").dropColumn("change_seq").execute();
      await db.schema.alterTable("outbox").dropColumn("kind").execute();
      await db.schema.alterTable("messages").dropColumn("mentions").execute();
      await db.schema.alterTable("messages").dropColumn("reply_to").execute();
    },
  },
  "0005_group_joins": {
    // Join settings, join requests and invitations ("tickets"), invite links. Each goes
    // with its group (ON DELETE CASCADE; foreign keys are on).
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s
        .createTable("group_join_settings")
        .addColumn("group_id", "text", (c) =>
          c.primaryKey().references("groups.id").onDelete("cascade"),
        )
        .addColumn("join_mode", "text", (c) =>
          c.notNull().check(sql`join_mode in ('open', 'approval', 'invite')`),
        )
        .addColumn("invite_policy", "text", (c) =>
          c.notNull().check(sql`invite_policy in ('members', 'admins')`),
        )
        .execute();
      await s
        .createTable("group_join_tickets")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) =>
          c.notNull().references("groups.id").onDelete("cascade"),
        )
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('request', 'invitation')`))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("by_id", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) =>
          c.notNull().check(sql`state in ('pending', 'accepted', 'declined', 'expired')`),
        )
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("decided_by", "text")
        .addColumn("decided_at", "integer")
        .execute();
      // One pending ticket per (group, user, kind); also the group's pending list.
      await s
        .createIndex("group_join_tickets_pending_idx")
        .on("group_join_tickets")
        .columns(["group_id", "kind", "user_id"])
        .unique()
        .where(sql.ref("state"), "=", "pending")
        .execute();
      // A user's pending requests (flood limit) and invitations (inbox).
      await s
        .createIndex("group_join_tickets_user_idx")
        .on("group_join_tickets")
        .columns(["user_id", "kind"])
        .where(sql.ref("state"), "=", "pending")
        .execute();
      await s
        .createTable("group_invite_links")
        .addColumn("code", "text", (c) => c.primaryKey())
        .addColumn("group_id", "text", (c) =>
          c.notNull().references("groups.id").onDelete("cascade"),
        )
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer", (c) => c.notNull())
        .addColumn("max_uses", "integer")
        .addColumn("uses", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("revoked_at", "integer")
        .execute();
      await s
        .createIndex("group_invite_links_group_idx")
        .on("group_invite_links")
        .column("group_id")
        .execute();
      await s
        .createTable("group_invite_link_uses")
        .addColumn("code", "text", (c) =>
          c.notNull().references("group_invite_links.code").onDelete("cascade"),
        )
        .addColumn("user_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("group_invite_link_uses_pkey", ["code", "user_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        "group_invite_link_uses",
        "group_invite_links",
        "group_join_tickets",
        "group_join_settings",
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  "0006_forwarded": {
    // Forwarded copies (issue 17): the original message, as JSON text.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("messages").addColumn("forwarded", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("messages").dropColumn("forwarded").execute();
    },
  },
  "0007_group_profile": {
    // A group's description, uploaded avatar and announcement (text, author, time).
    async up(db: Kysely<unknown>) {
      const groups = () => db.schema.alterTable("groups");
      // SQLite adds one column per ALTER TABLE.
      await groups()
        .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
        .execute();
      await groups().addColumn("avatar", "text").execute();
      await groups().addColumn("announcement", "text").execute();
      await groups().addColumn("announcement_by", "text").execute();
      await groups().addColumn("announcement_at", "integer").execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of [
        "announcement_at",
        "announcement_by",
        "announcement",
        "avatar",
        "description",
      ]) {
        await db.schema.alterTable("groups").dropColumn(column).execute();
      }
    },
  },
  "0008_moderation": {
    // Suspensions and bans, user reports, and the audit log of admin actions. Times in ms.
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s
        .createTable("suspensions")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('suspend', 'ban')`))
        .addColumn("reason", "text")
        .addColumn("by_id", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("expires_at", "integer")
        .execute();
      await s
        .createTable("moderation_reports")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("reporter_id", "text", (c) => c.notNull())
        .addColumn("target_kind", "text", (c) =>
          c.notNull().check(sql`target_kind in ('message', 'user')`),
        )
        .addColumn("target_user_id", "text", (c) => c.notNull())
        .addColumn("message_id", "text")
        .addColumn("conversation_id", "text")
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) =>
          c.notNull().check(sql`status in ('open', 'resolved', 'dismissed')`),
        )
        .addColumn("resolved_by", "text")
        .addColumn("resolved_at", "integer")
        .addColumn("resolution", "text")
        .execute();
      await s
        .createIndex("moderation_reports_status_idx")
        .on("moderation_reports")
        .columns(["status", "id"])
        .execute();
      await s
        .createTable("moderation_audit")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("actor_id", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target_kind", "text", (c) => c.notNull())
        .addColumn("target_id", "text", (c) => c.notNull())
        .addColumn("details", "text")
        .addColumn("at", "integer", (c) => c.notNull())
        .execute();
      await s
        .createIndex("moderation_audit_actor_idx")
        .on("moderation_audit")
        .columns(["actor_id", "id"])
        .execute();
      await s
        .createIndex("moderation_audit_target_idx")
        .on("moderation_audit")
        .columns(["target_id", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["moderation_audit", "moderation_reports", "suspensions"]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  "0009_domain_events": {
    // The domain event outbox: group, group-join, contact and read events, written in the
    // transaction of their change once a consumer (webhooks) enabled their kind. Times in ms.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("domain_events")
        .addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("conversation_id", "text")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("occurred_at", "integer", (c) => c.notNull())
        // Pending events with one key are one event (read cursors); NULLs never conflict.
        .addColumn("coalesce_key", "text", (c) => c.unique())
        .addColumn("ord", "integer")
        .addColumn("revision", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("lease_until", "integer")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("domain_events").ifExists().execute();
    },
  },
  "0010_search_backlog": {
    // An append no longer writes the full-text index in its own (durable) transaction: FTS5
    // writes a segment per transaction, which cost ~40 % of an append. The insert trigger
    // queues the row; the store indexes the queue in batches (a bookkeeping commit) and
    // before every search, so a search still finds every stored message.
    async up(db: Kysely<unknown>) {
      await sql`CREATE TABLE message_search_backlog (row_id INTEGER PRIMARY KEY)`.execute(db);
      await sql`DROP TRIGGER messages_fts_insert`.execute(db);
      // OR IGNORE: a row id of message_search_rows (no AUTOINCREMENT) may come back after
      // its message was deleted; it is queued once.
      await sql
        .raw(`CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_search_rows (message_id) VALUES (new.message_id);
        INSERT OR IGNORE INTO message_search_backlog (row_id) VALUES (last_insert_rowid());
      END`)
        .execute(db);
      await sql`DROP TRIGGER messages_fts_delete`.execute(db);
      await sql
        .raw(`CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts
        WHERE rowid = (SELECT id FROM message_search_rows WHERE message_id = old.message_id);
        DELETE FROM message_search_backlog
        WHERE row_id = (SELECT id FROM message_search_rows WHERE message_id = old.message_id);
        DELETE FROM message_search_rows WHERE message_id = old.message_id;
      END`)
        .execute(db);
    },
    async down(db: Kysely<unknown>) {
      // What waits is indexed first: the old triggers index on insert only.
      await sql
        .raw(`INSERT INTO messages_fts (rowid, text)
        SELECT r.id, ${SEARCH_TEXT("m")} FROM message_search_backlog AS b
        JOIN message_search_rows AS r ON r.id = b.row_id
        JOIN messages AS m ON m.message_id = r.message_id`)
        .execute(db);
      for (const trigger of ["messages_fts_insert", "messages_fts_delete"]) {
        await sql.raw(`DROP TRIGGER ${trigger}`).execute(db);
      }
      await sql.raw(INDEX_ON_INSERT).execute(db);
      await sql.raw(UNINDEX_ON_DELETE).execute(db);
      await sql`DROP TABLE message_search_backlog`.execute(db);
    },
  },
};

/** The tables and columns of migration `0003_people`. Text compares by code point (BINARY). */
async function createPeopleTables(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  // SQLite adds one column per ALTER TABLE.
  await s.alterTable("cursors").addColumn("pinned_at", "integer").execute();
  await s.alterTable("cursors").addColumn("muted_until", "integer").execute();
  await s
    .alterTable("cursors")
    .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await s
    .alterTable("cursors")
    .addColumn("marked_unread", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await s
    .createTable("contact_requests")
    .addColumn("from_id", "text", (c) => c.notNull())
    .addColumn("to_id", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("created_at", "integer", (c) => c.notNull())
    .addColumn("expires_at", "integer", (c) => c.notNull())
    .addColumn("state", "text", (c) =>
      c.notNull().check(sql`state in ('pending', 'accepted', 'declined', 'cancelled')`),
    )
    // Outgoing requests and the pending count of a sender.
    .addPrimaryKeyConstraint("contact_requests_pkey", ["from_id", "to_id"])
    .execute();
  // Incoming requests.
  await s
    .createIndex("contact_requests_to_idx")
    .on("contact_requests")
    .columns(["to_id", "from_id"])
    .execute();

  await s
    .createTable("contacts")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("contact_id", "text", (c) => c.notNull())
    .addColumn("remark", "text")
    .addColumn("since", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("contacts_pkey", ["user_id", "contact_id"])
    .execute();

  await s
    .createTable("blocks")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("blocked_id", "text", (c) => c.notNull())
    .addColumn("since", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("blocks_pkey", ["user_id", "blocked_id"])
    .execute();

  await s
    .createTable("privacy_settings")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    .addColumn("direct_messages", "text", (c) =>
      c.notNull().check(sql`direct_messages in ('anyone', 'contacts')`),
    )
    .addColumn("group_invites", "text", (c) =>
      c.notNull().check(sql`group_invites in ('anyone', 'contacts', 'nobody')`),
    )
    .execute();

  await s
    .createTable("profiles")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    .addColumn("username", "text")
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("avatar", "text")
    .addColumn("searchable", "integer", (c) => c.notNull())
    .addColumn("hide_last_seen", "integer", (c) => c.notNull())
    .addColumn("last_seen_at", "integer")
    .addColumn("updated_at", "integer", (c) => c.notNull())
    .addColumn("name_key", "text", (c) => c.notNull())
    .addColumn("username_key", "text")
    .execute();
  // Prefix search: a range on the key, searchable users only (queries say `searchable = 1`).
  await s
    .createIndex("profiles_name_key_idx")
    .on("profiles")
    .columns(["name_key", "user_id"])
    .where(sql.ref("searchable"), "=", 1)
    .execute();
  await s
    .createIndex("profiles_username_key_idx")
    .on("profiles")
    .columns(["username_key", "user_id"])
    .where(sql.ref("searchable"), "=", 1)
    .execute();
}

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * The versioned migrations of the store's tables, as the settings of a kysely
 * `Migrator` (spread them, add `db`): for a tool that runs several packages'
 * migrations, such as `lucky-im migrate`. The bookkeeping is kysely's default
 * `kysely_migration` table. kysely's migration lock does nothing on SQLite:
 * run the migrator inside `BEGIN IMMEDIATE` with `disableTransactions: true`,
 * as this package does.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
 * const migrations = await new Migrator({ db, ...sqliteStoreMigrations() }).getMigrations();
 * ```
 */
export function sqliteStoreMigrations(): Omit<MigratorProps, "db"> {
  return {
    provider: new StaticProvider(),
    migrationTableName: "kysely_migration",
    migrationLockTableName: "kysely_migration_lock",
  };
}

/**
 * Builds the kysely `Migrator` of this package (bookkeeping in `kysely_migration*`
 * tables). Its own transactions are off: {@link runMigrations} runs it inside one
 * `BEGIN IMMEDIATE` transaction instead.
 */
export function createMigrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, ...sqliteStoreMigrations(), disableTransactions: true });
}

/** What {@link migrateToLatest} did. */
export interface MigrateResult {
  /** The migrations applied by this call (empty when the database was up to date). */
  applied: string[];
}

/**
 * Runs the pending migrations, all or none; throws with the failing migration
 * named. `BEGIN IMMEDIATE` takes the write lock before the migrator reads
 * its bookkeeping, so two processes opening a new file at once run the
 * migrations one after the other (kysely's migration lock is a no-op on
 * SQLite, and a deferred transaction could not upgrade its read lock).
 */
export async function runMigrations(
  db: Kysely<unknown>,
  connection: SqliteConnection,
): Promise<MigrateResult> {
  connection.exec("BEGIN IMMEDIATE");
  let outcome: Awaited<ReturnType<Migrator["migrateToLatest"]>>;
  try {
    outcome = await createMigrator(db).migrateToLatest();
  } catch (error) {
    connection.exec("ROLLBACK");
    throw error;
  }
  const { error, results } = outcome;
  const failed = results?.find((r: MigrationResult) => r.status === "Error");
  if (error !== undefined || failed) {
    const what = failed ? `migration ${failed.migrationName} failed` : "migration failed";
    if (connection.inTransaction) connection.exec("ROLLBACK");
    throw new Error(`[lucky-im] [store-sqlite] ${what}`, { cause: error });
  }
  connection.exec("COMMIT");
  return {
    applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
  };
}
