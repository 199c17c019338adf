import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { groupConversationId } from "../domain/conversation.js";
import type { DomainEvent } from "../domain/domain-event.js";
import { inviteLinkId } from "../domain/invite-link-id.js";
import { expectImError, uid } from "./fixtures.js";
import { directDraft } from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The store's domain event outbox (throws a clear error when the adapter has none). */
function eventsOf(storage: Storage) {
  if (!storage.domainEvents) throw new Error("this storage has no domainEvents");
  return storage.domainEvents;
}

/**
 * Claims every due event and returns (and settles) the ones `mine` selects, in claim
 * order; the others (other tests' leftovers) stay leased for a minute, which no test awaits.
 */
async function take(
  storage: Storage,
  mine: (event: DomainEvent) => boolean,
  settle = true,
): Promise<DomainEvent[]> {
  const claimed = await eventsOf(storage).claim({ limit: 10_000, leaseMs: 60_000 });
  const picked = claimed.filter(mine);
  if (settle) await eventsOf(storage).settle(picked);
  return picked;
}

const aboutGroup = (groupId: string) => (event: DomainEvent) =>
  event.data.groupId === groupId ||
  (event.data.group as { groupId?: string } | undefined)?.groupId === groupId;

/** The domain event outbox tests (`storage.domainEvents`); {@link domainEventConformance} runs them alone. */
export const domainEventSuite: StorageSuite = {
  name: "domain events",
  tests(context) {
    /** Records every kind (a fresh instance: the other suites' instances record nothing). */
    let storage: Storage;
    /** Another node over the same backend; records nothing. */
    let silent: Storage;
    beforeAll(async () => {
      storage = await context.open();
      silent = await context.open();
      eventsOf(storage).enable(["group", "group_join", "contact", "read"]);
    });
    const now = Date.now();

    it("records nothing for a kind nobody enabled", async () => {
      expect(eventsOf(silent).enabledKinds()).toEqual([]);
      const groupId = uid("de-off");
      await silent.groups.create({
        groupId,
        name: "x",
        ownerId: uid("o"),
        memberIds: [],
        createdAt: now,
      });
      await silent.groups.update(groupId, { name: "y" });
      expect(await take(storage, aboutGroup(groupId))).toEqual([]);

      const only = await context.open();
      eventsOf(only).enable(["contact"]);
      expect(eventsOf(only).enabledKinds()).toEqual(["contact"]);
      const other = uid("de-only");
      await only.groups.create({
        groupId: other,
        name: "x",
        ownerId: uid("o"),
        memberIds: [],
        createdAt: now,
      });
      expect(await take(storage, aboutGroup(other)), "group events are off there").toEqual([]);
    });

    it("every group write records its event, in order, with its payload; another node claims them", async () => {
      const groupId = uid("de-g");
      const [owner, a, b] = [uid("o"), uid("a"), uid("b")];
      const group = await storage.groups.create({
        groupId,
        name: "g",
        ownerId: owner,
        memberIds: [a],
        createdAt: now,
      });
      expect(await storage.groups.addMembers(groupId, [b], now + 1)).toEqual([b]);
      expect(
        await storage.groups.addMembers(groupId, [b], now + 2),
        "already in: no event",
      ).toEqual([]);
      await storage.groups.setRole(groupId, a, "admin");
      await storage.groups.muteMember(groupId, b, now + 60_000);
      await storage.groups.update(groupId, { name: "g2" });
      await storage.groups.transferOwner(groupId, a);
      expect(await storage.groups.removeMembers(groupId, [b])).toEqual([b]);
      await storage.groups.dismiss(groupId);

      const events = await take(silent, aboutGroup(groupId));
      expect(events.map((e) => [e.kind, e.type])).toEqual([
        ["group", "group.created"],
        ["group", "group.member_joined"],
        ["group", "group.changed"],
        ["group", "group.changed"],
        ["group", "group.changed"],
        ["group", "group.changed"],
        ["group", "group.member_left"],
        ["group", "group.changed"],
      ]);
      expect(new Set(events.map((e) => e.id)).size, "distinct ids").toBe(events.length);
      for (const event of events) expect(event.conversationId).toBe(groupConversationId(groupId));
      expect(events[0]?.data.group).toEqual(group);
      expect(events[0]?.occurredAt).toBe(now);
      expect(events[1]?.data).toEqual({ groupId, userIds: [b] });
      expect(events[1]?.occurredAt).toBe(now + 1);
      expect(events.slice(2).map((e) => e.data)).toEqual([
        { groupId, change: "role", userId: a, role: "admin" },
        { groupId, change: "muted", userId: b, until: now + 60_000 },
        { groupId, change: "updated", patch: { name: "g2" } },
        { groupId, change: "owner", ownerId: a },
        { groupId, userIds: [b] },
        { groupId, change: "dismissed" },
      ]);
      expect(await take(storage, aboutGroup(groupId)), "settled: gone").toEqual([]);
    });

    it("a failed write records nothing", async () => {
      const groupId = uid("de-fail");
      const owner = uid("o");
      await storage.groups.create({
        groupId,
        name: "g",
        ownerId: owner,
        memberIds: [],
        createdAt: now,
      });
      await take(storage, aboutGroup(groupId));
      await expectImError(
        storage.groups.create({
          groupId,
          name: "again",
          ownerId: owner,
          memberIds: [],
          createdAt: now,
        }),
        "conflict",
        "a second create",
      );
      await expectImError(
        storage.groups.setRole(groupId, uid("stranger"), "admin"),
        "not_found",
        "setRole of a non-member",
      );
      expect(await take(storage, aboutGroup(groupId))).toEqual([]);
      expect((await storage.groups.get(groupId))?.name, "the first create stands").toBe("g");
    });

    it("a claim leases: another claimer gets nothing until the lease ends or the event is settled", async () => {
      const groupId = uid("de-lease");
      await storage.groups.create({
        groupId,
        name: "g",
        ownerId: uid("o"),
        memberIds: [],
        createdAt: now,
      });
      const first = await take(storage, aboutGroup(groupId), false);
      expect(first).toHaveLength(1);
      expect(await eventsOf(silent).pending()).toBeGreaterThanOrEqual(1);
      expect(await take(silent, aboutGroup(groupId), false), "leased").toEqual([]);
      await eventsOf(storage).settle(first);
      await eventsOf(storage).settle(first);

      // A lease of 0 ms is over at once: the event is claimable again, with the same id.
      const expiring = uid("de-expire");
      await storage.groups.create({
        groupId: expiring,
        name: "g",
        ownerId: uid("o"),
        memberIds: [],
        createdAt: now,
      });
      const once = (await eventsOf(storage).claim({ limit: 10_000, leaseMs: 0 })).filter(
        aboutGroup(expiring),
      );
      expect(once).toHaveLength(1);
      const again = await take(silent, aboutGroup(expiring));
      expect(again.map((e) => e.id)).toEqual([once[0]?.id]);
      expect(await take(storage, aboutGroup(expiring)), "settled by the other node").toEqual([]);
      expect(await take(storage, aboutGroup(groupId)), "settled twice: still gone").toEqual([]);
    });

    it("read events of one user and conversation coalesce; a settle of an older revision keeps the newer", async () => {
      const [a, b] = [uid("ra"), uid("rb")];
      const draft = directDraft(a, b);
      const conversationId = draft.conversationId;
      for (let i = 0; i < 3; i++) await context.append(directDraft(a, b), storage);
      const mine = (e: DomainEvent) =>
        e.kind === "read" && e.data.userId === b && e.conversationId === conversationId;
      expect(await storage.cursors.markRead(b, conversationId, 1)).toBe(1);
      expect(await storage.cursors.markRead(b, conversationId, 2)).toBe(2);
      expect(
        await storage.cursors.markRead(b, conversationId, 2),
        "not raised: no event",
      ).toBeUndefined();
      const claimed = await take(storage, mine, false);
      expect(claimed).toHaveLength(1);
      expect(claimed[0]).toMatchObject({
        type: "message.read",
        conversationId,
        data: { userId: b, conversationId, seq: 2 },
        order: 2,
      });
      // A newer read while the event is claimed: merged in, released, revision bumped.
      expect(await storage.cursors.markRead(b, conversationId, 3)).toBe(3);
      await eventsOf(storage).settle(claimed);
      const after = await take(storage, mine);
      expect(after).toHaveLength(1);
      expect(after[0]?.id, "the same event").toBe(claimed[0]?.id);
      expect(after[0]?.data.seq).toBe(3);
      expect(after[0]?.revision).toBeGreaterThan(claimed[0]?.revision ?? 0);
      expect(await take(storage, mine), "settled").toEqual([]);
    });

    context.itWith(
      "markMany",
      "markMany records one read event per raised read cursor, none for delivered",
      async () => {
        const [a, b, c] = [uid("ma"), uid("mb"), uid("mc")];
        const ab = directDraft(a, b).conversationId;
        const ac = directDraft(a, c).conversationId;
        await context.append(directDraft(a, b), storage);
        await context.append(directDraft(a, c), storage);
        const moved = await storage.cursors.markMany!([
          { userId: b, conversationId: ab, seq: 1, kind: "read" },
          { userId: c, conversationId: ac, seq: 1, kind: "delivered" },
        ]);
        expect(moved).toHaveLength(2);
        const events = await take(
          storage,
          (e) => e.kind === "read" && (e.data.userId === b || e.data.userId === c),
        );
        expect(events.map((e) => e.data)).toEqual([{ userId: b, conversationId: ab, seq: 1 }]);
      },
    );

    it("a claim with kinds takes only events of those kinds; the others stay for another claimer", async () => {
      const groupId = uid("de-kinds");
      const [a, b] = [uid("ka"), uid("kb")];
      await storage.groups.create({
        groupId,
        name: "g",
        ownerId: a,
        memberIds: [],
        createdAt: now,
      });
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      const mine = (e: DomainEvent) => aboutGroup(groupId)(e) || e.data.userId === a;
      const claimKinds = async (kinds: DomainEvent["kind"][]) =>
        (await eventsOf(silent).claim({ limit: 10_000, leaseMs: 60_000, kinds })).filter(mine);
      expect(await claimKinds([]), "no kind: nothing").toEqual([]);
      const contacts = await claimKinds(["contact", "read"]);
      expect(contacts.map((e) => e.type)).toEqual(["contact.changed"]);
      const groups = await claimKinds(["group"]);
      expect(groups.map((e) => e.type)).toEqual(["group.created"]);
      await eventsOf(silent).settle([...contacts, ...groups]);
      expect(await take(storage, mine)).toEqual([]);
    });

    it("contact writes record contact.changed", async () => {
      const [a, b] = [uid("ca"), uid("cb")];
      const mine = (e: DomainEvent) =>
        e.kind === "contact" && (e.data.userId === a || e.data.userId === b);
      expect((await storage.contacts.sendRequest({ fromId: a, toId: b, now })).outcome).toBe(
        "requested",
      );
      await storage.contacts.acceptRequest(b, a, now + 1);
      expect(await storage.contacts.removeContact(a, b)).toBe(true);
      expect(await storage.contacts.block(a, b, now + 2)).toBe(true);
      expect(await storage.contacts.unblock(a, b)).toBe(true);
      expect(await storage.contacts.unblock(a, b), "not blocked: no event").toBe(false);
      const events = await take(storage, mine);
      expect(events.map((e) => e.data)).toEqual([
        { change: "request_requested", userId: a, otherId: b },
        { change: "request_accepted", userId: b, otherId: a },
        { change: "removed", userId: a, otherId: b },
        { change: "blocked", userId: a, otherId: b },
        { change: "unblocked", userId: a, otherId: b },
      ]);
      expect(events.every((e) => e.type === "contact.changed")).toBe(true);
    });

    it("group-join writes record requested, declined, approved and joined-by-link events", async () => {
      const groupId = uid("de-j");
      const [owner, asker, refused, linked] = [uid("o"), uid("ask"), uid("no"), uid("lnk")];
      await storage.groups.create({
        groupId,
        name: "g",
        ownerId: owner,
        memberIds: [],
        createdAt: now,
      });
      const ticket = (userId: string) => ({
        ticketId: uid("t"),
        groupId,
        kind: "request" as const,
        userId,
        by: userId,
        message: "hi",
        createdAt: now,
        expiresAt: now + 86_400_000,
      });
      const t1 = await storage.groupJoins.openTicket(ticket(asker));
      const t2 = await storage.groupJoins.openTicket(ticket(refused));
      await storage.groupJoins.declineTicket(t2.ticketId, owner, now + 1);
      await storage.groupJoins.admit({
        groupId,
        userId: asker,
        path: { kind: "ticket", ticketId: t1.ticketId, decidedBy: owner },
        at: now + 2,
        maxMembers: 100,
      });
      const code = uid("code");
      await storage.groupJoins.createLink({
        code,
        groupId,
        createdBy: owner,
        createdAt: now,
        expiresAt: now + 86_400_000,
        maxUses: null,
      });
      await storage.groupJoins.admit({
        groupId,
        userId: linked,
        path: { kind: "link", code },
        at: now + 3,
        maxMembers: 100,
      });
      await expectImError(
        storage.groupJoins.admit({
          groupId,
          userId: linked,
          path: { kind: "link", code },
          at: now + 4,
          maxMembers: 100,
        }),
        "forbidden",
        "a second use of the link",
      );
      const events = await take(storage, (e) => e.data.groupId === groupId);
      expect(events.map((e) => [e.kind, e.type, e.data])).toEqual([
        [
          "group_join",
          "group_join.requested",
          {
            groupId,
            ticketId: t1.ticketId,
            kind: "request",
            userId: asker,
            by: asker,
            message: "hi",
            expiresAt: now + 86_400_000,
          },
        ],
        [
          "group_join",
          "group_join.requested",
          {
            groupId,
            ticketId: t2.ticketId,
            kind: "request",
            userId: refused,
            by: refused,
            message: "hi",
            expiresAt: now + 86_400_000,
          },
        ],
        [
          "group_join",
          "group_join.declined",
          {
            groupId,
            ticketId: t2.ticketId,
            kind: "request",
            userId: refused,
            by: refused,
            decidedBy: owner,
          },
        ],
        [
          "group_join",
          "group_join.approved",
          { groupId, ticketId: t1.ticketId, userId: asker, decidedBy: owner, joined: true },
        ],
        ["group", "group.member_joined", { groupId, userIds: [asker], via: "ticket" }],
        [
          "group_join",
          "group_join.joined_by_link",
          { groupId, linkId: inviteLinkId(code), userId: linked },
        ],
        ["group", "group.member_joined", { groupId, userIds: [linked], via: "link" }],
      ]);
      expect(events[3]?.occurredAt).toBe(now + 2);
      expect(JSON.stringify(events), "the link's code is a bearer secret").not.toContain(code);
    });
  },
};

/** Runs the domain event outbox suite alone (`storage.domainEvents`). */
export function domainEventConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} domain event conformance`, [domainEventSuite], options);
}
