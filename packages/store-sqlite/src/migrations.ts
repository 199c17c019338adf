import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  sql,
} from "kysely";
import type { SqliteConnection } from "./sqlite-connection.js";

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
  "0003_group_joins": {
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
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * Builds the kysely `Migrator` of this package (bookkeeping in `kysely_migration*`
 * tables). Its own transactions are off: {@link runMigrations} runs it inside one
 * `BEGIN IMMEDIATE` transaction instead.
 */
export function createMigrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: new StaticProvider(), disableTransactions: true });
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
