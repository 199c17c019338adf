import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { directConversationId } from "../domain/conversation.js";
import type { Message, MessageDraft } from "../domain/message.js";
import type { MessageBody } from "../protocol/schemas.js";
import { newMessageId } from "../util/ids.js";
import { oneTo, sorted, uid } from "./fixtures.js";
import {
  CUSTOM_DATA,
  directDraft,
  expectSameMessage,
  TRICKY_TEXTS,
  text,
} from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `MessageStore` tests: seqs without gaps or repeats under concurrency, deduplication by (from, cid), paging, recall, bodies that round-trip byte for byte. */
export const messageStoreSuite: StorageSuite = {
  name: "messages",
  tests(context) {
    const { append, allMessages, open } = context;
    let storage: Storage;
    beforeAll(() => {
      storage = context.storage;
    });

    it("append stores a new message: seq 1, created:true, an outboxId, and get() returns it", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const draft = directDraft(a, b, { body: { type: "text", text: "hello" } });
      const result = await append(draft);
      expect(result.created, "the first append of a (from, cid) must report created:true").toBe(
        true,
      );
      expect(
        typeof result.outboxId,
        "a created message must come with the id of its outbox entry",
      ).toBe("string");
      expect(result.message, "append must return the stored message").toMatchObject({
        messageId: draft.messageId,
        conversationId: draft.conversationId,
        seq: 1,
        from: a,
        to: { type: "user", id: b },
        body: { type: "text", text: "hello" },
        cid: draft.cid,
        ts: draft.ts,
      });
      expect(result.message.recalled ?? false, "a new message is not recalled").toBe(false);
      const stored = await storage.messages.get(draft.messageId);
      expect(stored, "get(messageId) must return the appended message").toBeDefined();
      expectSameMessage(stored!, result.message, "get() after append");
    });

    it("200 concurrent appends to one conversation get seqs exactly 1..200 (no gap, no repeat)", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const drafts = Array.from({ length: 200 }, (_, i) =>
        directDraft(a, b, { body: { type: "text", text: `m${i}` } }),
      );
      const results = await Promise.all(drafts.map((draft) => append(draft)));
      const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
      expect(seqs, "seqs handed out to 200 concurrent appends").toEqual(oneTo(200));
      results.forEach((result, i) => {
        expect(result.created, `append #${i} must be created`).toBe(true);
        expect(result.message.messageId, `append #${i} must return its own message`).toBe(
          drafts[i]!.messageId,
        );
        expect(result.message.body, `append #${i} must return its own body`).toEqual(
          drafts[i]!.body,
        );
      });
      const stored = await allMessages(drafts[0]!.conversationId);
      expect(
        stored.map((m) => m.seq),
        "range() must return the 200 messages with seqs 1..200",
      ).toEqual(oneTo(200));
      const bySeq = new Map(results.map((r) => [r.message.seq, r.message.messageId]));
      for (const message of stored) {
        expect(message.messageId, `the message stored at seq ${message.seq}`).toBe(
          bySeq.get(message.seq),
        );
      }
    });

    it("100 concurrent appends through two store instances sharing the backend get seqs 1..100", async () => {
      const other = await open();
      const [a, b] = [uid("alice"), uid("bob")];
      const drafts = Array.from({ length: 100 }, (_, i) =>
        directDraft(i % 2 ? a : b, i % 2 ? b : a, { body: { type: "text", text: `m${i}` } }),
      );
      const results = await Promise.all(
        drafts.map((draft, i) => append(draft, i % 2 ? storage : other)),
      );
      expect(
        results.map((r) => r.message.seq).sort((x, y) => x - y),
        "seqs handed out by two instances to one conversation",
      ).toEqual(oneTo(100));
    });

    it("a repeated (from, cid) returns the earlier message with created:false and writes nothing (sequential)", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const draft = directDraft(a, b, { body: { type: "text", text: "original" } });
      const pendingBefore = (await storage.outbox.stats()).pending;
      const first = await append(draft);
      const repeat: MessageDraft = {
        ...draft,
        messageId: newMessageId(),
        body: { type: "text", text: "a retry with another body" },
        ts: draft.ts + 5,
      };
      const second = await append(repeat);
      expect(second.created, "the repeat of a (from, cid) must report created:false").toBe(false);
      expect(second.outboxId, "a repeat must not report an outbox entry").toBeUndefined();
      expectSameMessage(second.message, first.message, "the repeat's result");
      expect(
        await storage.messages.get(repeat.messageId),
        "the repeat's own messageId must not be stored",
      ).toBeUndefined();
      expect(
        (await storage.outbox.stats()).pending - pendingBefore,
        "one message and its repeat must write exactly one outbox entry",
      ).toBe(1);
      const next = await append(directDraft(a, b));
      expect(next.message.seq, "a repeat must not consume a seq").toBe(2);
      const third = await append({ ...draft, messageId: newMessageId() });
      expect(third.created, "a third try of the same (from, cid)").toBe(false);
      expect(third.message.seq).toBe(1);
    });

    it("the same (from, cid) appended 10 times concurrently (through two instances) stores one message", async () => {
      const other = await open();
      const [a, b] = [uid("alice"), uid("bob")];
      const cid = uid("cid");
      const drafts = Array.from({ length: 10 }, (_, i) =>
        directDraft(a, b, { cid, body: { type: "text", text: `try ${i}` } }),
      );
      const results = await Promise.all(
        drafts.map((draft, i) => append(draft, i % 2 ? other : storage)),
      );
      expect(
        results.filter((r) => r.created).length,
        "exactly one of 10 concurrent appends of one (from, cid) may report created:true",
      ).toBe(1);
      const winner = results.find((r) => r.created)!.message;
      for (const [i, result] of results.entries()) {
        expect(
          result.message.messageId,
          `concurrent repeat #${i} must return the one message`,
        ).toBe(winner.messageId);
        expect(result.message.seq, `concurrent repeat #${i} must return its seq`).toBe(1);
      }
      expect(
        drafts.map((d) => d.messageId),
        "the stored messageId must be one of the drafts'",
      ).toContain(winner.messageId);
      const stored = await allMessages(drafts[0]!.conversationId);
      expect(
        stored.map((m) => m.seq),
        "the conversation must hold one message",
      ).toEqual([1]);
      const next = await append(directDraft(a, b));
      expect(next.message.seq, "concurrent repeats must not consume seqs").toBe(2);
    });

    it("the same cid from two senders makes two messages; a unicode cid deduplicates", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const cid = `cid-😀-'"-${uid("x")}`;
      const fromA = await append(directDraft(a, b, { cid }));
      const fromB = await append(directDraft(b, a, { cid }));
      expect(fromA.created && fromB.created, "cids are unique per sender only").toBe(true);
      expect(sorted([fromA.message.seq, fromB.message.seq])).toEqual([1, 2]);
      const repeat = await append(directDraft(a, b, { cid }));
      expect(repeat.created, "a repeated unicode cid must deduplicate").toBe(false);
      expect(repeat.message.messageId).toBe(fromA.message.messageId);
    });

    it("range pages ascending with afterSeq and descending with beforeSeq; pages join with no gap", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const conversationId = directConversationId(a, b);
      for (let i = 1; i <= 25; i++) {
        await append(directDraft(i % 2 ? a : b, i % 2 ? b : a, { body: text(`#${i}`) }));
      }
      const seqsOf = (messages: Message[]) => messages.map((m) => m.seq);
      const range = storage.messages.range.bind(storage.messages, conversationId);

      expect(seqsOf(await range({ afterSeq: 0, limit: 10 })), "afterSeq 0, limit 10").toEqual(
        oneTo(10),
      );
      expect(seqsOf(await range({ afterSeq: 10, limit: 10 })), "afterSeq 10, limit 10").toEqual(
        oneTo(10).map((n) => n + 10),
      );
      expect(seqsOf(await range({ afterSeq: 20, limit: 10 })), "afterSeq 20, limit 10").toEqual([
        21, 22, 23, 24, 25,
      ]);
      expect(await range({ afterSeq: 25, limit: 10 }), "afterSeq = lastSeq").toEqual([]);
      expect(
        seqsOf(await range({ beforeSeq: 26, limit: 10 })),
        "beforeSeq 26, limit 10 (newest first)",
      ).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
      expect(seqsOf(await range({ beforeSeq: 6, limit: 10 })), "beforeSeq 6, limit 10").toEqual([
        5, 4, 3, 2, 1,
      ]);
      expect(await range({ beforeSeq: 1, limit: 10 }), "beforeSeq 1").toEqual([]);
      expect(
        seqsOf(await range({ limit: 7 })),
        "neither afterSeq nor beforeSeq: the newest page, newest first",
      ).toEqual([25, 24, 23, 22, 21, 20, 19]);

      const ascending: number[] = [];
      for (let after = 0, guard = 0; guard < 10; guard++) {
        const page = await range({ afterSeq: after, limit: 7 });
        expect(page.length, "an ascending page must respect limit 7").toBeLessThanOrEqual(7);
        if (page.length === 0) break;
        ascending.push(...seqsOf(page));
        after = page[page.length - 1]!.seq;
      }
      expect(ascending, "ascending pages of 7 joined").toEqual(oneTo(25));

      const descending: number[] = [];
      for (let before = 26, guard = 0; guard < 10; guard++) {
        const page = await range({ beforeSeq: before, limit: 7 });
        expect(page.length, "a descending page must respect limit 7").toBeLessThanOrEqual(7);
        if (page.length === 0) break;
        descending.push(...seqsOf(page));
        before = page[page.length - 1]!.seq;
      }
      expect(descending, "descending pages of 7 joined").toEqual(oneTo(25).reverse());

      const page = await range({ afterSeq: 3, limit: 2 });
      expect(
        page.map((m) => m.body),
        "range returns the bodies",
      ).toEqual([text("#4"), text("#5")]);
      expect(
        await storage.messages.range(directConversationId(uid("x"), uid("y")), { limit: 10 }),
        "range of an unknown conversation",
      ).toEqual([]);
    });

    it("concurrent ascending range() calls (as a reconnect storm's syncs make) each get their own page", async () => {
      const [a, b, c] = [uid("alice"), uid("bob"), uid("carol")];
      const ab = directConversationId(a, b);
      const ac = directConversationId(a, c);
      for (let i = 1; i <= 6; i++) await append(directDraft(a, b, { body: text(`ab${i}`) }));
      for (let i = 1; i <= 3; i++) await append(directDraft(c, a, { body: text(`ac${i}`) }));
      const asks: [string, { afterSeq: number; limit: number }][] = [
        [ab, { afterSeq: 0, limit: 2 }],
        [ac, { afterSeq: 0, limit: 10 }],
        [ab, { afterSeq: 3, limit: 10 }],
        [ab, { afterSeq: 6, limit: 10 }],
        [directConversationId(uid("x"), uid("y")), { afterSeq: 0, limit: 10 }],
        [ac, { afterSeq: 1, limit: 1 }],
        [ab, { afterSeq: 0, limit: 2 }],
        [ab, { afterSeq: 0, limit: 0 }],
      ];
      const pages = await Promise.all(
        asks.map(([conversationId, query]) => storage.messages.range(conversationId, query)),
      );
      const texts = (page: Message[]) =>
        page.map(
          (m) =>
            `${m.conversationId === ab ? "ab" : "ac"}:${m.seq}:${(m.body as { text: string }).text}`,
        );
      expect(pages.map(texts), "each caller's own page, ascending").toEqual([
        ["ab:1:ab1", "ab:2:ab2"],
        ["ac:1:ac1", "ac:2:ac2", "ac:3:ac3"],
        ["ab:4:ab4", "ab:5:ab5", "ab:6:ab6"],
        [],
        [],
        ["ac:2:ac2"],
        ["ab:1:ab1", "ab:2:ab2"],
        [],
      ]);
      const oneByOne: Message[][] = [];
      for (const [conversationId, query] of asks) {
        oneByOne.push(await storage.messages.range(conversationId, query));
      }
      expect(pages, "the same answers as one call at a time").toEqual(oneByOne);
      pages[0]![0]!.body = text("changed");
      expect(texts(pages[6]!), "an answer shared with another caller is not changed by it").toEqual(
        ["ab:1:ab1", "ab:2:ab2"],
      );
    });

    it("get returns undefined for an unknown id; recall marks recalled/recalledBy, idempotently", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      expect(await storage.messages.get(newMessageId()), "get(unknown id)").toBeUndefined();
      expect(
        await storage.messages.recall(newMessageId(), a),
        "recall(unknown id) must return undefined",
      ).toBeUndefined();
      const { message } = await append(directDraft(a, b, { body: text("oops") }));
      const recalled = await storage.messages.recall(message.messageId, a);
      expect(recalled, "recall must return the message").toMatchObject({
        messageId: message.messageId,
        seq: message.seq,
        recalled: true,
        recalledBy: a,
      });
      expect(await storage.messages.get(message.messageId), "get() after recall").toMatchObject({
        recalled: true,
        recalledBy: a,
      });
      const again = await storage.messages.recall(message.messageId, a);
      expect(again, "a second recall").toMatchObject({
        messageId: message.messageId,
        recalled: true,
      });
      const [fromRange] = await storage.messages.range(message.conversationId, {
        afterSeq: 0,
        limit: 1,
      });
      expect(fromRange?.recalled, "range() shows the message recalled").toBe(true);
    });

    it("bodies with quotes, SQL, emoji, right-to-left marks and other unicode round-trip byte for byte", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const conversationId = directConversationId(a, b);
      for (const original of TRICKY_TEXTS) {
        const { message } = await append(directDraft(a, b, { body: text(original) }));
        const stored = await storage.messages.get(message.messageId);
        const got = stored?.body.type === "text" ? stored.body.text : undefined;
        expect(
          Buffer.from(got ?? "", "utf8").equals(Buffer.from(original, "utf8")),
          `text ${JSON.stringify(original.slice(0, 60))} must round-trip byte for byte, got ${JSON.stringify(got?.slice(0, 60))}`,
        ).toBe(true);
      }
      const media: MessageBody = {
        type: "file",
        url: "https://files.example/ü/a b?x=1&y='2'",
        name: 'résumé "final" 📄.pdf',
        size: 12345,
        mime: "application/pdf",
      };
      const location: MessageBody = {
        type: "location",
        lat: -33.8688197,
        lng: 151.2092955,
        label: "Sydney 🇦🇺",
      };
      const custom: MessageBody = { type: "custom", data: CUSTOM_DATA };
      for (const body of [media, location, custom]) {
        const { message } = await append(directDraft(a, b, { body }));
        expect(
          (await storage.messages.get(message.messageId))?.body,
          `a ${body.type} body`,
        ).toEqual(body);
      }
      const texts = (await allMessages(conversationId))
        .map((m) => (m.body.type === "text" ? m.body.text : undefined))
        .filter((t) => t !== undefined);
      expect(texts, "range() returns the same texts").toEqual(TRICKY_TEXTS);
    });

    it("mutating a draft or a returned message does not change what is stored", async () => {
      const [a, b] = [uid("alice"), uid("bob")];
      const body = { type: "custom" as const, data: { list: [1, 2], flag: true } };
      const draft = directDraft(a, b, { body });
      const { message } = await append(draft);
      body.data.list.push(3);
      body.data.flag = false;
      (message.body as { data: { list: number[] } }).data.list.push(4);
      const stored = await storage.messages.get(message.messageId);
      expect(stored?.body, "the stored body").toEqual({
        type: "custom",
        data: { list: [1, 2], flag: true },
      });
    });
  },
};

/**
 * The conformance suite of the `MessageStore` contract. Runs alone; `storageConformance` runs it with
 * the other storage suites.
 */
export function messageStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} messages conformance`, [messageStoreSuite], options);
}
