import {
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  type MigratorProps,
  sql,
} from "kysely";
import { assertSchemaName } from "./schema-name.js";

/** The migrations of this package, in order, for one schema. */
function migrations(schema: string): Record<string, Migration> {
  return {
    "0001_initial": {
      async up(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        await s
          .createTable("conversations")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('direct', 'group')`))
          .addColumn("last_seq", "bigint", (c) => c.notNull().defaultTo(0))
          .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          // Newest message ts (or creation): orders a user's conversation list...
          .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          // ...and the server clock of the last append breaks ties.
          .addColumn("touched_at", "timestamptz", (c) =>
            c.notNull().defaultTo(sql`clock_timestamp()`),
          )
          .execute();

        await s
          .createTable("messages")
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("seq", "bigint", (c) => c.notNull())
          .addColumn("message_id", "text", (c) => c.notNull())
          .addColumn("sender_id", "text", (c) => c.notNull())
          .addColumn("cid", "text", (c) => c.notNull())
          .addColumn("to_type", "text", (c) => c.notNull().check(sql`to_type in ('user', 'group')`))
          .addColumn("to_id", "text", (c) => c.notNull())
          .addColumn("body", "jsonb", (c) => c.notNull())
          .addColumn("sent_at", "timestamptz", (c) => c.notNull())
          .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          .addColumn("recalled_at", "timestamptz")
          .addColumn("recalled_by", "text")
          .addColumn("edited_at", "timestamptz")
          // History paging and sync: (conversation_id, seq) ranges.
          .addPrimaryKeyConstraint("messages_pkey", ["conversation_id", "seq"])
          // get / recall / outbox claim join.
          .addUniqueConstraint("messages_message_id_key", ["message_id"])
          // Idempotent send: dedupe on (sender, cid).
          .addUniqueConstraint("messages_sender_cid_key", ["sender_id", "cid"])
          .addForeignKeyConstraint(
            "messages_conversation_fkey",
            ["conversation_id"],
            "conversations",
            ["id"],
          )
          .execute();

        await s
          .createTable("cursors")
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("delivered_seq", "bigint", (c) => c.notNull().defaultTo(0))
          .addColumn("read_seq", "bigint", (c) => c.notNull().defaultTo(0))
          .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          // A user's cursors and conversation list.
          .addPrimaryKeyConstraint("cursors_pkey", ["user_id", "conversation_id"])
          .addForeignKeyConstraint(
            "cursors_conversation_fkey",
            ["conversation_id"],
            "conversations",
            ["id"],
          )
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
          .addColumn("muted_all", "boolean", (c) => c.notNull().defaultTo(false))
          .addColumn("created_at", "timestamptz", (c) => c.notNull())
          .execute();

        await s
          .createTable("group_members")
          .addColumn("group_id", "text", (c) =>
            c.notNull().references(`${schema}.groups.id`).onDelete("cascade"),
          )
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) =>
            c.notNull().check(sql`role in ('owner', 'admin', 'member')`),
          )
          .addColumn("muted_until", "timestamptz")
          .addColumn("joined_at", "timestamptz", (c) => c.notNull())
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
          .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
          .addColumn("message_id", "text", (c) => c.notNull())
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) =>
            c.notNull().defaultTo("pending").check(sql`status in ('pending', 'sent')`),
          )
          .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull())
          .addColumn("lease_until", "timestamptz")
          .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
        // Claim and stats look at pending entries only; the index stays small
        // because the fast path marks almost every entry sent at once.
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
        const s = db.schema.withSchema(schema);
        for (const table of [
          "outbox",
          "group_members",
          "groups",
          "cursors",
          "messages",
          "conversations",
        ]) {
          await s.dropTable(table).ifExists().execute();
        }
      },
    },
    "0002_cursor_joined_seq": {
      // The last seq when a group member joined: sync and history start after it. Cursors
      // made before this migration keep 0 (their join point was not recorded).
      async up(db: Kysely<unknown>) {
        await db.schema
          .withSchema(schema)
          .alterTable("cursors")
          .addColumn("joined_seq", "bigint", (c) => c.notNull().defaultTo(0))
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.withSchema(schema).alterTable("cursors").dropColumn("joined_seq").execute();
      },
    },
    "0003_people": {
      // Contacts, requests, blocks, privacy, profiles (issue 16) and the per-user conversation
      // settings, which live on the cursor row so that the conversation list stays one query.
      async up(db: Kysely<unknown>) {
        await createPeopleTables(db, schema);
      },
      async down(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        for (const table of [
          "profiles",
          "privacy_settings",
          "blocks",
          "contacts",
          "contact_requests",
        ]) {
          await s.dropTable(table).ifExists().execute();
        }
        for (const column of ["pinned_at", "muted_until", "archived", "marked_unread"]) {
          await s.alterTable("cursors").dropColumn(column).execute();
        }
      },
    },
    "0004_message_changes": {
      // Edits, replies, mentions, reactions, pins, delete-for-me, search and the per-conversation
      // change log (issue 17). Every new column is nullable or has a constant default, so no
      // table is rewritten; the search index is built once over the existing messages.
      async up(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        await s
          .alterTable("messages")
          .addColumn("reply_to", "jsonb")
          .addColumn("mentions", "jsonb")
          .execute();
        // Full-text search: the expression MUST match SEARCH_VECTOR in postgres-message-change-store.ts.
        await sql`CREATE INDEX messages_search_idx ON ${sql.id(schema, "messages")}
          USING gin (to_tsvector('simple'::regconfig,
            coalesce(body->>'text', body->>'name', body->>'label', '')))`.execute(db);
        await s
          .alterTable("outbox")
          .addColumn("kind", "text", (c) =>
            c.notNull().defaultTo("message").check(sql`kind in ('message', 'change')`),
          )
          .addColumn("change_seq", "bigint")
          .execute();

        // The change counter lives apart from `conversations`, whose row every append locks:
        // a change never waits for an append, nor an append for a change.
        await s
          .createTable("change_counters")
          .addColumn("conversation_id", "text", (c) => c.primaryKey())
          .addColumn("last_change_seq", "bigint", (c) => c.notNull().defaultTo(0))
          .execute();
        await s
          .createTable("message_changes")
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("change_seq", "bigint", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("message_id", "text", (c) => c.notNull())
          .addColumn("seq", "bigint", (c) => c.notNull())
          .addColumn("by_user", "text", (c) => c.notNull())
          .addColumn("visible_to", "text")
          .addColumn("body", "jsonb")
          .addColumn("reaction_key", "text")
          .addColumn("changed_at", "timestamptz", (c) => c.notNull())
          // changesAfter: (conversation_id, change_seq) ranges.
          .addPrimaryKeyConstraint("message_changes_pkey", ["conversation_id", "change_seq"])
          .execute();
        await s
          .createTable("message_edits")
          .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
          .addColumn("message_id", "text", (c) => c.notNull())
          .addColumn("body", "jsonb", (c) => c.notNull())
          .addColumn("replaced_at", "timestamptz", (c) => c.notNull())
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
          .addColumn("reacted_at", "timestamptz", (c) => c.notNull())
          .addPrimaryKeyConstraint("reactions_pkey", ["message_id", "reaction_key", "user_id"])
          .execute();
        await s
          .createTable("pins")
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("message_id", "text", (c) => c.notNull())
          .addColumn("seq", "bigint", (c) => c.notNull())
          .addColumn("pinned_by", "text", (c) => c.notNull())
          .addColumn("pinned_at", "timestamptz", (c) => c.notNull())
          .addPrimaryKeyConstraint("pins_pkey", ["conversation_id", "message_id"])
          .execute();
        await s
          .createTable("hidden_messages")
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("seq", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("hidden_messages_pkey", ["user_id", "conversation_id", "seq"])
          .execute();
        await s
          .createTable("conversation_clears")
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("conversation_id", "text", (c) => c.notNull())
          .addColumn("up_to_seq", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("conversation_clears_pkey", ["user_id", "conversation_id"])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        for (const table of [
          "conversation_clears",
          "hidden_messages",
          "pins",
          "reactions",
          "message_edits",
          "message_changes",
          "change_counters",
        ]) {
          await s.dropTable(table).ifExists().execute();
        }
        await s.alterTable("outbox").dropColumn("change_seq").dropColumn("kind").execute();
        await s.dropIndex("messages_search_idx").ifExists().execute();
        await s.alterTable("messages").dropColumn("mentions").dropColumn("reply_to").execute();
      },
    },
    "0005_group_joins": {
      // Join settings, join requests and invitations ("tickets"), invite links. Each goes
      // with its group (ON DELETE CASCADE).
      async up(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        const group = (c: ColumnDefinitionBuilder) =>
          c.notNull().references(`${schema}.groups.id`).onDelete("cascade");
        await s
          .createTable("group_join_settings")
          .addColumn("group_id", "text", (c) => group(c).primaryKey())
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
          .addColumn("group_id", "text", group)
          .addColumn("kind", "text", (c) =>
            c.notNull().check(sql`kind in ('request', 'invitation')`),
          )
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("by_id", "text", (c) => c.notNull())
          .addColumn("message", "text", (c) => c.notNull())
          .addColumn("state", "text", (c) =>
            c.notNull().check(sql`state in ('pending', 'accepted', 'declined', 'expired')`),
          )
          .addColumn("created_at", "timestamptz", (c) => c.notNull())
          .addColumn("expires_at", "timestamptz", (c) => c.notNull())
          .addColumn("decided_by", "text")
          .addColumn("decided_at", "timestamptz")
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
          .addColumn("group_id", "text", group)
          .addColumn("created_by", "text", (c) => c.notNull())
          .addColumn("created_at", "timestamptz", (c) => c.notNull())
          .addColumn("expires_at", "timestamptz", (c) => c.notNull())
          .addColumn("max_uses", "integer")
          .addColumn("uses", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("revoked_at", "timestamptz")
          .execute();
        await s
          .createIndex("group_invite_links_group_idx")
          .on("group_invite_links")
          .column("group_id")
          .execute();
        await s
          .createTable("group_invite_link_uses")
          .addColumn("code", "text", (c) =>
            c.notNull().references(`${schema}.group_invite_links.code`).onDelete("cascade"),
          )
          .addColumn("user_id", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("group_invite_link_uses_pkey", ["code", "user_id"])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        for (const table of [
          "group_invite_link_uses",
          "group_invite_links",
          "group_join_tickets",
          "group_join_settings",
        ]) {
          await s.dropTable(table).ifExists().execute();
        }
      },
    },
    "0006_forwarded": {
      // Forwarded copies (issue 17): the original message, as JSON. Nullable: no rewrite.
      async up(db: Kysely<unknown>) {
        await db.schema
          .withSchema(schema)
          .alterTable("messages")
          .addColumn("forwarded", "jsonb")
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.withSchema(schema).alterTable("messages").dropColumn("forwarded").execute();
      },
    },
    "0007_group_profile": {
      // A group's description, uploaded avatar and announcement (text, author, time).
      async up(db: Kysely<unknown>) {
        await db.schema
          .withSchema(schema)
          .alterTable("groups")
          .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
          .addColumn("avatar", "text")
          .addColumn("announcement", "text")
          .addColumn("announcement_by", "text")
          .addColumn("announcement_at", "timestamptz")
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema
          .withSchema(schema)
          .alterTable("groups")
          .dropColumn("description")
          .dropColumn("avatar")
          .dropColumn("announcement")
          .dropColumn("announcement_by")
          .dropColumn("announcement_at")
          .execute();
      },
    },
    "0008_moderation": {
      // Suspensions and bans, user reports, and the audit log of admin actions.
      async up(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        await s
          .createTable("suspensions")
          .addColumn("user_id", "text", (c) => c.primaryKey())
          .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('suspend', 'ban')`))
          .addColumn("reason", "text")
          .addColumn("by_id", "text", (c) => c.notNull())
          .addColumn("created_at", "timestamptz", (c) => c.notNull())
          .addColumn("expires_at", "timestamptz")
          .execute();
        await s
          .createTable("moderation_reports")
          .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("reporter_id", "text", (c) => c.notNull())
          .addColumn("target_kind", "text", (c) =>
            c.notNull().check(sql`target_kind in ('message', 'user')`),
          )
          .addColumn("target_user_id", "text", (c) => c.notNull())
          .addColumn("message_id", "text")
          .addColumn("conversation_id", "text")
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("created_at", "timestamptz", (c) => c.notNull())
          .addColumn("status", "text", (c) =>
            c.notNull().check(sql`status in ('open', 'resolved', 'dismissed')`),
          )
          .addColumn("resolved_by", "text")
          .addColumn("resolved_at", "timestamptz")
          .addColumn("resolution", "text")
          .execute();
        // Admins page the open reports first.
        await s
          .createIndex("moderation_reports_status_idx")
          .on("moderation_reports")
          .columns(["status", "id"])
          .execute();
        await s
          .createTable("moderation_audit")
          .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("actor_id", "text", (c) => c.notNull())
          .addColumn("action", "text", (c) => c.notNull())
          .addColumn("target_kind", "text", (c) => c.notNull())
          .addColumn("target_id", "text", (c) => c.notNull())
          .addColumn("details", "jsonb")
          .addColumn("at", "timestamptz", (c) => c.notNull())
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
        const s = db.schema.withSchema(schema);
        for (const table of ["moderation_audit", "moderation_reports", "suspensions"]) {
          await s.dropTable(table).ifExists().execute();
        }
      },
    },
    "0009_domain_events": {
      // The domain event outbox: group, group-join, contact and read events, written in the
      // transaction of their change once a consumer (webhooks) enabled their kind.
      async up(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        await s
          .createTable("domain_events")
          .addColumn("seq", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("id", "text", (c) => c.notNull().unique())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("type", "text", (c) => c.notNull())
          .addColumn("conversation_id", "text")
          .addColumn("data", "jsonb", (c) => c.notNull())
          .addColumn("occurred_at", "bigint", (c) => c.notNull())
          // Pending events with one key are one event (read cursors); NULLs never conflict.
          .addColumn("coalesce_key", "text", (c) => c.unique())
          .addColumn("ord", "bigint")
          .addColumn("revision", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("lease_until", "bigint")
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.withSchema(schema).dropTable("domain_events").execute();
      },
    },
  };
}

/** The tables and columns of migration `0003_people`. */
async function createPeopleTables(db: Kysely<unknown>, schema: string): Promise<void> {
  const s = db.schema.withSchema(schema);
  await s
    .alterTable("cursors")
    .addColumn("pinned_at", "timestamptz")
    .addColumn("muted_until", "timestamptz")
    .addColumn("archived", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("marked_unread", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();

  await s
    .createTable("contact_requests")
    .addColumn("from_id", "text", (c) => c.notNull())
    .addColumn("to_id", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
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
    .addColumn("since", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("contacts_pkey", ["user_id", "contact_id"])
    .execute();

  await s
    .createTable("blocks")
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("blocked_id", "text", (c) => c.notNull())
    .addColumn("since", "timestamptz", (c) => c.notNull())
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
    .addColumn("searchable", "boolean", (c) => c.notNull())
    .addColumn("hide_last_seen", "boolean", (c) => c.notNull())
    .addColumn("last_seen_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addColumn("name_key", "text", (c) => c.notNull())
    .addColumn("username_key", "text")
    .execute();
  // Prefix search: a range on the binary-collated key (code point order), searchable users only.
  await s
    .createIndex("profiles_name_key_idx")
    .on("profiles")
    .expression(sql`name_key COLLATE "C", user_id COLLATE "C"`)
    .where(sql.ref("searchable"), "=", true)
    .execute();
  await s
    .createIndex("profiles_username_key_idx")
    .on("profiles")
    .expression(sql`username_key COLLATE "C", user_id COLLATE "C"`)
    .where(sql.ref("searchable"), "=", true)
    .execute();
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly list: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.list;
  }
}

/**
 * The versioned migrations of the store's tables in `schema`, as the settings
 * of a kysely `Migrator` (spread them, add `db`): for a tool that runs
 * several packages' migrations, such as `lucky-im migrate`. The bookkeeping
 * is kysely's default `kysely_migration` table, in the same schema.
 *
 * @example
 * ```ts
 * const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
 * const { results } = await new Migrator({ db, ...postgresStoreMigrations("chat") }).migrateDown();
 * ```
 */
export function postgresStoreMigrations(schema: string): Omit<MigratorProps, "db"> {
  assertSchemaName(schema);
  return {
    provider: new StaticProvider(migrations(schema)),
    migrationTableSchema: schema,
    migrationTableName: "kysely_migration",
    migrationLockTableName: "kysely_migration_lock",
  };
}

/** Builds a kysely `Migrator` whose tables (data and bookkeeping) all live in `schema`. */
export function createMigrator(db: Kysely<unknown>, schema: string): Migrator {
  return new Migrator({ db, ...postgresStoreMigrations(schema) });
}

/** What {@link migrateToLatest} did. */
export interface MigrateResult {
  /** The migrations applied by this call (empty when the schema was up to date). */
  applied: string[];
}

/** Runs the pending migrations; throws with the failing migration named. */
export async function runMigrations(db: Kysely<unknown>, schema: string): Promise<MigrateResult> {
  const { error, results } = await createMigrator(db, schema).migrateToLatest();
  const failed = results?.find((r: MigrationResult) => r.status === "Error");
  if (error !== undefined || failed) {
    const what = failed ? `migration ${failed.migrationName} failed` : "migration failed";
    throw new Error(`[lucky-im] [store-postgres] ${what} in schema "${schema}"`, {
      cause: error,
    });
  }
  return {
    applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
  };
}
