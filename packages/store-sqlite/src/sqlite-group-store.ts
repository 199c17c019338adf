import {
  type Group,
  type GroupRole,
  type GroupStore,
  groupConversationId,
  type NewGroup,
} from "@lucky-im/core";
import type { StoreContext } from "./context.js";
import type { GroupTable } from "./database.js";
import { type MemberRow, toGroup, toMember } from "./rows.js";
import { storeError } from "./sqlite-errors.js";

const MEMBER_COLUMNS = ["user_id", "role", "muted_until", "joined_at"] as const;

/** @internal Creates (call inside a write transaction) the group conversation if needed; cursors for `userIds` start at its last seq. */
export function addGroupCursors(
  ctx: StoreContext,
  groupId: string,
  userIds: readonly string[],
  at: number,
): void {
  if (userIds.length === 0) return;
  const { db, exec } = ctx;
  const conversationId = groupConversationId(groupId);
  const now = Date.now();
  exec.run(
    db
      .insertInto("conversations")
      .values({
        id: conversationId,
        kind: "group",
        last_seq: 0,
        created_at: now,
        updated_at: at,
        touched_at: ctx.nextTouch(),
      })
      .onConflict((oc) => oc.column("id").doNothing()),
  );
  const { last_seq } = exec.first(
    db.selectFrom("conversations").select("last_seq").where("id", "=", conversationId),
  )!;
  for (const userId of userIds) {
    exec.run(
      db
        .insertInto("cursors")
        .values({
          user_id: userId,
          conversation_id: conversationId,
          delivered_seq: last_seq,
          read_seq: last_seq,
          joined_seq: last_seq,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing()),
    );
  }
}

/** @internal The SQLite {@link GroupStore}. */
export function createSqliteGroupStore(ctx: StoreContext): GroupStore {
  const { db, exec } = ctx;

  const notFound = (groupId: string, userId?: string) =>
    storeError(
      "not_found",
      userId === undefined
        ? `group "${groupId}" not found`
        : `user "${userId}" is not a member of group "${groupId}"`,
    );

  const addCursors = (groupId: string, userIds: readonly string[], at: number) =>
    addGroupCursors(ctx, groupId, userIds, at);

  /**
   * Throws `too_large` when adding the ones of `userIds` who are not members would take the
   * group past `maxMembers` (call inside the add's write transaction).
   */
  function checkRoom(groupId: string, userIds: readonly string[], maxMembers: number): void {
    const row = exec.first(
      db
        .selectFrom("group_members")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .select((eb) =>
          eb.fn
            .sum<number | null>(eb.case().when("user_id", "in", userIds).then(1).else(0).end())
            .as("present"),
        )
        .where("group_id", "=", groupId),
    )!;
    const fresh = userIds.length - Number(row.present ?? 0);
    if (fresh > 0 && Number(row.count) + fresh > maxMembers) {
      throw storeError("too_large", `a group holds at most ${maxMembers} members`);
    }
  }

  function readGroup(groupId: string): Group | undefined {
    const group = exec.first(db.selectFrom("groups").selectAll().where("id", "=", groupId));
    if (!group) return undefined;
    const members = exec.all(
      db
        .selectFrom("group_members")
        .select(MEMBER_COLUMNS)
        .where("group_id", "=", groupId)
        .orderBy("joined_at")
        .orderBy("user_id"),
    );
    return toGroup(group as GroupTable, members as MemberRow[]);
  }

  return {
    create(group: NewGroup) {
      return ctx.run("group create", () =>
        exec.transaction(() => {
          const inserted = exec.run(
            db
              .insertInto("groups")
              .values({
                id: group.groupId,
                name: group.name,
                owner_id: group.ownerId,
                muted_all: 0,
                created_at: group.createdAt,
                description: "",
              })
              .onConflict((oc) => oc.column("id").doNothing()),
          );
          if (inserted === 0)
            throw storeError("conflict", `group "${group.groupId}" already exists`);
          const others = [...new Set(group.memberIds)].filter((id) => id !== group.ownerId);
          for (const [userId, role] of [
            [group.ownerId, "owner"] as const,
            ...others.map((id) => [id, "member"] as const),
          ]) {
            exec.run(
              db.insertInto("group_members").values({
                group_id: group.groupId,
                user_id: userId,
                role,
                joined_at: group.createdAt,
              }),
            );
          }
          addCursors(group.groupId, [group.ownerId, ...others], group.createdAt);
          return readGroup(group.groupId)!;
        }),
      );
    },

    get(groupId) {
      return ctx.run("group get", () => readGroup(groupId));
    },

    member(groupId, userId) {
      return ctx.run("group member", () => {
        const row = exec.first(
          db
            .selectFrom("group_members")
            .select(MEMBER_COLUMNS)
            .where("group_id", "=", groupId)
            .where("user_id", "=", userId),
        );
        return row ? toMember(row as MemberRow) : undefined;
      });
    },

    memberIds(groupId) {
      return ctx.run("group memberIds", () =>
        exec
          .all(db.selectFrom("group_members").select("user_id").where("group_id", "=", groupId))
          .map((row) => row.user_id),
      );
    },

    addMembers(groupId, userIds, joinedAt, options = {}) {
      return ctx.run("group addMembers", () =>
        // BEGIN IMMEDIATE holds the write lock: the count below is exact.
        exec.transaction(() => {
          const group = exec.first(db.selectFrom("groups").select("id").where("id", "=", groupId));
          if (!group) throw notFound(groupId);
          const ids = [...new Set(userIds)];
          if (options.maxMembers !== undefined && ids.length > 0) {
            checkRoom(groupId, ids, options.maxMembers);
          }
          const added = ids.filter(
            (userId) =>
              exec.run(
                db
                  .insertInto("group_members")
                  .values({
                    group_id: groupId,
                    user_id: userId,
                    role: "member",
                    joined_at: joinedAt,
                  })
                  .onConflict((oc) => oc.columns(["group_id", "user_id"]).doNothing()),
              ) > 0,
          );
          addCursors(groupId, added, joinedAt);
          return added;
        }),
      );
    },

    removeMembers(groupId, userIds) {
      return ctx.run("group removeMembers", () =>
        exec.transaction(() =>
          [...new Set(userIds)].filter((userId) => {
            const removed = exec.run(
              db
                .deleteFrom("group_members")
                .where("group_id", "=", groupId)
                .where("user_id", "=", userId),
            );
            if (removed === 0) return false;
            exec.run(
              db
                .deleteFrom("cursors")
                .where("conversation_id", "=", groupConversationId(groupId))
                .where("user_id", "=", userId),
            );
            return true;
          }),
        ),
      );
    },

    setRole(groupId, userId, role: GroupRole) {
      return ctx.run("group setRole", () => {
        const changed = exec.run(
          db
            .updateTable("group_members")
            .set({ role })
            .where("group_id", "=", groupId)
            .where("user_id", "=", userId),
        );
        if (changed === 0) throw notFound(groupId, userId);
      });
    },

    muteMember(groupId, userId, until) {
      return ctx.run("group muteMember", () => {
        const changed = exec.run(
          db
            .updateTable("group_members")
            .set({ muted_until: until })
            .where("group_id", "=", groupId)
            .where("user_id", "=", userId),
        );
        if (changed === 0) throw notFound(groupId, userId);
      });
    },

    update(groupId, patch) {
      return ctx.run("group update", () => {
        const set: {
          name?: string;
          muted_all?: number;
          description?: string;
          avatar?: string | null;
          announcement?: string | null;
          announcement_by?: string | null;
          announcement_at?: number | null;
        } = {};
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.mutedAll !== undefined) set.muted_all = patch.mutedAll ? 1 : 0;
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.avatar !== undefined) set.avatar = patch.avatar;
        if (patch.announcement !== undefined) {
          const a = patch.announcement;
          set.announcement = a?.text ?? null;
          set.announcement_by = a?.by ?? null;
          set.announcement_at = a?.at ?? null;
        }
        const query =
          Object.keys(set).length === 0
            ? db.updateTable("groups").set((eb) => ({ id: eb.ref("id") }))
            : db.updateTable("groups").set(set);
        if (exec.run(query.where("id", "=", groupId)) === 0) throw notFound(groupId);
      });
    },

    transferOwner(groupId, newOwnerId) {
      return ctx.run("group transferOwner", () =>
        exec.transaction(() => {
          const group = exec.first(
            db.selectFrom("groups").select("owner_id").where("id", "=", groupId),
          );
          if (!group) throw notFound(groupId);
          if (group.owner_id === newOwnerId) return;
          const changed = exec.run(
            db
              .updateTable("group_members")
              .set({ role: "owner" })
              .where("group_id", "=", groupId)
              .where("user_id", "=", newOwnerId),
          );
          if (changed === 0) throw notFound(groupId, newOwnerId);
          exec.run(
            db
              .updateTable("group_members")
              .set({ role: "admin" })
              .where("group_id", "=", groupId)
              .where("user_id", "=", group.owner_id),
          );
          exec.run(
            db.updateTable("groups").set({ owner_id: newOwnerId }).where("id", "=", groupId),
          );
        }),
      );
    },

    dismiss(groupId) {
      return ctx.run("group dismiss", () =>
        exec.transaction(() => {
          // Members go with the group (ON DELETE CASCADE, foreign keys are on).
          exec.run(db.deleteFrom("groups").where("id", "=", groupId));
          exec.run(
            db.deleteFrom("cursors").where("conversation_id", "=", groupConversationId(groupId)),
          );
        }),
      );
    },

    groupsOf(userId) {
      return ctx.run("group groupsOf", () =>
        exec
          .all(db.selectFrom("group_members").select("group_id").where("user_id", "=", userId))
          .map((row) => row.group_id),
      );
    },
  };
}
