import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { DEFAULT_PRIVACY_POLICY } from "../domain/contact.js";
import { DEFAULT_PEOPLE_LIMITS } from "../domain/people-limits.js";
import { isImError } from "../errors.js";
import { expectImError, oneTo, uid } from "./fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

const DAY = 24 * 60 * 60 * 1000;

/** The `ContactStore` tests (`storage.contacts`); {@link contactStoreConformance} runs them alone. */
export const contactStoreSuite: StorageSuite = {
  name: "contacts",
  tests(context) {
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      storage = context.storage;
      other = await context.open();
    });

    const now = 1_700_000_000_000;
    const befriend = async (a: string, b: string) => {
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      await storage.contacts.acceptRequest(b, a, now);
    };

    it("stores a pending request, lists it both ways and returns it", async () => {
      const [a, b] = [uid("a"), uid("b")];
      const result = await storage.contacts.sendRequest({
        fromId: a,
        toId: b,
        message: "hi 👋, it's me",
        now,
      });
      const expected = {
        fromId: a,
        toId: b,
        message: "hi 👋, it's me",
        createdAt: now,
        expiresAt: now + DEFAULT_PEOPLE_LIMITS.requestTtlMs,
        state: "pending",
      };
      expect(result).toEqual({ outcome: "requested", request: expected });
      expect(await other.contacts.request(a, b)).toEqual(expected);
      expect(await other.contacts.request(b, a)).toBeUndefined();
      expect(await other.contacts.requests(b, "incoming", { now })).toEqual([expected]);
      expect(await other.contacts.requests(a, "outgoing", { now })).toEqual([expected]);
      expect(await other.contacts.requests(a, "incoming", { now })).toEqual([]);
      expect(await other.contacts.contacts(a)).toEqual([]);
    });

    it("refuses a duplicate, a self-request, bad ids and a long message", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      await expectImError(
        other.contacts.sendRequest({ fromId: a, toId: b, now: now + 1 }),
        "conflict",
        "duplicate request",
      );
      await expectImError(
        storage.contacts.sendRequest({ fromId: a, toId: a, now }),
        "bad_request",
        "request to oneself",
      );
      await expectImError(
        storage.contacts.sendRequest({ fromId: "", toId: b, now }),
        "bad_request",
        "empty sender",
      );
      const long = "x".repeat(DEFAULT_PEOPLE_LIMITS.maxRequestMessageLength + 1);
      await expectImError(
        storage.contacts.sendRequest({ fromId: uid("c"), toId: b, message: long, now }),
        "bad_request",
        "message over the limit",
      );
      // The limit counts code points: as many emoji as the limit fit.
      const emoji = "😀".repeat(DEFAULT_PEOPLE_LIMITS.maxRequestMessageLength);
      const ok = await storage.contacts.sendRequest({
        fromId: uid("d"),
        toId: b,
        message: emoji,
        now,
      });
      expect(ok.outcome).toBe("requested");
    });

    it("accepts: contacts both ways without remarks; a second accept is not_found", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      const accepted = await other.contacts.acceptRequest(b, a, now + 5);
      expect(accepted.state).toBe("accepted");
      expect(await storage.contacts.contacts(a)).toEqual([
        { userId: a, contactId: b, remark: null, since: now + 5 },
      ]);
      expect(await storage.contacts.contact(b, a)).toEqual({
        userId: b,
        contactId: a,
        remark: null,
        since: now + 5,
      });
      expect(await storage.contacts.requests(b, "incoming", { now })).toEqual([]);
      await expectImError(storage.contacts.acceptRequest(b, a, now), "not_found", "accept twice");
      await expectImError(
        storage.contacts.sendRequest({ fromId: b, toId: a, now }),
        "conflict",
        "request between contacts",
      );
      // Only the recipient can accept: the sender "accepting" its own request finds nothing.
      const [c, d] = [uid("c"), uid("d")];
      await storage.contacts.sendRequest({ fromId: c, toId: d, now });
      await expectImError(storage.contacts.acceptRequest(c, d, now), "not_found", "wrong side");
    });

    it("declines and cancels; a new request replaces a finished one", async () => {
      const [a, b, c] = [uid("a"), uid("b"), uid("c")];
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      expect((await storage.contacts.declineRequest(b, a, now)).state).toBe("declined");
      expect((await storage.contacts.request(a, b))?.state).toBe("declined");
      await expectImError(storage.contacts.declineRequest(b, a, now), "not_found", "decline twice");
      await storage.contacts.sendRequest({ fromId: a, toId: c, now });
      expect((await storage.contacts.cancelRequest(a, c, now)).state).toBe("cancelled");
      await expectImError(storage.contacts.cancelRequest(a, c, now), "not_found", "cancel twice");
      expect(await storage.contacts.requests(a, "outgoing", { now })).toEqual([]);
      const again = await storage.contacts.sendRequest({
        fromId: a,
        toId: b,
        message: "again",
        now: now + 10,
      });
      expect(again).toMatchObject({
        outcome: "requested",
        request: { state: "pending", message: "again" },
      });
      await expectImError(
        storage.contacts.acceptRequest(b, uid("nobody"), now),
        "not_found",
        "accept a request never sent",
      );
    });

    it("a request to someone who already asked you accepts theirs", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      const result = await other.contacts.sendRequest({ fromId: b, toId: a, now: now + 1 });
      expect(result).toMatchObject({
        outcome: "accepted",
        request: { fromId: a, toId: b, state: "accepted" },
      });
      expect((await storage.contacts.contacts(a)).map((c) => c.contactId)).toEqual([b]);
      expect((await storage.contacts.contacts(b)).map((c) => c.contactId)).toEqual([a]);
      expect(await storage.contacts.request(b, a)).toBeUndefined();
    });

    it("an expired request is gone: not listed, not acceptable, replaced by a new one", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      const later = now + DEFAULT_PEOPLE_LIMITS.requestTtlMs;
      expect(await storage.contacts.requests(b, "incoming", { now: later })).toEqual([]);
      await expectImError(storage.contacts.acceptRequest(b, a, later), "not_found", "expired");
      const again = await storage.contacts.sendRequest({ fromId: a, toId: b, now: later });
      expect(again).toMatchObject({ outcome: "requested", request: { createdAt: later } });
      // B asking A once A's request expired does not accept it.
      const [c, d] = [uid("c"), uid("d")];
      await storage.contacts.sendRequest({ fromId: c, toId: d, now });
      expect(
        (await storage.contacts.sendRequest({ fromId: d, toId: c, now: later + DAY })).outcome,
      ).toBe("requested");
    });

    it("sets and clears a remark on one side only; checks its length", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await befriend(a, b);
      await other.contacts.setRemark(a, b, "Bobby 🐝");
      expect((await storage.contacts.contact(a, b))?.remark).toBe("Bobby 🐝");
      expect((await storage.contacts.contact(b, a))?.remark).toBeNull();
      await expectImError(
        storage.contacts.setRemark(a, b, "r".repeat(DEFAULT_PEOPLE_LIMITS.maxRemarkLength + 1)),
        "bad_request",
        "long remark",
      );
      await expectImError(
        storage.contacts.setRemark(a, uid("stranger"), "x"),
        "not_found",
        "remark on a non-contact",
      );
      await storage.contacts.setRemark(a, b, null);
      expect((await storage.contacts.contact(a, b))?.remark).toBeNull();
    });

    it("removes a contact both ways", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await befriend(a, b);
      expect(await other.contacts.removeContact(b, a)).toBe(true);
      expect(await storage.contacts.contact(a, b)).toBeUndefined();
      expect(await storage.contacts.contact(b, a)).toBeUndefined();
      expect(await storage.contacts.removeContact(a, b)).toBe(false);
    });

    it("pages contacts and requests by the other user's id", async () => {
      const a = uid("a");
      const friends = oneTo(5).map((i) => `${a}_f${i}`);
      for (const f of friends) await befriend(a, f);
      const first = await storage.contacts.contacts(a, { limit: 2 });
      const second = await storage.contacts.contacts(a, { limit: 2, after: first[1]!.contactId });
      const rest = await storage.contacts.contacts(a, { limit: 2, after: second[1]!.contactId });
      expect([...first, ...second, ...rest].map((c) => c.contactId)).toEqual(friends);
      const askers = oneTo(3).map((i) => `${a}_r${i}`);
      for (const r of askers) await storage.contacts.sendRequest({ fromId: r, toId: a, now });
      const page = await storage.contacts.requests(a, "incoming", { now, limit: 2 });
      const next = await storage.contacts.requests(a, "incoming", {
        now,
        limit: 2,
        after: page[1]!.fromId,
      });
      expect([...page, ...next].map((r) => r.fromId)).toEqual(askers);
      await expectImError(storage.contacts.contacts(a, { limit: 0 }), "bad_request", "limit 0");
    });

    it("limits pending outgoing requests per user; a cancel frees a slot", async () => {
      const a = uid("a");
      const max = DEFAULT_PEOPLE_LIMITS.maxPendingRequests;
      for (const i of oneTo(max - 2)) {
        await storage.contacts.sendRequest({ fromId: a, toId: `${a}_t${i}`, now });
      }
      // Three at once on two instances for the last two slots: the count is read under the
      // sender's serialization, so exactly two pass.
      const racing = await Promise.allSettled(
        [max - 1, max, max + 1].map((i, n) =>
          (n % 2 === 0 ? storage : other).contacts.sendRequest({
            fromId: a,
            toId: `${a}_t${i}`,
            now,
          }),
        ),
      );
      expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      expect(racing.find((r) => r.status === "rejected")).toMatchObject({
        reason: { code: "conflict" },
      });
      expect(await storage.contacts.requests(a, "outgoing", { now })).toHaveLength(max);
      let error: unknown;
      try {
        await other.contacts.sendRequest({ fromId: a, toId: `${a}_extra`, now });
      } catch (caught) {
        error = caught;
      }
      expect(isImError(error) && error.code).toBe("conflict");
      expect(isImError(error) && error.details).toEqual({ limit: max });
      await storage.contacts.cancelRequest(a, `${a}_t1`, now);
      expect(
        (await other.contacts.sendRequest({ fromId: a, toId: `${a}_extra`, now })).outcome,
      ).toBe("requested");
    });

    it("reports a request to or from a blocker as blocked and writes nothing", async () => {
      const [a, b] = [uid("a"), uid("b")];
      expect(await storage.contacts.block(b, a, now)).toBe(true);
      expect(await other.contacts.sendRequest({ fromId: a, toId: b, now })).toEqual({
        outcome: "blocked",
      });
      expect(await other.contacts.sendRequest({ fromId: b, toId: a, now })).toEqual({
        outcome: "blocked",
      });
      expect(await storage.contacts.request(a, b)).toBeUndefined();
      expect(await storage.contacts.requests(b, "incoming", { now })).toEqual([]);
    });

    it("a block ends the contact and pending requests; unblock lifts it only", async () => {
      const [a, b, c] = [uid("a"), uid("b"), uid("c")];
      await befriend(a, b);
      await storage.contacts.sendRequest({ fromId: c, toId: a, now });
      expect(await other.contacts.block(a, b, now + 1)).toBe(true);
      expect(await other.contacts.block(a, b, now + 2)).toBe(false);
      await other.contacts.block(a, c, now + 3);
      expect(await storage.contacts.contact(a, b)).toBeUndefined();
      expect(await storage.contacts.contact(b, a)).toBeUndefined();
      expect((await storage.contacts.request(c, a))?.state).toBe("cancelled");
      expect(await storage.contacts.isBlocked(a, b)).toBe(true);
      expect(await storage.contacts.isBlocked(b, a)).toBe(false);
      expect(await storage.contacts.blocks(a)).toEqual([
        { userId: a, blockedId: b, since: now + 1 },
        { userId: a, blockedId: c, since: now + 3 },
      ]);
      expect(await storage.contacts.blocks(a, { after: b })).toHaveLength(1);
      expect(await storage.contacts.unblock(a, b)).toBe(true);
      expect(await storage.contacts.unblock(a, b)).toBe(false);
      expect(await storage.contacts.isBlocked(a, b)).toBe(false);
      expect(await storage.contacts.contact(a, b)).toBeUndefined();
      await expectImError(storage.contacts.block(a, a, now), "bad_request", "block oneself");
    });

    it("relations: contact, blocks both ways and privacy for many users in one call", async () => {
      const [me, friend, blocker, blocked, stranger] = ["me", "f", "br", "bd", "s"].map(uid) as [
        string,
        string,
        string,
        string,
        string,
      ];
      await befriend(me, friend);
      await storage.contacts.block(blocker, me, now);
      await storage.contacts.block(me, blocked, now);
      await storage.contacts.setPrivacy(friend, { directMessages: "contacts" });
      const relations = await other.contacts.relations(me, [
        stranger,
        friend,
        me,
        blocker,
        blocked,
        friend,
      ]);
      expect(relations).toEqual([
        {
          userId: stranger,
          contact: false,
          blocked: false,
          blockedBy: false,
          privacy: DEFAULT_PRIVACY_POLICY,
        },
        {
          userId: friend,
          contact: true,
          blocked: false,
          blockedBy: false,
          privacy: { directMessages: "contacts", groupInvites: "anyone" },
        },
        {
          userId: blocker,
          contact: false,
          blocked: false,
          blockedBy: true,
          privacy: DEFAULT_PRIVACY_POLICY,
        },
        {
          userId: blocked,
          contact: false,
          blocked: true,
          blockedBy: false,
          privacy: DEFAULT_PRIVACY_POLICY,
        },
      ]);
      expect(await storage.contacts.relations(me, [])).toEqual([]);
      const tooMany = oneTo(DEFAULT_PEOPLE_LIMITS.maxBatch + 1).map((i) => `u${i}`);
      await expectImError(storage.contacts.relations(me, tooMany), "bad_request", "batch limit");
    });

    it("stores a privacy policy, patch by patch, and refuses unknown values", async () => {
      const a = uid("a");
      expect(await storage.contacts.privacy(a)).toEqual(DEFAULT_PRIVACY_POLICY);
      expect(await storage.contacts.setPrivacy(a, { groupInvites: "nobody" })).toEqual({
        directMessages: "anyone",
        groupInvites: "nobody",
      });
      expect(await other.contacts.setPrivacy(a, { directMessages: "contacts" })).toEqual({
        directMessages: "contacts",
        groupInvites: "nobody",
      });
      expect(await storage.contacts.privacy(a)).toEqual({
        directMessages: "contacts",
        groupInvites: "nobody",
      });
      await expectImError(
        storage.contacts.setPrivacy(a, { directMessages: "friends" as never }),
        "bad_request",
        "unknown policy",
      );
    });

    it("two concurrent accepts on two instances: one wins, the other is not_found", async () => {
      const [a, b] = [uid("a"), uid("b")];
      await storage.contacts.sendRequest({ fromId: a, toId: b, now });
      const outcomes = await Promise.allSettled([
        storage.contacts.acceptRequest(b, a, now),
        other.contacts.acceptRequest(b, a, now),
        other.contacts.declineRequest(b, a, now),
      ]);
      const won = outcomes.filter((o) => o.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const lost of outcomes.filter((o) => o.status === "rejected")) {
        expect((lost as PromiseRejectedResult).reason).toMatchObject({ code: "not_found" });
      }
      const state = (await storage.contacts.request(a, b))?.state;
      const contacts = await storage.contacts.contacts(a);
      expect(contacts).toHaveLength(state === "accepted" ? 1 : 0);
    });

    it("two users asking each other at once end as contacts, with no request left pending", async () => {
      for (const _ of oneTo(5)) {
        const [a, b] = [uid("a"), uid("b")];
        const results = await Promise.all([
          storage.contacts.sendRequest({ fromId: a, toId: b, now }),
          other.contacts.sendRequest({ fromId: b, toId: a, now }),
        ]);
        expect(results.map((r) => r.outcome).sort()).toEqual(["accepted", "requested"]);
        expect((await storage.contacts.contacts(a)).map((c) => c.contactId)).toEqual([b]);
        expect(await storage.contacts.requests(a, "incoming", { now })).toEqual([]);
        expect(await storage.contacts.requests(a, "outgoing", { now })).toEqual([]);
      }
    });
  },
};

/**
 * The conformance suite of {@link Storage.contacts} (the `ContactStore`
 * contract): requests and their states, the auto-accept of crossed requests,
 * contacts and remarks, blocks, the `relations` hot-path read, privacy
 * policies, paging, limits and concurrency across two instances. The
 * adapter must run with the default `PeopleLimits`.
 *
 * @example
 * ```ts
 * contactStoreConformance({ name: "postgres", create: () => createPostgresStore({ connectionString, schema }) });
 * ```
 */
export function contactStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} contact store conformance`, [contactStoreSuite], options);
}
