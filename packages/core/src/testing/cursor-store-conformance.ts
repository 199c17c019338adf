import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { directConversationId } from "../domain/conversation.js";
import type { Cursor, PeerCursor } from "../domain/cursor.js";
import { sorted, uid } from "./fixtures.js";
import { directDraft, expectSameMessage, text } from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `CursorStore` tests: cursors created by the first append, only ever raised and capped at the last seq, what a write reports, peer cursors, the conversation list. */
export const cursorStoreSuite: StorageSuite = {
  name: "cursors",
  tests(context) {
    const { append, cursorOf } = context;
    let storage: Storage;
    beforeAll(() => {
      storage = context.storage;
    });

    it("the first append of a direct conversation creates a cursor for both participants", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const { message } = await append(directDraft(a, b));
      expect(
        sorted(await storage.cursors.participants(message.conversationId)),
        "participants() after the first append",
      ).toEqual(sorted([a, b]));
      expect(
        await storage.cursors.membersJoinedAfter(message.conversationId, 1),
        "a direct conversation has no member who joined after a message",
      ).toEqual([]);
      expect(await cursorOf(b, message.conversationId), "the recipient's cursor").toEqual({
        conversationId: message.conversationId,
        deliveredSeq: 0,
        readSeq: 0,
        lastSeq: 1,
      });
      expect(await cursorOf(a, message.conversationId), "the sender's cursor").toMatchObject({
        lastSeq: 1,
      });
    });

    it("markDelivered and markRead are capped at the conversation's last seq (a cursor past it would hide later messages)", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const conversationId = directConversationId(a, b);
      for (let i = 0; i < 2; i++) await append(directDraft(a, b));
      await storage.cursors.markDelivered(b, conversationId, 50);
      await storage.cursors.markRead(b, conversationId, 60);
      expect(await cursorOf(b, conversationId), "cursor after acking past the end").toEqual({
        conversationId,
        deliveredSeq: 2,
        readSeq: 2,
        lastSeq: 2,
      });
      await append(directDraft(a, b));
      expect(await cursorOf(b, conversationId), "a later message is still unread").toMatchObject({
        deliveredSeq: 2,
        lastSeq: 3,
      });
    });

    context.itWith(
      "markMany",
      "markMany follows the single-cursor rules, for many users and conversations at once",
      async () => {
        const markMany = storage.cursors.markMany!.bind(storage.cursors);
        const [a, b, c] = [uid("alice"), uid("bob"), uid("carol")];
        const ab = directConversationId(a, b);
        const ac = directConversationId(a, c);
        for (let i = 0; i < 4; i++) await append(directDraft(a, b));
        for (let i = 0; i < 2; i++) await append(directDraft(a, c));
        await markMany([
          { userId: b, conversationId: ab, seq: 3, kind: "delivered" },
          { userId: c, conversationId: ac, seq: 9, kind: "read" },
          { userId: b, conversationId: ac, seq: 2, kind: "read" },
        ]);
        expect(await cursorOf(b, ab), "bob delivered 3").toMatchObject({
          deliveredSeq: 3,
          readSeq: 0,
        });
        expect(await cursorOf(c, ac), "carol read, capped at last seq 2").toMatchObject({
          deliveredSeq: 2,
          readSeq: 2,
        });
        expect(await cursorOf(b, ac), "bob is not in a:c").toBeUndefined();
        await markMany([
          { userId: b, conversationId: ab, seq: 1, kind: "delivered" },
          { userId: b, conversationId: ab, seq: 2, kind: "read" },
        ]);
        expect(await cursorOf(b, ab), "never lower; read 2 keeps delivered 3").toMatchObject({
          deliveredSeq: 3,
          readSeq: 2,
        });
      },
    );

    it("cursor writes report the stored, capped value of a cursor they raised, and nothing otherwise (receipts carry it)", async () => {
      const [a, b, outsider] = [uid("alice"), uid("bob"), uid("eve")];
      const conversationId = directConversationId(a, b);
      const huge = Number.MAX_SAFE_INTEGER;
      expect(
        await storage.cursors.markRead(b, conversationId, huge),
        "no message yet: no cursor to move",
      ).toBeUndefined();
      for (let i = 0; i < 3; i++) await append(directDraft(a, b));
      expect(await storage.cursors.markDelivered(b, conversationId, 2), "delivered 2").toBe(2);
      expect(
        await storage.cursors.markDelivered(b, conversationId, 1),
        "delivered 1 after 2: not raised",
      ).toBeUndefined();
      expect(await storage.cursors.markRead(b, conversationId, huge), "read capped at 3").toBe(3);
      expect(
        await storage.cursors.markRead(b, conversationId, huge),
        "read again: not raised",
      ).toBeUndefined();
      expect(
        await storage.cursors.markRead(outsider, conversationId, 1),
        "an outsider moves nothing",
      ).toBeUndefined();
    });

    context.itWith(
      "markMany",
      "markMany reports the stored, capped value of each cursor it raised, and nothing for the others",
      async () => {
        const [a, b, outsider] = [uid("alice"), uid("bob"), uid("eve")];
        const conversationId = directConversationId(a, b);
        const huge = Number.MAX_SAFE_INTEGER;
        const markMany = storage.cursors.markMany!.bind(storage.cursors);
        for (let i = 0; i < 3; i++) await append(directDraft(a, b));
        expect(await storage.cursors.markRead(b, conversationId, 3), "read 3").toBe(3);
        await append(directDraft(a, b));
        const moved = await markMany([
          { userId: a, conversationId, seq: huge, kind: "read" },
          { userId: b, conversationId, seq: 1, kind: "read" },
          { userId: b, conversationId, seq: huge, kind: "delivered" },
          { userId: outsider, conversationId, seq: 4, kind: "delivered" },
        ]);
        const byKey = (m: { userId: string; kind: string }) => `${m.userId} ${m.kind}`;
        expect(
          [...moved].sort((x, y) => byKey(x).localeCompare(byKey(y))),
          "markMany reports the raised cursors with their stored values",
        ).toEqual(
          [
            { userId: a, conversationId, seq: 4, kind: "read" },
            { userId: b, conversationId, seq: 4, kind: "delivered" },
          ].sort((x, y) => byKey(x).localeCompare(byKey(y))),
        );
      },
    );

    it("peerCursors() gives the highest read and delivered seq of the other participants, only where the user is in", async () => {
      const [a, b, c, outsider] = [uid("alice"), uid("bob"), uid("carol"), uid("eve")];
      const ab = directConversationId(a, b);
      const ac = directConversationId(a, c);
      const self = directConversationId(a, a);
      for (let i = 0; i < 4; i++) await append(directDraft(a, b));
      await append(directDraft(a, c));
      await append(directDraft(a, a));
      await storage.cursors.markDelivered(b, ab, 3);
      await storage.cursors.markRead(b, ab, 2);
      await storage.cursors.markRead(a, ab, 4);
      const bySeq = (list: PeerCursor[]) =>
        [...list].sort((x, y) => x.conversationId.localeCompare(y.conversationId));
      expect(
        bySeq(await storage.cursors.peerCursors(a, [ab, ac, self, ab])),
        "alice sees bob's and carol's cursors, not her own (her self-conversation has no peer)",
      ).toEqual(
        bySeq([
          { conversationId: ab, readSeq: 2, deliveredSeq: 3 },
          { conversationId: ac, readSeq: 0, deliveredSeq: 0 },
        ]),
      );
      expect(await storage.cursors.peerCursors(b, [ab]), "bob sees alice's cursor").toEqual([
        { conversationId: ab, readSeq: 4, deliveredSeq: 4 },
      ]);
      expect(
        await storage.cursors.peerCursors(outsider, [ab]),
        "an outsider learns nothing",
      ).toEqual([]);
      expect(await storage.cursors.peerCursors(a, []), "no ids").toEqual([]);
    });

    it("markDelivered and markRead only ever raise the cursors; read implies delivered", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const conversationId = directConversationId(a, b);
      for (let i = 0; i < 5; i++) await append(directDraft(a, b));
      const check = async (delivered: number, read: number, after: string) =>
        expect(await cursorOf(b, conversationId), `cursor after ${after}`).toEqual({
          conversationId,
          deliveredSeq: delivered,
          readSeq: read,
          lastSeq: 5,
        });
      await storage.cursors.markDelivered(b, conversationId, 2);
      await check(2, 0, "markDelivered(2)");
      await storage.cursors.markDelivered(b, conversationId, 1);
      await check(2, 0, "markDelivered(1) after 2: never lower");
      await storage.cursors.markRead(b, conversationId, 1);
      await check(2, 1, "markRead(1)");
      await storage.cursors.markRead(b, conversationId, 3);
      await check(3, 3, "markRead(3): read implies delivered");
      await storage.cursors.markRead(b, conversationId, 2);
      await check(3, 3, "markRead(2) after 3: never lower");
      await storage.cursors.markDelivered(b, conversationId, 1);
      await check(3, 3, "markDelivered(1) after 3");
      const summary = (await storage.cursors.conversations(b)).find(
        (c) => c.conversationId === conversationId,
      );
      expect(summary, "conversations() after reading").toMatchObject({
        lastSeq: 5,
        deliveredSeq: 3,
        readSeq: 3,
        unread: 2,
      });
    });

    it("conversations() lists newest activity first, with unread counts and the last message", async () => {
      const [a, b, c] = [uid("alice"), uid("bob"), uid("carol")];
      const t = Date.now();
      const withA = directConversationId(a, b);
      const withC = directConversationId(b, c);
      await append(directDraft(a, b, { ts: t - 3000, body: text("a1") }));
      await append(directDraft(c, b, { ts: t - 2000, body: text("c1") }));
      const order = async () =>
        (await storage.cursors.conversations(b)).map((s) => s.conversationId);
      expect(await order(), "the conversation with the newer message comes first").toEqual([
        withC,
        withA,
      ]);
      const last = await append(directDraft(a, b, { ts: t - 1000, body: text("a2 'latest' ✨") }));
      expect(await order(), "a new message moves its conversation to the front").toEqual([
        withA,
        withC,
      ]);
      const [first] = await storage.cursors.conversations(b);
      expect(first, "the summary of the newest conversation").toMatchObject({
        conversationId: withA,
        lastSeq: 2,
        deliveredSeq: 0,
        readSeq: 0,
        unread: 2,
      });
      expect(first?.lastMessage, "the summary carries the last message").toBeDefined();
      expectSameMessage(first!.lastMessage!, last.message, "lastMessage");
      expect(
        (await storage.cursors.conversations(b, { limit: 1 })).map((s) => s.conversationId),
        "conversations() with limit 1",
      ).toEqual([withA]);
      expect(
        (await storage.cursors.cursors(b)).map((cur) => cur.conversationId).sort(),
        "cursors() without a filter lists every conversation of the user",
      ).toEqual(sorted([withA, withC]));
    });

    it("concurrent cursors() calls of many users (as a reconnect storm's syncs make) each get their own cursors", async () => {
      const [a, b, c, nobody] = [uid("alice"), uid("bob"), uid("carol"), uid("nobody")];
      const ab = directConversationId(a, b);
      const ac = directConversationId(a, c);
      for (let i = 0; i < 3; i++) await append(directDraft(a, b));
      await append(directDraft(c, a));
      await storage.cursors.markDelivered(b, ab, 2);
      await storage.cursors.markRead(a, ac, 1);
      const users = [a, b, c, nobody, b];
      const byConversation = (cursors: Cursor[]) =>
        [...cursors].sort((x, y) => x.conversationId.localeCompare(y.conversationId));
      const expected = [
        [
          { conversationId: ab, deliveredSeq: 0, readSeq: 0, lastSeq: 3 },
          { conversationId: ac, deliveredSeq: 1, readSeq: 1, lastSeq: 1 },
        ],
        [{ conversationId: ab, deliveredSeq: 2, readSeq: 0, lastSeq: 3 }],
        [{ conversationId: ac, deliveredSeq: 0, readSeq: 0, lastSeq: 1 }],
        [],
        [{ conversationId: ab, deliveredSeq: 2, readSeq: 0, lastSeq: 3 }],
      ].map(byConversation);
      const answers = await Promise.all(users.map((u) => storage.cursors.cursors(u)));
      expect(answers.map(byConversation), "each user's own cursors").toEqual(expected);
      answers[1]![0]!.deliveredSeq = 99;
      expect(answers[4], "an answer shared with another caller is not changed by it").toEqual(
        expected[4],
      );
      const oneByOne: Cursor[][] = [];
      for (const u of users) oneByOne.push(byConversation(await storage.cursors.cursors(u)));
      expect(oneByOne, "the same answers as one call at a time").toEqual(expected);
    });

    it("a user not in a conversation gets nothing of it, and cursor writes for them do nothing", async () => {
      const [a, b, outsider] = [uid("alice"), uid("bob"), uid("eve")];
      const { message } = await append(directDraft(a, b));
      const conversationId = message.conversationId;
      await storage.cursors.markDelivered(outsider, conversationId, 1);
      await storage.cursors.markRead(outsider, conversationId, 1);
      await storage.cursors.markRead(a, directConversationId(uid("x"), uid("y")), 3);
      expect(await storage.cursors.cursors(outsider), "an outsider's cursors").toEqual([]);
      expect(
        await storage.cursors.cursors(outsider, [conversationId]),
        "an outsider's cursors, filtered",
      ).toEqual([]);
      expect(await storage.cursors.conversations(outsider), "an outsider's conversations").toEqual(
        [],
      );
      expect(
        sorted(await storage.cursors.participants(conversationId)),
        "participants must not grow by an outsider's markRead",
      ).toEqual(sorted([a, b]));
      expect(
        await storage.cursors.cursors(a, [directConversationId(uid("x"), uid("y"))]),
        "cursors of an unknown conversation",
      ).toEqual([]);
    });
  },
};

/**
 * The conformance suite of the `CursorStore` contract. Runs alone; `storageConformance` runs it with
 * the other storage suites.
 */
export function cursorStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} cursors conformance`, [cursorStoreSuite], options);
}
