import {
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
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
    "0003_group_joins": {
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
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly list: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.list;
  }
}

/** Builds a kysely `Migrator` whose tables (data and bookkeeping) all live in `schema`. */
export function createMigrator(db: Kysely<unknown>, schema: string): Migrator {
  assertSchemaName(schema);
  return new Migrator({
    db,
    provider: new StaticProvider(migrations(schema)),
    migrationTableSchema: schema,
  });
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
