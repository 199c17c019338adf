import {
  type Group,
  type GroupRole,
  type GroupStore,
  groupConversationId,
  type NewGroup,
} from "@lucky-im/core";
import { type Kysely, sql, type Transaction } from "kysely";
import type { StoreContext } from "./context.js";
import type { Database } from "./database.js";
import { storeError } from "./pg-errors.js";
import { type GroupRow, type MemberRow, toGroup, toMember } from "./rows.js";

const MEMBER_COLUMNS = ["user_id", "role", "muted_until", "joined_at"] as const;

/** @internal Creates the group conversation if needed; cursors for `userIds` start at its last seq. */
export async function addGroupCursors(
  ctx: StoreContext,
  trx: Transaction<Database>,
  groupId: string,
  userIds: readonly string[],
  at: number,
): Promise<void> {
  if (userIds.length === 0) return;
  const t = ctx.tables;
  const conversationId = groupConversationId(groupId);
  await sql`
      WITH c AS (
        INSERT INTO ${t.conversations} AS cv (id, kind, updated_at)
        VALUES (${conversationId}, 'group', ${new Date(at)})
        ON CONFLICT (id) DO UPDATE SET last_seq = cv.last_seq
        RETURNING last_seq
      )
      INSERT INTO ${t.cursors} (user_id, conversation_id, delivered_seq, read_seq, joined_seq)
      SELECT u, ${conversationId}, c.last_seq, c.last_seq, c.last_seq
      FROM unnest(${[...userIds]}::text[]) AS u, c
      ON CONFLICT DO NOTHING
    `.execute(trx);
}

/**
 * Rejects with `too_large` when adding the ones of `userIds` who are not members would take
 * the group past `maxMembers` (call with the group row locked FOR UPDATE).
 */
async function checkRoom(
  trx: Transaction<Database>,
  groupId: string,
  userIds: readonly string[],
  maxMembers: number,
): Promise<void> {
  const row = await trx
    .selectFrom("group_members")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .select((eb) =>
      eb.fn
        .sum<string | null>(eb.case().when("user_id", "in", userIds).then(1).else(0).end())
        .as("present"),
    )
    .where("group_id", "=", groupId)
    .executeTakeFirstOrThrow();
  const fresh = userIds.length - Number(row.present ?? 0);
  if (fresh > 0 && Number(row.count) + fresh > maxMembers) {
    throw storeError("too_large", `a group holds at most ${maxMembers} members`);
  }
}

/** @internal The PostgreSQL {@link GroupStore}. */
export function createPostgresGroupStore(ctx: StoreContext): GroupStore {
  const db = ctx.db;

  const notFound = (groupId: string, userId?: string) =>
    storeError(
      "not_found",
      userId === undefined
        ? `group "${groupId}" not found`
        : `user "${userId}" is not a member of group "${groupId}"`,
    );

  const addCursors = (
    trx: Transaction<Database>,
    groupId: string,
    userIds: readonly string[],
    at: number,
  ) => addGroupCursors(ctx, trx, groupId, userIds, at);

  async function readGroup(
    executor: Kysely<Database> | Transaction<Database>,
    groupId: string,
  ): Promise<Group | undefined> {
    const group = await executor
      .selectFrom("groups")
      .select([
        "id",
        "name",
        "owner_id",
        "muted_all",
        "created_at",
        "description",
        "avatar",
        "announcement",
        "announcement_by",
        "announcement_at",
      ])
      .where("id", "=", groupId)
      .executeTakeFirst();
    if (!group) return undefined;
    const members = await executor
      .selectFrom("group_members")
      .select(MEMBER_COLUMNS)
      .where("group_id", "=", groupId)
      .orderBy("joined_at")
      .orderBy("user_id")
      .execute();
    return toGroup(group as GroupRow, members as MemberRow[]);
  }

  return {
    create(group: NewGroup) {
      return ctx.run("group create", async () => {
        return db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto("groups")
            .values({
              id: group.groupId,
              name: group.name,
              owner_id: group.ownerId,
              created_at: new Date(group.createdAt),
            })
            .onConflict((oc) => oc.column("id").doNothing())
            .returning("id")
            .executeTakeFirst();
          if (!inserted) throw storeError("conflict", `group "${group.groupId}" already exists`);
          const others = [...new Set(group.memberIds)].filter((id) => id !== group.ownerId);
          const joinedAt = new Date(group.createdAt);
          await trx
            .insertInto("group_members")
            .values([
              {
                group_id: group.groupId,
                user_id: group.ownerId,
                role: "owner",
                joined_at: joinedAt,
              },
              ...others.map((userId) => ({
                group_id: group.groupId,
                user_id: userId,
                role: "member" as const,
                joined_at: joinedAt,
              })),
            ])
            .execute();
          await addCursors(trx, group.groupId, [group.ownerId, ...others], group.createdAt);
          return (await readGroup(trx, group.groupId))!;
        });
      });
    },

    get(groupId) {
      return ctx.run("group get", () => readGroup(db, groupId));
    },

    member(groupId, userId) {
      return ctx.run("group member", async () => {
        const row = await db
          .selectFrom("group_members")
          .select(MEMBER_COLUMNS)
          .where("group_id", "=", groupId)
          .where("user_id", "=", userId)
          .executeTakeFirst();
        return row ? toMember(row as MemberRow) : undefined;
      });
    },

    memberIds(groupId) {
      return ctx.run("group memberIds", async () => {
        const rows = await db
          .selectFrom("group_members")
          .select("user_id")
          .where("group_id", "=", groupId)
          .execute();
        return rows.map((row) => row.user_id);
      });
    },

    addMembers(groupId, userIds, joinedAt, options = {}) {
      return ctx.run("group addMembers", async () => {
        const ids = [...new Set(userIds)];
        const { maxMembers } = options;
        return db.transaction().execute(async (trx) => {
          // FOR SHARE: a concurrent dismiss waits for us (or we see it gone). With a cap,
          // FOR UPDATE: capped adds and joins of the group (admit) run one at a time, so
          // the count below is exact.
          const query = trx.selectFrom("groups").select("id").where("id", "=", groupId);
          const group = await (maxMembers === undefined
            ? query.forShare()
            : query.forUpdate()
          ).executeTakeFirst();
          if (!group) throw notFound(groupId);
          if (ids.length === 0) return [];
          if (maxMembers !== undefined) await checkRoom(trx, groupId, ids, maxMembers);
          const added = await trx
            .insertInto("group_members")
            .values(
              ids.map((userId) => ({
                group_id: groupId,
                user_id: userId,
                role: "member" as const,
                joined_at: new Date(joinedAt),
              })),
            )
            .onConflict((oc) => oc.columns(["group_id", "user_id"]).doNothing())
            .returning("user_id")
            .execute();
          const addedIds = new Set(added.map((row) => row.user_id));
          const result = ids.filter((id) => addedIds.has(id));
          await addCursors(trx, groupId, result, joinedAt);
          return result;
        });
      });
    },

    removeMembers(groupId, userIds) {
      return ctx.run("group removeMembers", async () => {
        const ids = [...new Set(userIds)];
        if (ids.length === 0) return [];
        return db.transaction().execute(async (trx) => {
          const removed = await trx
            .deleteFrom("group_members")
            .where("group_id", "=", groupId)
            .where("user_id", "in", ids)
            .returning("user_id")
            .execute();
          const removedIds = new Set(removed.map((row) => row.user_id));
          const result = ids.filter((id) => removedIds.has(id));
          if (result.length > 0) {
            await trx
              .deleteFrom("cursors")
              .where("conversation_id", "=", groupConversationId(groupId))
              .where("user_id", "in", result)
              .execute();
          }
          return result;
        });
      });
    },

    setRole(groupId, userId, role: GroupRole) {
      return ctx.run("group setRole", async () => {
        const { numUpdatedRows } = await db
          .updateTable("group_members")
          .set({ role })
          .where("group_id", "=", groupId)
          .where("user_id", "=", userId)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) throw notFound(groupId, userId);
      });
    },

    muteMember(groupId, userId, until) {
      return ctx.run("group muteMember", async () => {
        const { numUpdatedRows } = await db
          .updateTable("group_members")
          .set({ muted_until: until === null ? null : new Date(until) })
          .where("group_id", "=", groupId)
          .where("user_id", "=", userId)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) throw notFound(groupId, userId);
      });
    },

    update(groupId, patch) {
      return ctx.run("group update", async () => {
        const set: {
          name?: string;
          muted_all?: boolean;
          description?: string;
          avatar?: string | null;
          announcement?: string | null;
          announcement_by?: string | null;
          announcement_at?: Date | null;
        } = {};
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.mutedAll !== undefined) set.muted_all = patch.mutedAll;
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.avatar !== undefined) set.avatar = patch.avatar;
        if (patch.announcement !== undefined) {
          const a = patch.announcement;
          set.announcement = a?.text ?? null;
          set.announcement_by = a?.by ?? null;
          set.announcement_at = a ? new Date(a.at) : null;
        }
        const query =
          Object.keys(set).length === 0
            ? db.updateTable("groups").set({ id: sql<string>`id` })
            : db.updateTable("groups").set(set);
        const { numUpdatedRows } = await query.where("id", "=", groupId).executeTakeFirst();
        if (numUpdatedRows === 0n) throw notFound(groupId);
      });
    },

    transferOwner(groupId, newOwnerId) {
      return ctx.run("group transferOwner", async () => {
        await db.transaction().execute(async (trx) => {
          const group = await trx
            .selectFrom("groups")
            .select("owner_id")
            .where("id", "=", groupId)
            .forUpdate()
            .executeTakeFirst();
          if (!group) throw notFound(groupId);
          if (group.owner_id === newOwnerId) return;
          const { numUpdatedRows } = await trx
            .updateTable("group_members")
            .set({ role: "owner" })
            .where("group_id", "=", groupId)
            .where("user_id", "=", newOwnerId)
            .executeTakeFirst();
          if (numUpdatedRows === 0n) throw notFound(groupId, newOwnerId);
          await trx
            .updateTable("group_members")
            .set({ role: "admin" })
            .where("group_id", "=", groupId)
            .where("user_id", "=", group.owner_id)
            .execute();
          await trx
            .updateTable("groups")
            .set({ owner_id: newOwnerId })
            .where("id", "=", groupId)
            .execute();
        });
      });
    },

    dismiss(groupId) {
      return ctx.run("group dismiss", async () => {
        await db.transaction().execute(async (trx) => {
          // The group row first: it waits for a concurrent addMembers (FOR SHARE),
          // so the cursors that one adds are deleted below. Members go with
          // the group (ON DELETE CASCADE).
          await trx.deleteFrom("groups").where("id", "=", groupId).execute();
          await trx
            .deleteFrom("cursors")
            .where("conversation_id", "=", groupConversationId(groupId))
            .execute();
        });
      });
    },

    groupsOf(userId) {
      return ctx.run("group groupsOf", async () => {
        const rows = await db
          .selectFrom("group_members")
          .select("group_id")
          .where("user_id", "=", userId)
          .execute();
        return rows.map((row) => row.group_id);
      });
    },
  };
}
