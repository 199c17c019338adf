import { beforeAll, describe, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { directConversationId } from "../domain/conversation.js";
import type { Message, MessageDraft } from "../domain/message.js";
import { type MessageChangeLimits, mentionsUser } from "../domain/message-change.js";
import type { MessageBody } from "../protocol/schemas.js";
import { newMessageId } from "../util/ids.js";
import { expectImError, oneTo, uid } from "./fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/**
 * Options of {@link messageChangeConformance}: the storage suite options
 * with {@link StorageSuiteOptions.createWithLimits} required.
 */
export interface MessageChangeSuiteOptions extends StorageSuiteOptions {
  /**
   * A new instance with these message change limits (over the same backend
   * as `create`), to check the caps without writing hundreds of rows.
   */
  createWithLimits: (limits: Partial<MessageChangeLimits>) => Promise<Storage>;
}

/**
 * The `MessageChangeStore` tests (`storage.changes`, and what it adds to
 * `MessageStore`); {@link messageChangeConformance} runs them alone. The
 * caps' tests need `createWithLimits` (capability `messageChangeLimits`).
 */
export const messageChangeSuite: StorageSuite = {
  name: "message changes",
  tests(context) {
    let storage: Storage;
    const smallLimits = { maxReactionsPerMessage: 3, maxPinsPerConversation: 2 };
    beforeAll(() => {
      storage = context.storage;
    });
    /** An instance with the small caps, opened once by the first test that needs it. */
    let small: Promise<Storage> | undefined;
    const smallStorage = () => {
      small ??= context.openWithLimits(smallLimits);
      return small;
    };

    /** A direct conversation between two new users, with `count` text messages. */
    async function conversation(texts: string[] = ["one", "two", "three"], on = storage) {
      const [a, b] = [uid("alice"), uid("bob")];
      const base = Date.now() - 60_000;
      const messages: Message[] = [];
      for (const [i, value] of texts.entries()) {
        const from = i % 2 === 0 ? a : b;
        const { message } = await on.messages.append(
          draft(from, from === a ? b : a, { body: text(value), ts: base + i * 10 }),
        );
        messages.push(message);
      }
      return { a, b, conversationId: directConversationId(a, b), messages, base };
    }

    describe("append extras", () => {
      it("stores replyTo and mentions, and returns them from get and range", async () => {
        const { a, b, conversationId, messages } = await conversation(["quoted text"]);
        const quoted = messages[0]!;
        const replyTo = {
          messageId: quoted.messageId,
          seq: quoted.seq,
          from: a,
          excerpt: "quoted",
        };
        const { message } = await storage.messages.append(
          draft(b, a, { replyTo, mentions: [a, "all"] }),
        );
        expect(message.replyTo, "append returns the reply reference").toEqual(replyTo);
        expect(message.mentions, "append returns the mentions").toEqual([a, "all"]);
        const got = await storage.messages.get(message.messageId);
        expect(got?.replyTo, "get returns the reply reference").toEqual(replyTo);
        expect(got?.mentions).toEqual([a, "all"]);
        const [page] = await storage.messages.range(conversationId, { afterSeq: 1, limit: 5 });
        expect(page?.replyTo, "range returns the reply reference").toEqual(replyTo);
        expect(page?.mentions).toEqual([a, "all"]);
        const plain = await storage.messages.get(quoted.messageId);
        expect(plain?.replyTo, "a plain message has no replyTo").toBeUndefined();
        expect(plain?.mentions, "a plain message has no mentions").toBeUndefined();
      });

      it("stores a forward origin, returns it from get, range and the conversation list", async () => {
        const { a, b, conversationId, messages } = await conversation(["original"]);
        const origin = messages[0]!;
        const c = uid("carol");
        const forwarded = {
          messageId: origin.messageId,
          conversationId,
          from: a,
        };
        const { message } = await storage.messages.append(
          draft(b, c, { body: origin.body, forwarded }),
        );
        expect(message.forwarded, "append returns the forward origin").toEqual(forwarded);
        const got = await storage.messages.get(message.messageId);
        expect(got?.forwarded, "get returns the forward origin").toEqual(forwarded);
        const [page] = await storage.messages.range(directConversationId(b, c), {
          afterSeq: 0,
          limit: 5,
        });
        expect(page?.forwarded, "range returns the forward origin").toEqual(forwarded);
        const [summary] = (await storage.cursors.conversations(c)).filter(
          (s) => s.conversationId === directConversationId(b, c),
        );
        expect(summary?.lastMessage?.forwarded, "the list's last message").toEqual(forwarded);
        const hidden = { messageId: origin.messageId, conversationId };
        const { message: anonymous } = await storage.messages.append(
          draft(b, c, { forwarded: hidden }),
        );
        expect(anonymous.forwarded, "an origin without a sender").toEqual(hidden);
        expect(origin.forwarded, "a plain message is not forwarded").toBeUndefined();
      });

      it("refuses a malformed forward origin with bad_request, writing nothing", async () => {
        const [a, b] = [uid("alice"), uid("bob")];
        const bad = draft(a, b, {
          forwarded: { messageId: 7, conversationId: "d:x:y" } as unknown as NonNullable<
            MessageDraft["forwarded"]
          >,
        });
        await expectImError(storage.messages.append(bad), "bad_request", "a numeric messageId");
        expect(await storage.messages.get(bad.messageId)).toBeUndefined();
      });

      it("refuses an overlong excerpt and too many mentions with too_large, writing nothing", async () => {
        const [a, b] = [uid("alice"), uid("bob")];
        const long = draft(a, b, {
          replyTo: { messageId: newMessageId(), seq: 1, from: b, excerpt: "x".repeat(201) },
        });
        await expectImError(storage.messages.append(long), "too_large", "a 201-unit excerpt");
        const many = draft(a, b, { mentions: oneTo(51).map((i) => `u${i}`) });
        await expectImError(storage.messages.append(many), "too_large", "51 mentions");
        expect(await storage.messages.get(long.messageId)).toBeUndefined();
        expect(await storage.messages.get(many.messageId)).toBeUndefined();
      });
    });

    describe("edit", () => {
      it("replaces the body, sets editedAt, keeps the history and writes an edited change", async () => {
        const { a, conversationId, messages } = await conversation(["first"]);
        const target = messages[0]!;
        const ts = Date.now();
        const first = await storage.changes.edit({
          messageId: target.messageId,
          by: a,
          body: text("second"),
          ts,
        });
        expect(first.message).toMatchObject({ body: text("second"), editedAt: ts });
        expect(first.change).toMatchObject({
          conversationId,
          changeSeq: 1,
          kind: "edited",
          messageId: target.messageId,
          seq: 1,
          by: a,
          body: text("second"),
        });
        expect(typeof first.outboxId).toBe("string");
        await storage.changes.edit({
          messageId: target.messageId,
          by: a,
          body: text("third"),
          ts: ts + 1,
        });
        const stored = await storage.messages.get(target.messageId);
        expect(stored).toMatchObject({ body: text("third"), editedAt: ts + 1 });
        const history = await storage.changes.editHistory(target.messageId);
        expect(history.map((e) => e.body)).toEqual([text("first"), text("second")]);
        expect(history.map((e) => e.replacedAt)).toEqual([ts, ts + 1]);
      });

      it("refuses a recalled message (conflict), another user (forbidden), an unknown one (not_found), a type change (bad_request)", async () => {
        const { a, b, conversationId, messages } = await conversation(["one", "two"]);
        const [mine, theirs] = messages as [Message, Message];
        await storage.messages.recall(mine.messageId, a);
        const before = await storage.changes.lastChangeSeqs([conversationId]);
        const edit = (messageId: string, by: string, body: MessageBody = text("new")) =>
          storage.changes.edit({ messageId, by, body, ts: Date.now() });
        await expectImError(edit(mine.messageId, a), "conflict", "edit of a recalled message");
        await expectImError(edit(theirs.messageId, a), "forbidden", "edit of another's message");
        await expectImError(edit(newMessageId(), a), "not_found", "edit of an unknown message");
        await expectImError(
          edit(theirs.messageId, b, { type: "custom", data: 1 }),
          "bad_request",
          "an edit that changes the body type",
        );
        expect(await storage.changes.lastChangeSeqs([conversationId])).toEqual(before);
        expect((await storage.messages.get(theirs.messageId))?.body).toEqual(text("two"));
      });

      context.itWith(
        "messageChangeLimits",
        "keeps only the latest earlier body when keepEditHistory is false",
        async () => {
          const latestOnly = await context.openWithLimits({ keepEditHistory: false });
          const { a, messages } = await conversation(["v1"], latestOnly);
          const messageId = messages[0]!.messageId;
          for (const value of ["v2", "v3"]) {
            await latestOnly.changes.edit({ messageId, by: a, body: text(value), ts: Date.now() });
          }
          const history = await latestOnly.changes.editHistory(messageId);
          expect(history.map((e) => e.body)).toEqual([text("v2")]);
        },
      );
    });

    describe("recall", () => {
      it("writes one recalled change; a repeat writes none", async () => {
        const { a, conversationId, messages } = await conversation(["one"]);
        await storage.messages.recall(messages[0]!.messageId, a);
        await storage.messages.recall(messages[0]!.messageId, a);
        const changes = await storage.changes.changesAfter(conversationId, 0, 10);
        expect(changes).toHaveLength(1);
        expect(changes[0]).toMatchObject({ kind: "recalled", by: a, changeSeq: 1, seq: 1 });
      });
    });

    describe("reactions", () => {
      it("adds, aggregates with mine, ignores a duplicate and removes", async () => {
        const { a, b, conversationId, messages } = await conversation(["one", "two"]);
        const [m1, m2] = messages as [Message, Message];
        const react = (messageId: string, userId: string, key: string) =>
          storage.changes.react({ messageId, userId, key, ts: Date.now() });
        expect(await react(m1.messageId, a, "👍")).toMatchObject({
          change: { kind: "reacted", key: "👍", by: a },
        });
        expect(await react(m1.messageId, b, "👍")).toBeDefined();
        expect(await react(m1.messageId, b, "👍"), "a duplicate reaction changes nothing").toBe(
          undefined,
        );
        expect(await react(m2.messageId, b, "👩‍👩‍👧‍👦")).toBeDefined();
        const seen = await storage.changes.reactions([m1.messageId, m2.messageId], a);
        expect(seen).toEqual(
          [
            { messageId: m1.messageId, key: "👍", count: 2, mine: true },
            { messageId: m2.messageId, key: "👩‍👩‍👧‍👦", count: 1, mine: false },
          ].sort((x, y) => (x.messageId < y.messageId ? -1 : 1)),
        );
        const removed = await storage.changes.unreact({
          messageId: m1.messageId,
          userId: a,
          key: "👍",
          ts: Date.now(),
        });
        expect(removed?.change.kind).toBe("unreacted");
        expect(
          await storage.changes.unreact({
            messageId: m1.messageId,
            userId: a,
            key: "👍",
            ts: Date.now(),
          }),
          "removing an absent reaction changes nothing",
        ).toBeUndefined();
        expect(await storage.changes.reactions([m1.messageId], a)).toEqual([
          { messageId: m1.messageId, key: "👍", count: 1, mine: false },
        ]);
        const kinds = (await storage.changes.changesAfter(conversationId, 0, 100)).map(
          (c) => c.kind,
        );
        expect(kinds).toEqual(["reacted", "reacted", "reacted", "unreacted"]);
      });

      context.itWith(
        "messageChangeLimits",
        "refuses past the cap (conflict), bad keys, unknown and recalled messages",
        async () => {
          const small = await smallStorage();
          const { a, b, messages } = await conversation(["one", "two"], small);
          const [m1, m2] = messages as [Message, Message];
          const react = (messageId: string, userId: string, key: string) =>
            small.changes.react({ messageId, userId, key, ts: Date.now() });
          await react(m1.messageId, a, "1");
          await react(m1.messageId, a, "2");
          await react(m1.messageId, b, "1");
          await expectImError(react(m1.messageId, b, "3"), "conflict", "a 4th reaction (cap 3)");
          expect(await react(m1.messageId, b, "1"), "a duplicate at the cap is still fine").toBe(
            undefined,
          );
          await expectImError(react(m2.messageId, a, "x".repeat(33)), "too_large", "a 33-unit key");
          await expectImError(react(m2.messageId, a, ""), "bad_request", "an empty key");
          await expectImError(react(m2.messageId, a, "a\nb"), "bad_request", "a control character");
          await expectImError(react(newMessageId(), a, "1"), "not_found", "an unknown message");
          await small.messages.recall(m2.messageId, b);
          await expectImError(react(m2.messageId, a, "1"), "conflict", "a recalled message");
          expect(await small.changes.reactions([m2.messageId], a)).toEqual([]);
        },
      );
    });

    describe("pins", () => {
      context.itWith(
        "messageChangeLimits",
        "pins, lists newest first, ignores a repeat, caps, unpins",
        async () => {
          const small = await smallStorage();
          const { a, b, conversationId, messages } = await conversation(
            ["1", "2", "3", "4"],
            small,
          );
          const [m1, m2, m3, m4] = messages as [Message, Message, Message, Message];
          const pin = (messageId: string, ts: number) =>
            small.changes.pin({ messageId, by: a, ts });
          const now = Date.now();
          expect((await pin(m1.messageId, now))?.change.kind).toBe("pinned");
          expect(
            await pin(m1.messageId, now + 1),
            "a repeated pin changes nothing",
          ).toBeUndefined();
          await pin(m2.messageId, now + 2);
          await expectImError(pin(m3.messageId, now + 3), "conflict", "a 3rd pin (cap 2)");
          expect(await small.changes.pins(conversationId)).toEqual([
            { messageId: m2.messageId, seq: 2, pinnedBy: a, pinnedAt: now + 2 },
            { messageId: m1.messageId, seq: 1, pinnedBy: a, pinnedAt: now },
          ]);
          const unpinned = await small.changes.unpin({ messageId: m1.messageId, by: b, ts: now });
          expect(unpinned?.change).toMatchObject({ kind: "unpinned", by: b });
          expect(await small.changes.unpin({ messageId: m1.messageId, by: b, ts: now })).toBe(
            undefined,
          );
          await small.messages.recall(m4.messageId, b);
          await expectImError(pin(m4.messageId, now), "conflict", "a pin of a recalled message");
          expect((await small.changes.pins(conversationId)).map((p) => p.messageId)).toEqual([
            m2.messageId,
          ]);
        },
      );
    });

    describe("delete for me and clear", () => {
      it("hides for that user only, in range with viewer, with a private change", async () => {
        const { a, b, conversationId, messages } = await conversation(["1", "2", "3", "4"]);
        const seqs = (list: Message[]) => list.map((m) => m.seq);
        const deleted = await storage.changes.deleteForMe({
          messageId: messages[1]!.messageId,
          userId: a,
          ts: Date.now(),
        });
        expect(deleted?.change).toMatchObject({ kind: "deleted", visibleTo: a, seq: 2 });
        expect(
          await storage.changes.deleteForMe({
            messageId: messages[1]!.messageId,
            userId: a,
            ts: Date.now(),
          }),
        ).toBeUndefined();
        const range = (viewer?: string) =>
          storage.messages.range(conversationId, { afterSeq: 0, limit: 10, viewer });
        expect(seqs(await range(a))).toEqual([1, 3, 4]);
        expect(seqs(await range(b))).toEqual([1, 2, 3, 4]);
        expect(seqs(await range())).toEqual([1, 2, 3, 4]);
        expect(
          seqs(
            await storage.messages.range(conversationId, { beforeSeq: 4, limit: 10, viewer: a }),
          ),
        ).toEqual([3, 1]);
        const cleared = await storage.changes.clearConversation({
          conversationId,
          userId: b,
          upToSeq: 3,
          ts: Date.now(),
        });
        expect(cleared?.change).toMatchObject({
          kind: "cleared",
          seq: 3,
          messageId: messages[2]!.messageId,
          visibleTo: b,
        });
        expect(
          await storage.changes.clearConversation({
            conversationId,
            userId: b,
            upToSeq: 2,
            ts: Date.now(),
          }),
          "clearing less than already cleared changes nothing",
        ).toBeUndefined();
        expect(seqs(await range(b))).toEqual([4]);
        expect(seqs(await range(a))).toEqual([1, 3, 4]);
        const kindsFor = async (viewer?: string) =>
          (await storage.changes.changesAfter(conversationId, 0, 10, viewer)).map((c) => c.kind);
        expect(await kindsFor(a)).toEqual(["deleted"]);
        expect(await kindsFor(b)).toEqual(["cleared"]);
        expect(await kindsFor()).toEqual([]);
        await expectImError(
          storage.changes.clearConversation({ conversationId, userId: a, upToSeq: 9, ts: 0 }),
          "not_found",
          "clearing past the last seq",
        );
        await expectImError(
          storage.changes.clearConversation({ conversationId, userId: a, upToSeq: 0, ts: 0 }),
          "bad_request",
          "clearing up to seq 0",
        );
      });
    });

    describe("change log", () => {
      it("pages changesAfter ascending with changeSeq 1..n", async () => {
        const { a, conversationId, messages } = await conversation(["1"]);
        for (const key of ["a", "b", "c", "d", "e"]) {
          await storage.changes.react({
            messageId: messages[0]!.messageId,
            userId: a,
            key,
            ts: Date.now(),
          });
        }
        const seen: number[] = [];
        for (let after = 0; ; ) {
          const page = await storage.changes.changesAfter(conversationId, after, 2);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(2);
          seen.push(...page.map((c) => c.changeSeq));
          after = page[page.length - 1]!.changeSeq;
        }
        expect(seen).toEqual([1, 2, 3, 4, 5]);
        expect(await storage.changes.lastChangeSeqs([conversationId, "d:none:nobody"])).toEqual(
          new Map([
            [conversationId, 5],
            ["d:none:nobody", 0],
          ]),
        );
      });

      it("hands out unique, gap-free changeSeqs under concurrent writes from two instances", async () => {
        const other = await context.open();
        const { a, b, conversationId, messages } = await conversation(["1", "2"]);
        const writes = oneTo(30).map((i) => {
          const on = i % 2 === 0 ? storage : other;
          const messageId = messages[i % 2]!.messageId;
          return on.changes.react({ messageId, userId: i % 3 === 0 ? a : b, key: `k${i}`, ts: i });
        });
        const results = await Promise.all(writes);
        const seqs = results.map((r) => r!.change.changeSeq).sort((x, y) => x - y);
        expect(seqs).toEqual(oneTo(30));
        const log = await storage.changes.changesAfter(conversationId, 0, 100);
        expect(log.map((c) => c.changeSeq)).toEqual(oneTo(30));
      });

      it("writes change outbox entries that a default claim skips and a change claim returns", async () => {
        const { a, b, conversationId, messages } = await conversation(["1"]);
        const messageBacklog = (await storage.outbox.stats()).pending;
        const result = await storage.changes.react({
          messageId: messages[0]!.messageId,
          userId: a,
          key: "🎉",
          ts: Date.now(),
        });
        const hidden = await storage.changes.deleteForMe({
          messageId: messages[0]!.messageId,
          userId: b,
          ts: Date.now(),
        });
        expect(
          (await storage.outbox.stats()).pending,
          "the default stats count message entries only",
        ).toBe(messageBacklog);
        expect((await storage.outbox.stats({ kinds: ["change"] })).pending).toBeGreaterThan(0);
        // Released into the past, so the adapter's outbox grace does not matter.
        await storage.outbox.markFailed([result!.outboxId, hidden!.outboxId], 0);
        const plain = await storage.outbox.claim({ limit: 1000, leaseMs: 1 });
        expect(plain.map((e) => e.id)).not.toContain(result!.outboxId);
        const claimed = await storage.outbox.claim({
          limit: 1000,
          leaseMs: 60_000,
          kinds: ["change"],
        });
        const entry = claimed.find((e) => e.id === result!.outboxId);
        expect(entry).toMatchObject({
          kind: "change",
          conversationId,
          changeSeq: 1,
          change: { kind: "reacted", key: "🎉", changeSeq: 1 },
          message: { messageId: messages[0]!.messageId },
        });
        expect([...entry!.participants].sort()).toEqual([a, b].sort());
        const privateEntry = claimed.find((e) => e.id === hidden!.outboxId);
        expect(privateEntry?.participants, "a private change goes to its user only").toEqual([b]);
        await storage.outbox.markSent(claimed.map((e) => e.id));
      });
    });

    describe("mention counts", () => {
      it("counts unread mentions of the user or all, not their own, recalled or hidden", async () => {
        const [a, b] = [uid("alice"), uid("bob")];
        const conversationId = directConversationId(a, b);
        const send = async (from: string, mentions?: string[]) =>
          (await storage.messages.append(draft(from, from === a ? b : a, { mentions }))).message;
        const first = await send(a, [b]);
        const toAll = await send(a, ["all"]);
        const own = await send(b, [b]);
        expect([first, toAll, own].map((m) => mentionsUser(m, b))).toEqual([true, true, false]);
        const recalled = await send(a, [b]);
        const hidden = await send(a, [b]);
        await send(a, [b]);
        await storage.messages.recall(recalled.messageId, a);
        await storage.changes.deleteForMe({ messageId: hidden.messageId, userId: b, ts: 0 });
        const counts = await storage.changes.mentionCounts(b, [conversationId]);
        expect(counts.get(conversationId)).toBe(3);
        await storage.cursors.markRead(b, conversationId, 2);
        expect((await storage.changes.mentionCounts(b, [conversationId])).get(conversationId)).toBe(
          1,
        );
        expect((await storage.changes.mentionCounts(a, [conversationId])).has(conversationId)).toBe(
          false,
        );
      });
    });

    describe("search", () => {
      it("finds words newest first, with filters, never recalled or deleted-for-me", async () => {
        const word = `zebra${uid("w").replace(/[^a-z0-9]/g, "")}`;
        const { a, b, conversationId, messages, base } = await conversation([
          `the ${word} runs`,
          `a ${word} sleeps`,
          "nothing here",
          `${word} again`,
          `recalled ${word}`,
          `hidden ${word}`,
        ]);
        const other = await conversation([`elsewhere ${word}`]);
        await storage.messages.recall(messages[4]!.messageId, a);
        await storage.changes.deleteForMe({ messageId: messages[5]!.messageId, userId: a, ts: 0 });
        const search = (extra: Record<string, unknown> = {}, viewer = a) =>
          storage.changes
            .search({ text: word, conversationIds: [conversationId], viewer, ...extra })
            .then((page) => page.messages.map((m) => m.seq));
        expect(await search()).toEqual([4, 2, 1]);
        expect(await search({}, b), "only the viewer's deletions are left out").toEqual([
          6, 4, 2, 1,
        ]);
        expect(await search({ from: b })).toEqual([4, 2]);
        expect(await search({ bodyType: "image" })).toEqual([]);
        expect(await search({ since: base + 10, until: base + 40 })).toEqual([4, 2]);
        expect(await search({ text: `${word.toUpperCase()} sleeps` })).toEqual([2]);
        expect(await search({ text: "zebr" }), "whole words only").toEqual([]);
        const both = await storage.changes.search({
          text: word,
          conversationIds: [conversationId, other.conversationId],
          viewer: a,
        });
        expect(both.messages).toHaveLength(4);
        const none = await storage.changes.search({ text: word, conversationIds: [], viewer: a });
        expect(none.messages).toEqual([]);

        const seen: number[] = [];
        let page = await storage.changes.search({
          text: word,
          conversationIds: [conversationId],
          viewer: a,
          limit: 2,
        });
        seen.push(...page.messages.map((m) => m.seq));
        expect(page.next).toBeDefined();
        page = await storage.changes.search({
          text: word,
          conversationIds: [conversationId],
          viewer: a,
          limit: 2,
          after: page.next!,
        });
        seen.push(...page.messages.map((m) => m.seq));
        expect(seen).toEqual([4, 2, 1]);
        expect(page.next).toBeUndefined();
      });

      it("finds an edited message by its new words only", async () => {
        const oldWord = uid("old").replace(/[^a-z0-9]/g, "");
        const newWord = uid("new").replace(/[^a-z0-9]/g, "");
        const { a, conversationId, messages } = await conversation([`say ${oldWord}`]);
        await storage.changes.edit({
          messageId: messages[0]!.messageId,
          by: a,
          body: text(`say ${newWord}`),
          ts: Date.now(),
        });
        const find = async (word: string) =>
          (
            await storage.changes.search({
              text: word,
              conversationIds: [conversationId],
              viewer: a,
            })
          ).messages.length;
        expect(await find(newWord)).toBe(1);
        expect(await find(oldWord)).toBe(0);
      });

      it("refuses an empty text, an overlong text and too many conversations", async () => {
        const viewer = uid("u");
        await expectImError(
          storage.changes.search({ text: " !? ", conversationIds: ["d:a:b"], viewer }),
          "bad_request",
          "a text without words",
        );
        await expectImError(
          storage.changes.search({ text: "x".repeat(257), conversationIds: ["d:a:b"], viewer }),
          "too_large",
          "a 257-unit text",
        );
        await expectImError(
          storage.changes.search({
            text: "x",
            conversationIds: oneTo(1001).map((i) => `d:a:${i}`),
            viewer,
          }),
          "bad_request",
          "1001 conversations",
        );
      });
    });
  },
};

/**
 * The conformance suite of `MessageChangeStore` and of what it adds to
 * `MessageStore` (reply and mention fields, `range` with a `viewer`, the
 * change a recall writes). Every storage adapter runs it against its real
 * backend. It writes `change` outbox entries and claims them: give it a
 * backend no relay works on.
 *
 * @example
 * ```ts
 * messageChangeConformance({
 *   name: "postgres",
 *   create: () => createPostgresStore({ connectionString, schema }),
 *   createWithLimits: (messageChanges) => createPostgresStore({ connectionString, schema, messageChanges }),
 * });
 * ```
 */
export function messageChangeConformance(options: MessageChangeSuiteOptions): void {
  runStorageSuites(`${options.name} message change conformance`, [messageChangeSuite], options);
}

function text(value: string): MessageBody {
  return { type: "text", text: value };
}

function draft(from: string, to: string, overrides: Partial<MessageDraft> = {}): MessageDraft {
  return {
    messageId: newMessageId(),
    conversationId: directConversationId(from, to),
    from,
    to: { type: "user", id: to },
    body: text("hello"),
    cid: uid("cid"),
    ts: Date.now(),
    participants: [from, to],
    ...overrides,
  };
}
