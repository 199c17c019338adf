import {
  DEFAULT_GROUP_JOIN_SETTINGS,
  type GroupInviteLink,
  type GroupJoinStore,
  type GroupJoinTicket,
  ImError,
} from "@lucky-im/core";
import type { StoreContext } from "./context.js";
import type { GroupInviteLinkTable, GroupJoinTicketTable } from "./database.js";
import { storeError } from "./sqlite-errors.js";
import { addGroupCursors } from "./sqlite-group-store.js";

function toTicket(row: GroupJoinTicketTable, now?: number): GroupJoinTicket {
  const ticket: GroupJoinTicket = {
    ticketId: row.id,
    groupId: row.group_id,
    kind: row.kind,
    userId: row.user_id,
    by: row.by_id,
    message: row.message,
    state: row.state,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
  if (row.decided_by !== null) ticket.decidedBy = row.decided_by;
  if (row.decided_at !== null) ticket.decidedAt = row.decided_at;
  if (now !== undefined && ticket.state === "pending" && ticket.expiresAt <= now)
    ticket.state = "expired";
  return ticket;
}

function toLink(row: GroupInviteLinkTable): GroupInviteLink {
  const link: GroupInviteLink = {
    code: row.code,
    groupId: row.group_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
  };
  if (row.revoked_at !== null) link.revokedAt = row.revoked_at;
  return link;
}

function refused(reason: string, message: string): ImError {
  return new ImError(
    reason === "unknown" ? "not_found" : "forbidden",
    `[lucky-im] [store-sqlite] ${message}`,
    { details: { reason } },
  );
}

/**
 * @internal The SQLite {@link GroupJoinStore}. Every write runs in one
 * `BEGIN IMMEDIATE` transaction: it holds the database's write lock, so joins
 * from several connections run one at a time.
 */
export function createSqliteGroupJoinStore(ctx: StoreContext): GroupJoinStore {
  const { db, exec } = ctx;
  const noGroup = (groupId: string) => storeError("not_found", `group "${groupId}" not found`);
  const requireGroup = (groupId: string) => {
    if (!exec.first(db.selectFrom("groups").select("id").where("id", "=", groupId)))
      throw noGroup(groupId);
  };

  return {
    settings(groupId) {
      return ctx.run("group join settings", () => {
        const row = exec.first(
          db
            .selectFrom("groups")
            .leftJoin("group_join_settings as s", "s.group_id", "groups.id")
            .select(["s.join_mode", "s.invite_policy"])
            .where("groups.id", "=", groupId),
        );
        if (!row) return undefined;
        return {
          joinMode: row.join_mode ?? DEFAULT_GROUP_JOIN_SETTINGS.joinMode,
          invitePolicy: row.invite_policy ?? DEFAULT_GROUP_JOIN_SETTINGS.invitePolicy,
        };
      });
    },

    updateSettings(groupId, patch) {
      return ctx.run("group join updateSettings", () =>
        exec.transaction(() => {
          requireGroup(groupId);
          const current = exec.first(
            db
              .selectFrom("group_join_settings")
              .select(["join_mode", "invite_policy"])
              .where("group_id", "=", groupId),
          );
          const next = {
            joinMode: patch.joinMode ?? current?.join_mode ?? DEFAULT_GROUP_JOIN_SETTINGS.joinMode,
            invitePolicy:
              patch.invitePolicy ??
              current?.invite_policy ??
              DEFAULT_GROUP_JOIN_SETTINGS.invitePolicy,
          };
          const values = { join_mode: next.joinMode, invite_policy: next.invitePolicy };
          exec.run(
            db
              .insertInto("group_join_settings")
              .values({ group_id: groupId, ...values })
              .onConflict((oc) => oc.column("group_id").doUpdateSet(values)),
          );
          return next;
        }),
      );
    },

    openTicket(input) {
      return ctx.run("group join openTicket", () =>
        exec.transaction(() => {
          requireGroup(input.groupId);
          // A pending ticket past its expiry no longer holds the (group, user, kind) slot.
          exec.run(
            db
              .updateTable("group_join_tickets")
              .set({ state: "expired" })
              .where("group_id", "=", input.groupId)
              .where("kind", "=", input.kind)
              .where("user_id", "=", input.userId)
              .where("state", "=", "pending")
              .where("expires_at", "<=", input.createdAt),
          );
          const pending = exec.first(
            db
              .selectFrom("group_join_tickets")
              .select("id")
              .where("group_id", "=", input.groupId)
              .where("kind", "=", input.kind)
              .where("user_id", "=", input.userId)
              .where("state", "=", "pending"),
          );
          if (pending) {
            throw storeError(
              "conflict",
              `${input.userId} has a pending ${input.kind} for group "${input.groupId}"`,
            );
          }
          const row: GroupJoinTicketTable = {
            id: input.ticketId,
            group_id: input.groupId,
            kind: input.kind,
            user_id: input.userId,
            by_id: input.by,
            message: input.message,
            state: "pending",
            created_at: input.createdAt,
            expires_at: input.expiresAt,
            decided_by: null,
            decided_at: null,
          };
          exec.run(db.insertInto("group_join_tickets").values(row));
          return toTicket(row);
        }),
      );
    },

    ticket(ticketId, now) {
      return ctx.run("group join ticket", () => {
        const row = exec.first(
          db.selectFrom("group_join_tickets").selectAll().where("id", "=", ticketId),
        );
        return row ? toTicket(row, now) : undefined;
      });
    },

    pendingTickets({ kind, groupId, userId, now }) {
      return ctx.run("group join pendingTickets", () => {
        let query = db
          .selectFrom("group_join_tickets")
          .selectAll()
          .where("kind", "=", kind)
          .where("state", "=", "pending")
          .where("expires_at", ">", now);
        if (groupId !== undefined) query = query.where("group_id", "=", groupId);
        if (userId !== undefined) query = query.where("user_id", "=", userId);
        return exec
          .all(query.orderBy("created_at").orderBy("id").limit(1000))
          .map((row) => toTicket(row));
      });
    },

    declineTicket(ticketId, by, now) {
      return ctx.run("group join declineTicket", () =>
        exec.transaction(() => {
          const row = exec.first(
            db.selectFrom("group_join_tickets").selectAll().where("id", "=", ticketId),
          );
          if (!row) throw storeError("not_found", `ticket "${ticketId}" not found`);
          if (row.state !== "pending" || row.expires_at <= now)
            throw storeError("conflict", `ticket "${ticketId}" is no longer pending`);
          exec.run(
            db
              .updateTable("group_join_tickets")
              .set({ state: "declined", decided_by: by, decided_at: now })
              .where("id", "=", ticketId),
          );
          return toTicket({ ...row, state: "declined", decided_by: by, decided_at: now });
        }),
      );
    },

    createLink(input) {
      return ctx.run("group join createLink", () =>
        exec.transaction(() => {
          requireGroup(input.groupId);
          const row: GroupInviteLinkTable = {
            code: input.code,
            group_id: input.groupId,
            created_by: input.createdBy,
            created_at: input.createdAt,
            expires_at: input.expiresAt,
            max_uses: input.maxUses,
            uses: 0,
            revoked_at: null,
          };
          exec.run(db.insertInto("group_invite_links").values(row));
          return toLink(row);
        }),
      );
    },

    link(code) {
      return ctx.run("group join link", () => {
        const row = exec.first(
          db.selectFrom("group_invite_links").selectAll().where("code", "=", code),
        );
        return row ? toLink(row) : undefined;
      });
    },

    activeLinks(groupId, now) {
      return ctx.run("group join activeLinks", () =>
        exec
          .all(
            db
              .selectFrom("group_invite_links")
              .selectAll()
              .where("group_id", "=", groupId)
              .where("revoked_at", "is", null)
              .where("expires_at", ">", now)
              .where((eb) =>
                eb.or([eb("max_uses", "is", null), eb("uses", "<", eb.ref("max_uses"))]),
              )
              .orderBy("created_at", "desc")
              .orderBy("code", "desc")
              .limit(1000),
          )
          .map(toLink),
      );
    },

    revokeLink(code, at) {
      return ctx.run("group join revokeLink", () =>
        exec.transaction(() => {
          const row = exec.first(
            db.selectFrom("group_invite_links").select("code").where("code", "=", code),
          );
          if (!row) throw storeError("not_found", "invite link not found");
          exec.run(
            db
              .updateTable("group_invite_links")
              .set({ revoked_at: at })
              .where("code", "=", code)
              .where("revoked_at", "is", null),
          );
        }),
      );
    },

    admit({ groupId, userId, path, at, maxMembers }) {
      return ctx.run("group join admit", () =>
        exec.transaction(() => {
          requireGroup(groupId);
          if (path.kind === "ticket") {
            const row = exec.first(
              db.selectFrom("group_join_tickets").selectAll().where("id", "=", path.ticketId),
            );
            if (!row || row.group_id !== groupId || row.user_id !== userId)
              throw refused("unknown", `no ticket "${path.ticketId}" for this user and group`);
            if (row.state !== "pending") throw refused("decided", "the ticket was decided already");
            if (row.expires_at <= at) throw refused("expired", "the ticket expired");
          } else if (path.kind === "link") {
            const row = exec.first(
              db.selectFrom("group_invite_links").selectAll().where("code", "=", path.code),
            );
            if (!row || row.group_id !== groupId) throw refused("unknown", "no such invite link");
            if (row.revoked_at !== null) throw refused("revoked", "the invite link was revoked");
            if (row.expires_at <= at) throw refused("expired", "the invite link expired");
            const used = exec.first(
              db
                .selectFrom("group_invite_link_uses")
                .select("user_id")
                .where("code", "=", path.code)
                .where("user_id", "=", userId),
            );
            if (used) throw refused("already_used", "you used this invite link before");
            if (row.max_uses !== null && row.uses >= row.max_uses)
              throw refused("used_up", "the invite link is used up");
          }
          const isMember =
            exec.first(
              db
                .selectFrom("group_members")
                .select("user_id")
                .where("group_id", "=", groupId)
                .where("user_id", "=", userId),
            ) !== undefined;
          const { count } = exec.first(
            db
              .selectFrom("group_members")
              .select((eb) => eb.fn.countAll<number>().as("count"))
              .where("group_id", "=", groupId),
          )!;
          if (!isMember && Number(count) >= maxMembers) {
            throw storeError("too_large", `a group holds at most ${maxMembers} members`);
          }
          if (path.kind === "ticket") {
            exec.run(
              db
                .updateTable("group_join_tickets")
                .set({ state: "accepted", decided_by: path.decidedBy, decided_at: at })
                .where("id", "=", path.ticketId),
            );
          }
          if (isMember) return { joined: false };
          if (path.kind === "link") {
            exec.run(
              db
                .updateTable("group_invite_links")
                .set((eb) => ({ uses: eb("uses", "+", 1) }))
                .where("code", "=", path.code),
            );
            exec.run(
              db.insertInto("group_invite_link_uses").values({ code: path.code, user_id: userId }),
            );
          }
          exec.run(
            db
              .insertInto("group_members")
              .values({ group_id: groupId, user_id: userId, role: "member", joined_at: at }),
          );
          addGroupCursors(ctx, groupId, [userId], at);
          return { joined: true };
        }),
      );
    },

    purgeExpired(expiredBefore) {
      return ctx.run("group join purgeExpired", () =>
        exec.transaction(() => {
          const tickets = exec.run(
            db.deleteFrom("group_join_tickets").where("expires_at", "<=", expiredBefore),
          );
          // A link's uses go with it (ON DELETE CASCADE).
          const links = exec.run(
            db.deleteFrom("group_invite_links").where("expires_at", "<=", expiredBefore),
          );
          return tickets + links;
        }, "bookkeeping"),
      );
    },
  };
}
