import {
  DEFAULT_GROUP_JOIN_SETTINGS,
  type GroupInviteLink,
  type GroupJoinStore,
  type GroupJoinTicket,
  ImError,
} from "@lucky-im/core";
import type { Selectable, Transaction } from "kysely";
import { type StoreContext, toMs } from "./context.js";
import type { Database, GroupInviteLinkTable, GroupJoinTicketTable } from "./database.js";
import { storeError } from "./pg-errors.js";
import { addGroupCursors } from "./postgres-group-store.js";

function toTicket(row: Selectable<GroupJoinTicketTable>, now?: number): GroupJoinTicket {
  const ticket: GroupJoinTicket = {
    ticketId: row.id,
    groupId: row.group_id,
    kind: row.kind,
    userId: row.user_id,
    by: row.by_id,
    message: row.message,
    state: row.state,
    createdAt: toMs(row.created_at),
    expiresAt: toMs(row.expires_at),
  };
  if (row.decided_by !== null) ticket.decidedBy = row.decided_by;
  if (row.decided_at !== null) ticket.decidedAt = toMs(row.decided_at);
  if (now !== undefined && ticket.state === "pending" && ticket.expiresAt <= now)
    ticket.state = "expired";
  return ticket;
}

function toLink(row: Selectable<GroupInviteLinkTable>): GroupInviteLink {
  const link: GroupInviteLink = {
    code: row.code,
    groupId: row.group_id,
    createdBy: row.created_by,
    createdAt: toMs(row.created_at),
    expiresAt: toMs(row.expires_at),
    maxUses: row.max_uses,
    uses: row.uses,
  };
  if (row.revoked_at !== null) link.revokedAt = toMs(row.revoked_at);
  return link;
}

function refused(reason: string, message: string): ImError {
  return new ImError(
    reason === "unknown" ? "not_found" : "forbidden",
    `[lucky-im] [store-postgres] ${message}`,
    { details: { reason } },
  );
}

/** @internal The PostgreSQL {@link GroupJoinStore}. */
export function createPostgresGroupJoinStore(ctx: StoreContext): GroupJoinStore {
  const db = ctx.db;
  const noGroup = (groupId: string) => storeError("not_found", `group "${groupId}" not found`);

  /** Locks the group row: joins and ticket changes of one group run one at a time. */
  async function lockGroup(trx: Transaction<Database>, groupId: string, mode: "share" | "update") {
    const query = trx.selectFrom("groups").select("id").where("id", "=", groupId);
    const row = await (mode === "update" ? query.forUpdate() : query.forShare()).executeTakeFirst();
    if (!row) throw noGroup(groupId);
  }

  return {
    settings(groupId) {
      return ctx.run("group join settings", async () => {
        const row = await db
          .selectFrom("groups")
          .leftJoin("group_join_settings as s", "s.group_id", "groups.id")
          .select(["s.join_mode", "s.invite_policy"])
          .where("groups.id", "=", groupId)
          .executeTakeFirst();
        if (!row) return undefined;
        return {
          joinMode: row.join_mode ?? DEFAULT_GROUP_JOIN_SETTINGS.joinMode,
          invitePolicy: row.invite_policy ?? DEFAULT_GROUP_JOIN_SETTINGS.invitePolicy,
        };
      });
    },

    updateSettings(groupId, patch) {
      return ctx.run("group join updateSettings", () =>
        db.transaction().execute(async (trx) => {
          await lockGroup(trx, groupId, "update");
          const current = await trx
            .selectFrom("group_join_settings")
            .select(["join_mode", "invite_policy"])
            .where("group_id", "=", groupId)
            .executeTakeFirst();
          const next = {
            joinMode: patch.joinMode ?? current?.join_mode ?? DEFAULT_GROUP_JOIN_SETTINGS.joinMode,
            invitePolicy:
              patch.invitePolicy ??
              current?.invite_policy ??
              DEFAULT_GROUP_JOIN_SETTINGS.invitePolicy,
          };
          const values = { join_mode: next.joinMode, invite_policy: next.invitePolicy };
          await trx
            .insertInto("group_join_settings")
            .values({ group_id: groupId, ...values })
            .onConflict((oc) => oc.column("group_id").doUpdateSet(values))
            .execute();
          return next;
        }),
      );
    },

    openTicket(input) {
      return ctx.run("group join openTicket", () =>
        db.transaction().execute(async (trx) => {
          await lockGroup(trx, input.groupId, "share");
          // A pending ticket past its expiry no longer holds the (group, user, kind) slot.
          await trx
            .updateTable("group_join_tickets")
            .set({ state: "expired" })
            .where("group_id", "=", input.groupId)
            .where("kind", "=", input.kind)
            .where("user_id", "=", input.userId)
            .where("state", "=", "pending")
            .where("expires_at", "<=", new Date(input.createdAt))
            .execute();
          const row = await trx
            .insertInto("group_join_tickets")
            .values({
              id: input.ticketId,
              group_id: input.groupId,
              kind: input.kind,
              user_id: input.userId,
              by_id: input.by,
              message: input.message,
              state: "pending",
              created_at: new Date(input.createdAt),
              expires_at: new Date(input.expiresAt),
            })
            .onConflict((oc) =>
              oc
                .columns(["group_id", "kind", "user_id"])
                .where("state", "=", "pending")
                .doNothing(),
            )
            .returningAll()
            .executeTakeFirst();
          if (!row) {
            throw storeError(
              "conflict",
              `${input.userId} has a pending ${input.kind} for group "${input.groupId}"`,
            );
          }
          return toTicket(row);
        }),
      );
    },

    ticket(ticketId, now) {
      return ctx.run("group join ticket", async () => {
        const row = await db
          .selectFrom("group_join_tickets")
          .selectAll()
          .where("id", "=", ticketId)
          .executeTakeFirst();
        return row ? toTicket(row, now) : undefined;
      });
    },

    pendingTickets({ kind, groupId, userId, now }) {
      return ctx.run("group join pendingTickets", async () => {
        let query = db
          .selectFrom("group_join_tickets")
          .selectAll()
          .where("kind", "=", kind)
          .where("state", "=", "pending")
          .where("expires_at", ">", new Date(now));
        if (groupId !== undefined) query = query.where("group_id", "=", groupId);
        if (userId !== undefined) query = query.where("user_id", "=", userId);
        const rows = await query.orderBy("created_at").orderBy("id").limit(1000).execute();
        return rows.map((row) => toTicket(row));
      });
    },

    declineTicket(ticketId, by, now) {
      return ctx.run("group join declineTicket", async () => {
        const row = await db
          .updateTable("group_join_tickets")
          .set({ state: "declined", decided_by: by, decided_at: new Date(now) })
          .where("id", "=", ticketId)
          .where("state", "=", "pending")
          .where("expires_at", ">", new Date(now))
          .returningAll()
          .executeTakeFirst();
        if (row) return toTicket(row);
        const exists = await db
          .selectFrom("group_join_tickets")
          .select("id")
          .where("id", "=", ticketId)
          .executeTakeFirst();
        if (!exists) throw storeError("not_found", `ticket "${ticketId}" not found`);
        throw storeError("conflict", `ticket "${ticketId}" is no longer pending`);
      });
    },

    createLink(input) {
      return ctx.run("group join createLink", async () => {
        const row = await db
          .insertInto("group_invite_links")
          .values({
            code: input.code,
            group_id: input.groupId,
            created_by: input.createdBy,
            created_at: new Date(input.createdAt),
            expires_at: new Date(input.expiresAt),
            max_uses: input.maxUses,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toLink(row);
      });
    },

    link(code) {
      return ctx.run("group join link", async () => {
        const row = await db
          .selectFrom("group_invite_links")
          .selectAll()
          .where("code", "=", code)
          .executeTakeFirst();
        return row ? toLink(row) : undefined;
      });
    },

    activeLinks(groupId, now) {
      return ctx.run("group join activeLinks", async () => {
        const rows = await db
          .selectFrom("group_invite_links")
          .selectAll()
          .where("group_id", "=", groupId)
          .where("revoked_at", "is", null)
          .where("expires_at", ">", new Date(now))
          .where((eb) => eb.or([eb("max_uses", "is", null), eb("uses", "<", eb.ref("max_uses"))]))
          .orderBy("created_at", "desc")
          .orderBy("code", "desc")
          .limit(1000)
          .execute();
        return rows.map(toLink);
      });
    },

    revokeLink(code, at) {
      return ctx.run("group join revokeLink", async () => {
        const row = await db
          .selectFrom("group_invite_links")
          .select("code")
          .where("code", "=", code)
          .executeTakeFirst();
        if (!row) throw storeError("not_found", "invite link not found");
        await db
          .updateTable("group_invite_links")
          .set({ revoked_at: new Date(at) })
          .where("code", "=", code)
          .where("revoked_at", "is", null)
          .execute();
      });
    },

    admit({ groupId, userId, path, at, maxMembers }) {
      return ctx.run("group join admit", () =>
        db.transaction().execute(async (trx) => {
          // FOR UPDATE on the group row: concurrent joins of one group run one at a
          // time, so the member count below is exact and a user is added once.
          await lockGroup(trx, groupId, "update");
          if (path.kind === "ticket") {
            const row = await trx
              .selectFrom("group_join_tickets")
              .selectAll()
              .where("id", "=", path.ticketId)
              .executeTakeFirst();
            if (!row || row.group_id !== groupId || row.user_id !== userId)
              throw refused("unknown", `no ticket "${path.ticketId}" for this user and group`);
            if (row.state !== "pending") throw refused("decided", "the ticket was decided already");
            if (toMs(row.expires_at) <= at) throw refused("expired", "the ticket expired");
          } else if (path.kind === "link") {
            const row = await trx
              .selectFrom("group_invite_links")
              .selectAll()
              .where("code", "=", path.code)
              .executeTakeFirst();
            if (!row || row.group_id !== groupId) throw refused("unknown", "no such invite link");
            if (row.revoked_at !== null) throw refused("revoked", "the invite link was revoked");
            if (toMs(row.expires_at) <= at) throw refused("expired", "the invite link expired");
            const used = await trx
              .selectFrom("group_invite_link_uses")
              .select("user_id")
              .where("code", "=", path.code)
              .where("user_id", "=", userId)
              .executeTakeFirst();
            if (used) throw refused("already_used", "you used this invite link before");
            if (row.max_uses !== null && row.uses >= row.max_uses)
              throw refused("used_up", "the invite link is used up");
          }
          const members = await trx
            .selectFrom("group_members")
            .select([(eb) => eb.fn.countAll<string>().as("count")])
            .select((eb) =>
              eb.fn
                .sum<string | null>(eb.case().when("user_id", "=", userId).then(1).else(0).end())
                .as("self"),
            )
            .where("group_id", "=", groupId)
            .executeTakeFirstOrThrow();
          const isMember = Number(members.self ?? 0) > 0;
          if (!isMember && Number(members.count) >= maxMembers) {
            throw storeError("too_large", `a group holds at most ${maxMembers} members`);
          }
          if (path.kind === "ticket") {
            await trx
              .updateTable("group_join_tickets")
              .set({ state: "accepted", decided_by: path.decidedBy, decided_at: new Date(at) })
              .where("id", "=", path.ticketId)
              .execute();
          }
          if (isMember) return { joined: false };
          if (path.kind === "link") {
            await trx
              .updateTable("group_invite_links")
              .set((eb) => ({ uses: eb("uses", "+", 1) }))
              .where("code", "=", path.code)
              .execute();
            await trx
              .insertInto("group_invite_link_uses")
              .values({ code: path.code, user_id: userId })
              .execute();
          }
          await trx
            .insertInto("group_members")
            .values({ group_id: groupId, user_id: userId, role: "member", joined_at: new Date(at) })
            .execute();
          await addGroupCursors(ctx, trx, groupId, [userId], at);
          return { joined: true };
        }),
      );
    },

    purgeExpired(expiredBefore) {
      return ctx.run("group join purgeExpired", async () => {
        const before = new Date(expiredBefore);
        const tickets = await db
          .deleteFrom("group_join_tickets")
          .where("expires_at", "<=", before)
          .executeTakeFirst();
        // A link's uses go with it (ON DELETE CASCADE).
        const links = await db
          .deleteFrom("group_invite_links")
          .where("expires_at", "<=", before)
          .executeTakeFirst();
        return Number(tickets.numDeletedRows) + Number(links.numDeletedRows);
      });
    },
  };
}
