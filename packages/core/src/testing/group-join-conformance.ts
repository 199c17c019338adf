import { beforeAll, describe, expect, it } from "vitest";
import type {
  Admission,
  GroupJoinStore,
  NewInviteLink,
  NewJoinTicket,
} from "../contracts/group-join-store.js";
import type { Storage } from "../contracts/storage.js";
import { groupConversationId } from "../domain/conversation.js";
import { DEFAULT_GROUP_JOIN_SETTINGS } from "../domain/group-join.js";
import { isImError } from "../errors.js";
import { expectCapHeld, expectImError, sorted, uid } from "./fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

const DAY = 86_400_000;

/** Awaits a rejection with `forbidden` (or `not_found`) and the given `details.reason`. */
async function expectRefusal(
  promise: Promise<unknown>,
  code: "forbidden" | "not_found",
  reason: string,
  what: string,
): Promise<void> {
  await expectImError(
    promise.catch((error) => {
      if (isImError(error)) {
        expect(error.details?.reason, `${what}: details.reason`).toBe(reason);
      }
      throw error;
    }),
    code,
    what,
  );
}

/** The `GroupJoinStore` tests (`storage.groupJoins`); {@link groupJoinConformance} runs them alone. */
export const groupJoinSuite: StorageSuite = {
  name: "group joins",
  tests(context) {
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      storage = context.storage;
      other = await context.open();
    });

    const now = Date.now();

    async function newGroup(memberCount = 1) {
      const groupId = uid("gj");
      const ownerId = uid("owner");
      const memberIds = Array.from({ length: memberCount }, (_, i) => uid(`m${i}`));
      await storage.groups.create({ groupId, name: "joins", ownerId, memberIds, createdAt: now });
      return { groupId, ownerId, memberIds };
    }

    const ticket = (groupId: string, userId: string, extra: Partial<NewJoinTicket> = {}) => ({
      ticketId: uid("t"),
      groupId,
      kind: "request" as const,
      userId,
      by: userId,
      message: "let me in 🙂 'quoted' \"double\"",
      createdAt: now,
      expiresAt: now + DAY,
      ...extra,
    });

    const link = (groupId: string, by: string, extra: Partial<NewInviteLink> = {}) => ({
      code: uid("code"),
      groupId,
      createdBy: by,
      createdAt: now,
      expiresAt: now + DAY,
      maxUses: null,
      ...extra,
    });

    const admit = (a: Omit<Admission, "at" | "maxMembers"> & Partial<Admission>, on = storage) =>
      on.groupJoins.admit({ at: now + 1000, maxMembers: 100, ...a });

    describe("settings", () => {
      it("are the defaults until changed, change field by field, and are undefined without the group", async () => {
        const { groupId } = await newGroup();
        expect(await storage.groupJoins.settings(groupId)).toEqual(DEFAULT_GROUP_JOIN_SETTINGS);
        expect(await storage.groupJoins.updateSettings(groupId, { joinMode: "approval" })).toEqual({
          joinMode: "approval",
          invitePolicy: DEFAULT_GROUP_JOIN_SETTINGS.invitePolicy,
        });
        await storage.groupJoins.updateSettings(groupId, { invitePolicy: "admins" });
        expect(await other.groupJoins.settings(groupId), "another instance sees them").toEqual({
          joinMode: "approval",
          invitePolicy: "admins",
        });
        expect(await storage.groupJoins.settings(uid("nope"))).toBeUndefined();
        await expectImError(
          storage.groupJoins.updateSettings(uid("nope"), { joinMode: "open" }),
          "not_found",
          "updateSettings of an unknown group",
        );
      });
    });

    describe("tickets", () => {
      it("openTicket stores a request; ticket() and pendingTickets() return it", async () => {
        const { groupId } = await newGroup();
        const requester = uid("req");
        const input = ticket(groupId, requester);
        const stored = await storage.groupJoins.openTicket(input);
        expect(stored).toEqual({ ...input, state: "pending" });
        expect(await other.groupJoins.ticket(input.ticketId, now)).toEqual(stored);
        expect(await storage.groupJoins.pendingTickets({ kind: "request", groupId, now })).toEqual([
          stored,
        ]);
        expect(
          await storage.groupJoins.pendingTickets({ kind: "request", userId: requester, now }),
        ).toEqual([stored]);
        expect(
          await storage.groupJoins.pendingTickets({ kind: "invitation", userId: requester, now }),
          "an invitation query does not list requests",
        ).toEqual([]);
        expect(await storage.groupJoins.ticket(uid("nope"), now)).toBeUndefined();
        await expectImError(
          storage.groupJoins.openTicket(ticket(uid("nope"), requester)),
          "not_found",
          "a ticket for an unknown group",
        );
      });

      it("one pending ticket per user, group and kind; an expired one no longer counts", async () => {
        const { groupId, ownerId } = await newGroup();
        const user = uid("u");
        const first = await storage.groupJoins.openTicket(
          ticket(groupId, user, { expiresAt: now + 10 }),
        );
        await expectImError(
          other.groupJoins.openTicket(ticket(groupId, user, { createdAt: now + 5 })),
          "conflict",
          "a second pending request",
        );
        const invitation = await storage.groupJoins.openTicket(
          ticket(groupId, user, { kind: "invitation", by: ownerId }),
        );
        expect(invitation.kind, "an invitation besides the request is fine").toBe("invitation");
        expect((await storage.groupJoins.ticket(first.ticketId, now + 10))?.state).toBe("expired");
        expect(
          await storage.groupJoins.pendingTickets({ kind: "request", groupId, now: now + 10 }),
          "an expired ticket is not pending",
        ).toEqual([]);
        const second = await storage.groupJoins.openTicket(
          ticket(groupId, user, { createdAt: now + 20, expiresAt: now + DAY }),
        );
        expect(second.state).toBe("pending");
      });

      it("declineTicket declines once; a declined or expired ticket is a conflict", async () => {
        const { groupId, ownerId } = await newGroup();
        const opened = await storage.groupJoins.openTicket(ticket(groupId, uid("u")));
        const declined = await storage.groupJoins.declineTicket(opened.ticketId, ownerId, now + 1);
        expect(declined).toMatchObject({
          state: "declined",
          decidedBy: ownerId,
          decidedAt: now + 1,
        });
        await expectImError(
          other.groupJoins.declineTicket(opened.ticketId, ownerId, now + 2),
          "conflict",
          "declining twice",
        );
        const expiring = await storage.groupJoins.openTicket(
          ticket(groupId, uid("u"), { expiresAt: now + 5 }),
        );
        await expectImError(
          storage.groupJoins.declineTicket(expiring.ticketId, ownerId, now + 5),
          "conflict",
          "declining an expired ticket",
        );
        await expectImError(
          storage.groupJoins.declineTicket(uid("nope"), ownerId, now),
          "not_found",
          "declining an unknown ticket",
        );
      });
    });

    describe("admit", () => {
      it("through a ticket adds the member with a cursor and accepts the ticket, once", async () => {
        const { groupId, ownerId } = await newGroup();
        const user = uid("u");
        const opened = await storage.groupJoins.openTicket(ticket(groupId, user));
        const path = { kind: "ticket" as const, ticketId: opened.ticketId, decidedBy: ownerId };
        expect(await admit({ groupId, userId: user, path })).toEqual({ joined: true });
        expect(await storage.groups.member(groupId, user)).toMatchObject({ role: "member" });
        const cursors = await storage.cursors.cursors(user, [groupConversationId(groupId)]);
        expect(cursors, "the new member has a cursor").toHaveLength(1);
        expect(await storage.groupJoins.ticket(opened.ticketId, now + 2000)).toMatchObject({
          state: "accepted",
          decidedBy: ownerId,
          decidedAt: now + 1000,
        });
        await expectRefusal(
          admit({ groupId, userId: user, path }, other),
          "forbidden",
          "decided",
          "a decided ticket",
        );
      });

      it("refuses an expired, unknown or mismatched ticket", async () => {
        const { groupId, ownerId } = await newGroup();
        const user = uid("u");
        const opened = await storage.groupJoins.openTicket(
          ticket(groupId, user, { expiresAt: now + 1000 }),
        );
        const path = { kind: "ticket" as const, ticketId: opened.ticketId, decidedBy: ownerId };
        await expectRefusal(
          admit({ groupId, userId: user, path }),
          "forbidden",
          "expired",
          "expired",
        );
        await expectRefusal(
          admit({ groupId, userId: uid("other"), path, at: now }),
          "not_found",
          "unknown",
          "another user's ticket",
        );
        await expectRefusal(
          admit({ groupId, userId: user, path: { ...path, ticketId: uid("nope") } }),
          "not_found",
          "unknown",
          "an unknown ticket",
        );
        expect(await storage.groups.member(groupId, user)).toBeUndefined();
      });

      it("open: joins once; a member already is not added again", async () => {
        const { groupId, ownerId } = await newGroup();
        const user = uid("u");
        expect(await admit({ groupId, userId: user, path: { kind: "open" } })).toEqual({
          joined: true,
        });
        expect(await admit({ groupId, userId: user, path: { kind: "open" } }, other)).toEqual({
          joined: false,
        });
        expect(await admit({ groupId, userId: ownerId, path: { kind: "open" } })).toEqual({
          joined: false,
        });
        expect((await storage.groups.memberIds(groupId)).filter((id) => id === user)).toHaveLength(
          1,
        );
        await expectImError(
          admit({ groupId: uid("nope"), userId: user, path: { kind: "open" } }),
          "not_found",
          "an unknown group",
        );
      });

      it("refuses past the member cap with too_large", async () => {
        const { groupId } = await newGroup(2);
        await expectImError(
          admit({ groupId, userId: uid("u"), path: { kind: "open" }, maxMembers: 3 }),
          "too_large",
          "a full group",
        );
      });

      it("through a link counts uses, once per user, until used up, revoked or expired", async () => {
        const { groupId, ownerId } = await newGroup();
        const created = await storage.groupJoins.createLink(link(groupId, ownerId, { maxUses: 2 }));
        expect(created).toMatchObject({ groupId, createdBy: ownerId, maxUses: 2, uses: 0 });
        expect(created.revokedAt).toBeUndefined();
        const path = { kind: "link" as const, code: created.code };
        const [a, b, c] = [uid("a"), uid("b"), uid("c")];
        expect(await admit({ groupId, userId: a, path })).toEqual({ joined: true });
        await storage.groups.removeMembers(groupId, [a]);
        await expectRefusal(
          admit({ groupId, userId: a, path }),
          "forbidden",
          "already_used",
          "reuse",
        );
        expect(await admit({ groupId, userId: b, path }, other)).toEqual({ joined: true });
        expect((await storage.groupJoins.link(created.code))?.uses).toBe(2);
        expect(await storage.groupJoins.activeLinks(groupId, now), "a used-up link").toEqual([]);
        await expectRefusal(admit({ groupId, userId: c, path }), "forbidden", "used_up", "used up");

        const revocable = await storage.groupJoins.createLink(link(groupId, ownerId));
        expect((await storage.groupJoins.activeLinks(groupId, now)).map((l) => l.code)).toEqual([
          revocable.code,
        ]);
        await storage.groupJoins.revokeLink(revocable.code, now + 1);
        await storage.groupJoins.revokeLink(revocable.code, now + 2);
        expect((await storage.groupJoins.link(revocable.code))?.revokedAt).toBe(now + 1);
        await expectRefusal(
          admit({ groupId, userId: c, path: { kind: "link", code: revocable.code } }),
          "forbidden",
          "revoked",
          "revoked",
        );
        const expiring = await storage.groupJoins.createLink(
          link(groupId, ownerId, { expiresAt: now + 1000 }),
        );
        await expectRefusal(
          admit({ groupId, userId: c, path: { kind: "link", code: expiring.code } }),
          "forbidden",
          "expired",
          "expired",
        );
        await expectRefusal(
          admit({ groupId, userId: c, path: { kind: "link", code: uid("nope") } }),
          "not_found",
          "unknown",
          "unknown link",
        );
        await expectImError(
          storage.groupJoins.revokeLink(uid("nope"), now),
          "not_found",
          "revoke unknown",
        );
        expect(await storage.groups.member(groupId, c)).toBeUndefined();
      });

      it("a concurrent approval and link join add the user exactly once", async () => {
        for (let round = 0; round < 5; round++) {
          const { groupId, ownerId } = await newGroup(0);
          const user = uid("u");
          const opened = await storage.groupJoins.openTicket(ticket(groupId, user));
          const created = await storage.groupJoins.createLink(link(groupId, ownerId));
          const results = await Promise.allSettled([
            admit({
              groupId,
              userId: user,
              path: { kind: "ticket", ticketId: opened.ticketId, decidedBy: ownerId },
            }),
            admit({ groupId, userId: user, path: { kind: "link", code: created.code } }, other),
          ]);
          const joined = results.filter((r) => r.status === "fulfilled" && r.value.joined);
          expect(joined, "exactly one path added the user").toHaveLength(1);
          expect(sorted(await storage.groups.memberIds(groupId))).toEqual(sorted([ownerId, user]));
        }
      });

      it("concurrent joins never pass the member cap", async () => {
        const { groupId } = await newGroup(1);
        const users = Array.from({ length: 6 }, (_, i) => uid(`c${i}`));
        const results = await Promise.allSettled(
          users.map((userId, i) =>
            admit(
              { groupId, userId, path: { kind: "open" }, maxMembers: 4 },
              i % 2 ? other : storage,
            ),
          ),
        );
        expectCapHeld(results, 2, "two places were left");
        expect(await storage.groups.memberIds(groupId)).toHaveLength(4);
      });
    });

    it("purgeExpired deletes the tickets (any state) and links expired by then, with a link's uses", async () => {
      // Far in the past, so that no other test's tickets or links expire by then.
      const past = 1_000_000;
      const { groupId, ownerId } = await newGroup();
      const [requester, invitee, joiner] = [uid("req"), uid("inv"), uid("join")];
      const expiring = { createdAt: past - 500, expiresAt: past };
      const pending = await storage.groupJoins.openTicket(ticket(groupId, requester, expiring));
      const declined = await storage.groupJoins.openTicket(
        ticket(groupId, invitee, { ...expiring, kind: "invitation", by: ownerId }),
      );
      await storage.groupJoins.declineTicket(declined.ticketId, invitee, past - 400);
      const later = await storage.groupJoins.openTicket(
        ticket(groupId, invitee, { createdAt: past - 500, expiresAt: past + 1 }),
      );
      const current = await storage.groupJoins.openTicket(ticket(groupId, joiner));
      const used = await storage.groupJoins.createLink(link(groupId, ownerId, expiring));
      await admit({
        groupId,
        userId: joiner,
        path: { kind: "link", code: used.code },
        at: past - 100,
      });
      const live = await storage.groupJoins.createLink(link(groupId, ownerId));

      expect(await other.groupJoins.purgeExpired(past), "two tickets and a link").toBe(3);
      for (const gone of [pending, declined]) {
        expect(await storage.groupJoins.ticket(gone.ticketId, past), gone.state).toBeUndefined();
      }
      expect(await storage.groupJoins.link(used.code)).toBeUndefined();
      expect((await storage.groupJoins.ticket(later.ticketId, past))?.state).toBe("pending");
      expect((await storage.groupJoins.ticket(current.ticketId, now))?.state).toBe("pending");
      expect(await storage.groupJoins.link(live.code)).toMatchObject({ code: live.code });
      expect(await storage.groupJoins.purgeExpired(past), "nothing left to purge").toBe(0);

      // The purged request no longer holds the user's slot, nor the purged link its uses:
      // a new link with the same code admits the same user again.
      await storage.groupJoins.openTicket(ticket(groupId, requester));
      await storage.groups.removeMembers(groupId, [joiner]);
      await storage.groupJoins.createLink(link(groupId, ownerId, { code: used.code }));
      expect(
        await admit({ groupId, userId: joiner, path: { kind: "link", code: used.code } }),
      ).toEqual({ joined: true });
    });

    it("concurrent joins and adds never pass the member cap together", async () => {
      const { groupId, ownerId } = await newGroup(1);
      const users = Array.from({ length: 6 }, (_, i) => uid(`c${i}`));
      const results = await Promise.allSettled(
        users.map((userId, i) => {
          const on = i % 2 ? other : storage;
          return i < 3
            ? admit({ groupId, userId, path: { kind: "open" }, maxMembers: 5 }, on)
            : on.groups.addMembers(groupId, [userId], now, { maxMembers: 5 });
        }),
      );
      expectCapHeld(results, 3, "three places were left");
      expect(await storage.groups.memberIds(groupId)).toHaveLength(5);
      expect(await storage.groups.member(groupId, ownerId)).toMatchObject({ role: "owner" });
    });

    it("dismissing a group deletes its join data", async () => {
      const { groupId, ownerId } = await newGroup();
      await storage.groupJoins.updateSettings(groupId, { joinMode: "open" });
      const opened = await storage.groupJoins.openTicket(ticket(groupId, uid("u")));
      const created = await storage.groupJoins.createLink(link(groupId, ownerId));
      await storage.groups.dismiss(groupId);
      expect(await storage.groupJoins.settings(groupId)).toBeUndefined();
      expect(await storage.groupJoins.ticket(opened.ticketId, now)).toBeUndefined();
      expect(await storage.groupJoins.link(created.code)).toBeUndefined();
    });
  },
};

/**
 * The conformance suite of the {@link GroupJoinStore} contract
 * (`storage.groupJoins`): join settings, join requests and invitations
 * (tickets), invite links, and `admit`, which joins atomically through any
 * path. Every storage adapter runs it against its real backend, beside
 * {@link storageConformance}.
 *
 * `create` is called twice: the concurrency tests race two instances (two
 * nodes on one database). Every test uses fresh ids.
 *
 * @example
 * ```ts
 * groupJoinConformance({
 *   name: "postgres",
 *   create: () => createPostgresStore({ connectionString, schema }),
 *   destroy: (storage) => storage.close(),
 * });
 * ```
 */
export function groupJoinConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} group join conformance`, [groupJoinSuite], options);
}
