import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutboxStore } from "../contracts/outbox-store.js";
import type { Storage } from "../contracts/storage.js";
import { directConversationId, groupConversationId } from "../domain/conversation.js";
import type { Cursor, PeerCursor } from "../domain/cursor.js";
import type { Message, MessageDraft } from "../domain/message.js";
import type { ClaimedOutboxEntry } from "../domain/outbox.js";
import type { MessageBody } from "../protocol/schemas.js";
import { newMessageId } from "../util/ids.js";
import { eventually } from "./eventually.js";
import { oneTo, sorted, uid } from "./fixtures.js";
import type { SuiteOptions } from "./suite-options.js";

/** Texts that break naive escaping, encoding or normalization. None holds U+0000 (PostgreSQL text cannot). */
const TRICKY_TEXTS: readonly string[] = [
  `He said "hello" and 'bye' and \`tick\``,
  "'; DROP TABLE x; --",
  "Robert'); DROP TABLE messages;-- ",
  "back\\slash \\\\ \\n \\u0000 \\x00 (literal backslashes)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point
  "$1 $$ %s %d ${x} {{x}} :name ? @p0",
  "line1\nline2\r\nline3\ttab\vvt\fff",
  "<script>alert('x')</script> &amp; &lt; ]]>",
  "emoji 😀 👩‍👩‍👧‍👦 🇯🇵 👍🏽 🏳️‍🌈",
  "\u200Fright-to-left mark, \u202Eoverride\u202C, עברית, العربية",
  "zero\u200Bwidth\u200Cnon-joiner\u200Djoiner, \uFEFF BOM inside",
  "combining e\u0301 vs precomposed \u00E9: must not be normalized",
  "CJK 中文 日本語 한국어, astral 𝕏 𝄞 𠜎",
  "separators \u2028 and \u2029 and \u0085",
  '{"looks":"like json"} [1,2] null true',
  "  leading and trailing spaces  ",
  "长".repeat(5000),
];

const CUSTOM_DATA = {
  nested: { list: [1, 2.5, -3, 1e21, 0.30000000000000004, "s", null, true, false] },
  "key with spaces": "v",
  ключ: "значение 🔑",
  emptyObject: {},
  emptyList: [],
  quotes: `"'\``,
};

/**
 * The conformance suite of the {@link Storage} contracts (`MessageStore`,
 * `CursorStore`, `GroupStore`, `OutboxStore`). Every storage adapter runs it
 * against its real backend.
 *
 * `create` is called several times (two instances must share data, as two
 * nodes share one database); every test uses ids with a random suffix, so a
 * backend that holds other data is fine. The outbox tests assume nothing
 * else claims or purges this backend's outbox while the suite runs; they
 * release entries with `markFailed(ids, past)` so that the adapter's outbox
 * grace does not matter.
 *
 * @example
 * ```ts
 * storageConformance({
 *   name: "postgres",
 *   // `createPostgresStore` from `@lucky-im/store-postgres`; each call opens its own pool.
 *   create: () => createPostgresStore({ connectionString, schema }),
 *   destroy: (storage) => storage.close(),
 * });
 * ```
 */
export function storageConformance(options: SuiteOptions<Storage>): void {
  describe(`${options.name} storage conformance`, () => {
    const instances: Storage[] = [];
    let storage: Storage;

    const open = async (): Promise<Storage> => {
      const instance = await options.create();
      instances.push(instance);
      return instance;
    };

    beforeAll(async () => {
      storage = await open();
    });

    afterAll(async () => {
      for (const instance of instances.splice(0)) {
        if (options.destroy) await options.destroy(instance);
        else await instance.close();
      }
    });

    /** Appends and fails with a clear message when the store refuses. */
    const append = (draft: MessageDraft, on: Storage = storage) => on.messages.append(draft);

    /** Every message of a conversation, by ascending pages of `pageSize`. */
    async function allMessages(conversationId: string, pageSize = 50): Promise<Message[]> {
      const result: Message[] = [];
      for (let afterSeq = 0; result.length < 100_000; ) {
        const page = await storage.messages.range(conversationId, { afterSeq, limit: pageSize });
        if (page.length === 0) return result;
        result.push(...page);
        afterSeq = page[page.length - 1]!.seq;
      }
      return result;
    }

    async function cursorOf(userId: string, conversationId: string): Promise<Cursor | undefined> {
      const cursors = await storage.cursors.cursors(userId, [conversationId]);
      return cursors.find((c) => c.conversationId === conversationId);
    }

    describe("messages", () => {
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
        expect(
          texts(pages[6]!),
          "an answer shared with another caller is not changed by it",
        ).toEqual(["ab:1:ab1", "ab:2:ab2"]);
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
    });

    describe("outbox", () => {
      /** Makes entries due now, whatever the adapter's grace (counts one attempt). */
      const release = (ids: string[], on: OutboxStore = storage.outbox) =>
        on.markFailed(ids, Date.now() - 60_000);

      /** Claims until every id in `ids` was returned; other entries claimed meanwhile stay leased. */
      async function claimAll(
        ids: string[],
        leaseMs: number,
      ): Promise<Map<string, ClaimedOutboxEntry>> {
        const wanted = new Set(ids);
        const got = new Map<string, ClaimedOutboxEntry>();
        await eventually(
          async () => {
            for (const entry of await storage.outbox.claim({ limit: 500, leaseMs })) {
              if (wanted.has(entry.id)) got.set(entry.id, entry);
            }
            expect(
              ids.filter((id) => !got.has(id)),
              "entries not claimed yet",
            ).toEqual([]);
          },
          { timeoutMs: 15_000, intervalMs: 50, message: "claim() to return the released entries" },
        );
        return got;
      }

      /** Appends `n` messages (ts in the past) and returns their outbox ids. */
      async function appendMany(
        n: number,
      ): Promise<{ ids: string[]; results: Awaited<ReturnType<typeof append>>[] }> {
        const [a, b] = [uid("alice"), uid("bob")];
        const results = [];
        for (let i = 0; i < n; i++) {
          results.push(
            await append(directDraft(a, b, { ts: Date.now() - 600_000, body: text(`o${i}`) })),
          );
        }
        return { ids: results.map((r) => r.outboxId!), results };
      }

      it("append writes one pending entry; claim returns it with its message and participants, and leases it", async () => {
        const [a, b] = [uid("alice"), uid("bob")];
        const draft = directDraft(a, b, { ts: Date.now() - 600_000, body: text("outbox me") });
        const { outboxId, message } = await append(draft);
        expect(outboxId, "append must return the outbox entry id").toBeTypeOf("string");
        await release([outboxId!]);
        const entry = (await claimAll([outboxId!], 60_000)).get(outboxId!)!;
        expect(entry, "the claimed entry").toMatchObject({
          id: outboxId,
          messageId: message.messageId,
          conversationId: message.conversationId,
          status: "pending",
        });
        expect(entry.attempts, "attempts after one release").toBe(1);
        expectSameMessage(entry.message, message, "the claimed entry's message");
        expect(sorted(entry.participants), "the claimed entry's participants").toEqual(
          sorted([a, b]),
        );
        const again = await storage.outbox.claim({ limit: 1000, leaseMs: 60_000 });
        expect(
          again.map((e) => e.id),
          "an entry whose lease holds must not be claimed again",
        ).not.toContain(outboxId);
      });

      it("concurrent claimers (two claim() calls and a second instance) never receive the same entry", async () => {
        const other = await open();
        const { ids } = await appendMany(30);
        await release(ids);
        const claims = await Promise.all([
          storage.outbox.claim({ limit: 20, leaseMs: 60_000 }),
          storage.outbox.claim({ limit: 20, leaseMs: 60_000 }),
          other.outbox.claim({ limit: 20, leaseMs: 60_000 }),
        ]);
        for (const [i, claim] of claims.entries()) {
          expect(claim.length, `claimer #${i} must respect limit 20`).toBeLessThanOrEqual(20);
        }
        const counts = new Map<string, number>();
        for (const entry of claims.flat()) counts.set(entry.id, (counts.get(entry.id) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
        expect(twice, "entries handed to more than one concurrent claimer").toEqual([]);
        const raced = new Set(counts.keys());
        const rest = ids.filter((id) => !raced.has(id));
        const late = rest.length ? await claimAll(rest, 60_000) : new Map();
        expect(
          [...late.keys()].filter((id) => raced.has(id)),
          "entries claimed again while their lease holds",
        ).toEqual([]);
      });

      it("an entry whose lease expired is claimed again", async () => {
        const { ids } = await appendMany(1);
        await release(ids);
        await claimAll(ids, 200);
        await claimAll(ids, 60_000);
      });

      it("markSent: a sent entry is never claimed again (idempotent)", async () => {
        const { ids } = await appendMany(2);
        const [sent, sentinel] = ids as [string, string];
        await release(ids);
        await claimAll(ids, 200);
        await storage.outbox.markSent([sent]);
        await storage.outbox.markSent([sent]);
        // Once the sentinel's 200 ms lease lapsed, the sent entry's would have too.
        const seen = new Set<string>();
        await eventually(
          async () => {
            for (const e of await storage.outbox.claim({ limit: 500, leaseMs: 60_000 }))
              seen.add(e.id);
            expect(seen.has(sentinel), "the sentinel came back").toBe(true);
          },
          {
            timeoutMs: 15_000,
            intervalMs: 50,
            message: "the sentinel entry to be claimable again",
          },
        );
        expect(seen.has(sent), "an entry marked sent must never be claimed again").toBe(false);
      });

      it("markFailed with a future retryAt hides the entry until then, and counts the attempt", async () => {
        const { ids } = await appendMany(1);
        const id = ids[0]!;
        await release(ids);
        const first = (await claimAll(ids, 60_000)).get(id)!;
        await storage.outbox.markFailed([id], Date.now() + 60_000);
        const hidden = await storage.outbox.claim({ limit: 1000, leaseMs: 60_000 });
        expect(
          hidden.map((e) => e.id),
          "an entry failed with a retryAt 60 s ahead must not be claimable",
        ).not.toContain(id);
        await storage.outbox.markFailed([id], Date.now() - 60_000);
        const retried = (await claimAll(ids, 60_000)).get(id)!;
        expect(retried.attempts, "each markFailed counts one attempt").toBe(first.attempts + 2);
      });

      it("stats counts pending entries and gives the oldest pending creation time", async () => {
        const before = (await storage.outbox.stats()).pending;
        const { ids } = await appendMany(3);
        const after = await storage.outbox.stats();
        expect(after.pending - before, "pending count after 3 appends").toBe(3);
        await release(ids);
        const claimed = await claimAll(ids, 60_000);
        const oldest = Math.min(...[...claimed.values()].map((e) => e.createdAt));
        expect(after.oldestPendingAt, "oldestPendingAt with pending entries").toBeTypeOf("number");
        expect(
          after.oldestPendingAt!,
          "oldestPendingAt is no later than our entries",
        ).toBeLessThanOrEqual(oldest);
        await storage.outbox.markSent([ids[0]!]);
        expect(
          (await storage.outbox.stats()).pending - before,
          "pending count after one markSent",
        ).toBe(2);
      });

      it("purge deletes sent entries created before a time, and never pending ones", async () => {
        // Leaves only this test's sent entries (every entry of this backend is the suite's).
        await storage.outbox.purge(Date.now() + 86_400_000);
        const { ids } = await appendMany(3);
        const [sentA, sentB, pending] = ids as [string, string, string];
        await release(ids);
        const claimed = await claimAll(ids, 60_000);
        await storage.outbox.markSent([sentA, sentB]);
        const created = [claimed.get(sentA)!.createdAt, claimed.get(sentB)!.createdAt];
        const pendingBefore = (await storage.outbox.stats()).pending;
        expect(
          await storage.outbox.purge(Math.min(...created) - 1),
          "purge before the entries were created",
        ).toBe(0);
        expect(await storage.outbox.purge(Math.max(...created) + 1), "purge after them").toBe(2);
        expect(await storage.outbox.purge(Math.max(...created) + 1), "a second purge").toBe(0);
        expect((await storage.outbox.stats()).pending, "purge must keep pending entries").toBe(
          pendingBefore,
        );
        await release([pending]);
        await claimAll([pending], 60_000);
      });
    });

    describe("cursors", () => {
      it("the first append of a direct conversation creates a cursor for both participants", async () => {
        const [a, b] = [uid("alice"), uid("bob")];
        const { message } = await append(directDraft(a, b));
        expect(
          sorted(await storage.cursors.participants(message.conversationId)),
          "participants() after the first append",
        ).toEqual(sorted([a, b]));
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

      it("markMany (when the store has it) follows the single-cursor rules, for many users and conversations at once", async () => {
        const markMany = storage.cursors.markMany?.bind(storage.cursors);
        if (!markMany) return;
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
      });

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
        const markMany = storage.cursors.markMany?.bind(storage.cursors);
        if (!markMany) return;
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
      });

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
        const last = await append(
          directDraft(a, b, { ts: t - 1000, body: text("a2 'latest' ✨") }),
        );
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
        expect(
          await storage.cursors.conversations(outsider),
          "an outsider's conversations",
        ).toEqual([]);
        expect(
          sorted(await storage.cursors.participants(conversationId)),
          "participants must not grow by an outsider's markRead",
        ).toEqual(sorted([a, b]));
        expect(
          await storage.cursors.cursors(a, [directConversationId(uid("x"), uid("y"))]),
          "cursors of an unknown conversation",
        ).toEqual([]);
      });
    });

    describe("groups", () => {
      async function newGroup(memberCount = 2) {
        const groupId = uid("g");
        const ownerId = uid("owner");
        const memberIds = Array.from({ length: memberCount }, (_, i) => uid(`m${i}`));
        const createdAt = Date.now() - 10_000;
        const group = await storage.groups.create({
          groupId,
          name: `Team ✨ "quoted" 'name'`,
          ownerId,
          memberIds,
          createdAt,
        });
        return {
          group,
          groupId,
          ownerId,
          memberIds,
          createdAt,
          conversationId: groupConversationId(groupId),
        };
      }

      const sendToGroup = (groupId: string, from: string, participants: string[]) =>
        append({
          messageId: newMessageId(),
          conversationId: groupConversationId(groupId),
          from,
          to: { type: "group", id: groupId },
          body: text("to the group"),
          cid: uid("cid"),
          ts: Date.now(),
          participants,
        });

      it("create stores the group with the owner as owner and the others as members, with their cursors", async () => {
        const { group, groupId, ownerId, memberIds, createdAt, conversationId } = await newGroup();
        const [m0, m1] = memberIds as [string, string];
        expect(group, "create() returns the group").toMatchObject({
          groupId,
          name: `Team ✨ "quoted" 'name'`,
          ownerId,
          mutedAll: false,
          createdAt,
        });
        const stored = await storage.groups.get(groupId);
        expect(stored, "get() after create").toMatchObject({
          groupId,
          ownerId,
          mutedAll: false,
          createdAt,
        });
        const roles = Object.fromEntries(stored!.members.map((m) => [m.userId, m.role]));
        expect(roles, "member roles").toEqual({
          [ownerId]: "owner",
          [m0]: "member",
          [m1]: "member",
        });
        for (const member of stored!.members) {
          expect(member.joinedAt, `joinedAt of ${member.userId}`).toBe(createdAt);
        }
        expect(await storage.groups.member(groupId, m0), "member()").toMatchObject({
          userId: m0,
          role: "member",
        });
        expect(
          await storage.groups.member(groupId, uid("stranger")),
          "member() of a stranger",
        ).toBeUndefined();
        expect(sorted(await storage.groups.memberIds(groupId)), "memberIds()").toEqual(
          sorted([ownerId, m0, m1]),
        );
        expect(await storage.groups.groupsOf(m0), "groupsOf(member)").toContain(groupId);
        expect(await storage.groups.groupsOf(ownerId), "groupsOf(owner)").toContain(groupId);
        expect(
          sorted(await storage.cursors.participants(conversationId)),
          "create() gives every member a cursor in g:<groupId>",
        ).toEqual(sorted([ownerId, m0, m1]));
        expect(await cursorOf(m1, conversationId), "a new member's cursor").toEqual({
          conversationId,
          deliveredSeq: 0,
          readSeq: 0,
          lastSeq: 0,
        });
        expect(await storage.groups.get(uid("nope")), "get() of an unknown group").toBeUndefined();
        expect(
          await storage.groups.memberIds(uid("nope")),
          "memberIds() of an unknown group",
        ).toEqual([]);
      });

      it("addMembers returns the ids added and gives them cursors at the current last seq", async () => {
        const { groupId, ownerId, memberIds, conversationId } = await newGroup();
        const everyone = [ownerId, ...memberIds];
        for (let i = 0; i < 3; i++) await sendToGroup(groupId, ownerId, everyone);
        const [n0, n1] = [uid("new0"), uid("new1")];
        const joinedAt = Date.now();
        const added = await storage.groups.addMembers(groupId, [memberIds[0]!, n0, n1], joinedAt);
        expect(sorted(added), "addMembers returns only the ids it added").toEqual(sorted([n0, n1]));
        expect(await storage.groups.member(groupId, n0), "an added member").toMatchObject({
          userId: n0,
          role: "member",
          joinedAt,
        });
        expect(
          await cursorOf(n0, conversationId),
          "an added member's cursor starts at lastSeq, which is its join point (sync and history start after it)",
        ).toEqual({
          conversationId,
          deliveredSeq: 3,
          readSeq: 3,
          lastSeq: 3,
          joinedSeq: 3,
        });
        const summary = (await storage.cursors.conversations(n1)).find(
          (c) => c.conversationId === conversationId,
        );
        expect(summary?.unread, "an added member has nothing unread of the history").toBe(0);
        expect(
          summary?.lastMessage,
          "an added member is not shown a message from before they joined",
        ).toBeUndefined();
        expect(
          (await cursorOf(ownerId, conversationId))?.joinedSeq,
          "a member from the start has no join point",
        ).toBeUndefined();
        expect(await storage.groups.groupsOf(n1), "groupsOf(added member)").toContain(groupId);
        expect(sorted(await storage.groups.memberIds(groupId)), "memberIds after add").toEqual(
          sorted([...everyone, n0, n1]),
        );
        expect(
          await storage.groups.addMembers(groupId, [n0, n1], joinedAt),
          "adding them again",
        ).toEqual([]);
      });

      it("removeMembers returns the ids that were members and deletes their cursors", async () => {
        const { groupId, ownerId, memberIds, conversationId } = await newGroup();
        const [m0, m1] = memberIds as [string, string];
        await sendToGroup(groupId, ownerId, [ownerId, m0, m1]);
        const removed = await storage.groups.removeMembers(groupId, [m0, uid("stranger")]);
        expect(removed, "removeMembers returns only former members").toEqual([m0]);
        expect(
          await storage.groups.member(groupId, m0),
          "member() of a removed member",
        ).toBeUndefined();
        expect(sorted(await storage.groups.memberIds(groupId)), "memberIds after remove").toEqual(
          sorted([ownerId, m1]),
        );
        expect(await storage.groups.groupsOf(m0), "groupsOf(removed member)").not.toContain(
          groupId,
        );
        expect(
          await storage.cursors.cursors(m0, [conversationId]),
          "a removed member's cursor",
        ).toEqual([]);
        expect(
          (await storage.cursors.conversations(m0)).map((c) => c.conversationId),
          "a removed member's conversations",
        ).not.toContain(conversationId);
        expect(
          sorted(await storage.cursors.participants(conversationId)),
          "participants after remove",
        ).toEqual(sorted([ownerId, m1]));
      });

      it("setRole, muteMember and update change what get() and member() return", async () => {
        const { groupId, memberIds } = await newGroup();
        const [m0, m1] = memberIds as [string, string];
        await storage.groups.setRole(groupId, m0, "admin");
        expect((await storage.groups.member(groupId, m0))?.role, "role after setRole(admin)").toBe(
          "admin",
        );
        const until = Date.now() + 60_000;
        await storage.groups.muteMember(groupId, m1, until);
        expect(
          (await storage.groups.member(groupId, m1))?.mutedUntil,
          "mutedUntil after mute",
        ).toBe(until);
        await storage.groups.muteMember(groupId, m1, null);
        expect(
          (await storage.groups.member(groupId, m1))?.mutedUntil ?? undefined,
          "mutedUntil after unmute (null)",
        ).toBeUndefined();
        await storage.groups.update(groupId, { name: "renamed 🎉" });
        expect(await storage.groups.get(groupId), "get() after update({name})").toMatchObject({
          name: "renamed 🎉",
          mutedAll: false,
        });
        await storage.groups.update(groupId, { mutedAll: true });
        expect(await storage.groups.get(groupId), "get() after update({mutedAll})").toMatchObject({
          name: "renamed 🎉",
          mutedAll: true,
        });
      });

      it("transferOwner makes the new owner owner and the old one admin", async () => {
        const { groupId, ownerId, memberIds } = await newGroup();
        const [m0, m1] = memberIds as [string, string];
        await storage.groups.transferOwner(groupId, m0);
        const group = await storage.groups.get(groupId);
        expect(group?.ownerId, "ownerId after transfer").toBe(m0);
        expect(
          Object.fromEntries(group!.members.map((m) => [m.userId, m.role])),
          "roles after transfer",
        ).toEqual({ [ownerId]: "admin", [m0]: "owner", [m1]: "member" });
      });

      it("dismiss deletes the group, its members and their cursors; messages stay", async () => {
        const { groupId, ownerId, memberIds, conversationId } = await newGroup();
        await sendToGroup(groupId, ownerId, [ownerId, ...memberIds]);
        await sendToGroup(groupId, memberIds[0]!, [ownerId, ...memberIds]);
        await storage.groups.dismiss(groupId);
        expect(await storage.groups.get(groupId), "get() after dismiss").toBeUndefined();
        expect(await storage.groups.memberIds(groupId), "memberIds() after dismiss").toEqual([]);
        expect(
          await storage.groups.groupsOf(ownerId),
          "groupsOf(owner) after dismiss",
        ).not.toContain(groupId);
        expect(
          await storage.cursors.participants(conversationId),
          "participants after dismiss",
        ).toEqual([]);
        expect(
          await storage.cursors.cursors(memberIds[0]!, [conversationId]),
          "a member's cursor",
        ).toEqual([]);
        expect(
          (await storage.messages.range(conversationId, { afterSeq: 0, limit: 10 })).map(
            (m) => m.seq,
          ),
          "messages of a dismissed group stay",
        ).toEqual([1, 2]);
      });
    });

    it("ping answers true; close is idempotent and leaves other instances working", async () => {
      const extra = await open();
      expect(await extra.ping(), "ping() of an open storage").toBe(true);
      await extra.close();
      await extra.close();
      expect(await storage.ping(), "another instance after one closed").toBe(true);
      const result = await append(directDraft(uid("alice"), uid("bob")));
      expect(result.created, "another instance still appends after one closed").toBe(true);
    });
  });
}

function text(value: string): MessageBody {
  return { type: "text", text: value };
}

function directDraft(
  from: string,
  to: string,
  overrides: Partial<MessageDraft> = {},
): MessageDraft {
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

/** Compares the fields every store returns the same way (optional flags may be absent or false). */
function expectSameMessage(actual: Message, expected: Message, what: string): void {
  const core = (m: Message) => ({
    messageId: m.messageId,
    conversationId: m.conversationId,
    seq: m.seq,
    from: m.from,
    to: m.to,
    body: m.body,
    cid: m.cid,
    ts: m.ts,
    recalled: m.recalled ?? false,
  });
  expect(core(actual), what).toEqual(core(expected));
}
