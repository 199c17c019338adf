import { describe, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { directConversationId } from "../domain/conversation.js";
import type { MessageDraft } from "../domain/message.js";
import { newMessageId } from "../util/ids.js";
import { createMemoryStorage } from "./memory-storage.js";
import { createMemoryStorageBackend, storageState } from "./memory-storage-backend.js";

const AB = directConversationId("a", "b");
const AC = directConversationId("a", "c");

const draft = (overrides: Partial<MessageDraft> = {}): MessageDraft => ({
  messageId: newMessageId(),
  conversationId: AB,
  from: "a",
  to: { type: "user", id: "b" },
  body: { type: "text", text: "hi" },
  cid: newMessageId(),
  ts: 1000,
  participants: ["a", "b"],
  ...overrides,
});

/** Appends and settles the outbox entry, as the engine's fast path does. */
async function send(storage: Storage, overrides: Partial<MessageDraft> = {}) {
  const result = await storage.messages.append(draft(overrides));
  if (result.outboxId) await storage.outbox.markSent([result.outboxId]);
  return result.message;
}

const seqs = (messages: { seq: number }[]) => messages.map((m) => m.seq);

describe("memory storage retention", () => {
  it("keeps the newest maxMessagesPerConversation messages and says where they start", async () => {
    const storage = createMemoryStorage({ retention: { maxMessagesPerConversation: 3 } });
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(storage));
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([3, 4, 5]);
    expect(seqs(await storage.messages.range(AB, { limit: 10 })), "newest first").toEqual([
      5, 4, 3,
    ]);
    expect(seqs(await storage.messages.range(AB, { beforeSeq: 4, limit: 10 }))).toEqual([3]);
    expect(await storage.messages.get(sent[0]!.messageId), "dropped").toBeUndefined();
    expect((await storage.messages.get(sent[2]!.messageId))?.seq).toBe(3);
    const [cursor] = await storage.cursors.cursors("b", [AB]);
    expect(cursor).toMatchObject({ lastSeq: 5, oldestSeq: 3 });
    // Its idempotency key went with it: the same cid is a new message now.
    const again = await storage.messages.append(draft({ cid: sent[0]!.cid }));
    expect(again).toMatchObject({ created: true, message: { seq: 6 } });
    // A kept one still answers a repeated cid with the original.
    const repeat = await storage.messages.append(draft({ cid: sent[4]!.cid }));
    expect(repeat).toMatchObject({ created: false, message: { seq: 5 } });
  });

  it("keeps a message whose outbox entry is pending, and what follows it, until it is settled", async () => {
    const storage = createMemoryStorage({ retention: { maxMessagesPerConversation: 2 } });
    const first = await storage.messages.append(draft());
    for (let i = 0; i < 3; i++) await send(storage);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([
      1, 2, 3, 4,
    ]);
    expect((await storage.cursors.cursors("a", [AB]))[0]!.oldestSeq).toBeUndefined();
    // The relay can still claim it with its message.
    const claimed = await storage.outbox.claim({ limit: 10, leaseMs: 1 });
    expect(claimed.map((entry) => entry.message.seq)).toEqual([1]);
    // Settling the entry applies the limit at once.
    await storage.outbox.markSent([first.outboxId!]);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([3, 4]);
    await send(storage);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([4, 5]);
    expect((await storage.cursors.cursors("a", [AB]))[0]!.oldestSeq).toBe(4);
  });

  it("drops messages older than maxAgeMs in every conversation when one is appended", async () => {
    let now = 10_000;
    const storage = createMemoryStorage({ retention: { maxAgeMs: 1000 }, now: () => now });
    await send(storage, { ts: 10_000 });
    await send(storage, { ts: 10_500 });
    await send(storage, {
      conversationId: AC,
      to: { type: "user", id: "c" },
      participants: ["a", "c"],
      ts: 10_600,
    });
    now = 11_000;
    await send(storage, {
      conversationId: AC,
      to: { type: "user", id: "c" },
      participants: ["a", "c"],
      ts: 11_000,
    });
    expect(
      seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 })),
      "1000 ms old",
    ).toEqual([1, 2]);
    now = 11_501;
    await send(storage, {
      conversationId: AC,
      to: { type: "user", id: "c" },
      participants: ["a", "c"],
      ts: 11_501,
    });
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([]);
    expect(seqs(await storage.messages.range(AC, { afterSeq: 0, limit: 10 }))).toEqual([1, 2, 3]);
    const [cursor] = await storage.cursors.cursors("b", [AB]);
    expect(cursor, "none left: lastSeq + 1").toMatchObject({ lastSeq: 2, oldestSeq: 3 });
    const [summary] = await storage.cursors.conversations("b");
    expect(summary).toMatchObject({ conversationId: AB, lastSeq: 2 });
    expect(summary!.lastMessage).toBeUndefined();
  });

  it("drops a message's change log entries, deletions and clears with it", async () => {
    const backend = createMemoryStorageBackend();
    const storage = createMemoryStorage({ backend, retention: { maxMessagesPerConversation: 2 } });
    const state = storageState(backend);
    const first = await send(storage);
    const second = await send(storage);
    const edited = await storage.changes.edit({
      messageId: first.messageId,
      by: "a",
      body: { type: "text", text: "a long secret edit" },
      ts: 1001,
    });
    await storage.outbox.markSent([edited.outboxId]);
    for (const result of [
      await storage.changes.deleteForMe({ messageId: first.messageId, userId: "b", ts: 1002 }),
      await storage.changes.clearConversation({
        conversationId: AB,
        userId: "a",
        upToSeq: 1,
        ts: 1003,
      }),
      await storage.changes.deleteForMe({ messageId: second.messageId, userId: "b", ts: 1004 }),
    ]) {
      await storage.outbox.markSent([result!.outboxId]);
    }
    expect((await storage.changes.changesAfter(AB, 0, 10, "b")).map((c) => c.kind)).toEqual([
      "edited",
      "deleted",
      "deleted",
    ]);
    await send(storage);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([2, 3]);
    // Only the change of the kept message is left; changeSeqs keep their places.
    const left = await storage.changes.changesAfter(AB, 0, 10, "b");
    expect(left.map((c) => [c.kind, c.changeSeq, c.seq])).toEqual([["deleted", 4, 2]]);
    expect((await storage.changes.lastChangeSeqs([AB])).get(AB)).toBe(4);
    expect(JSON.stringify(state.changeLogs.get(AB))).not.toContain("secret");
    expect([...state.hidden.values()].map((s) => [...s])).toEqual([[2]]);
    expect(state.clearedUpTo.size, "the clear covered only dropped messages").toBe(0);
    expect(state.changeSeqsByMessage.has(first.messageId)).toBe(false);
  });

  it("a pinned message holds back its own conversation only: age retention goes on in the others", async () => {
    let now = 10_000;
    const storage = createMemoryStorage({ retention: { maxAgeMs: 1000 }, now: () => now });
    const toC = {
      conversationId: AC,
      to: { type: "user" as const, id: "c" },
      participants: ["a", "c"],
    };
    // An outbox entry that never settles pins AB's first message.
    await storage.messages.append(draft({ ts: 10_000 }));
    await send(storage, { ts: 10_100 });
    await send(storage, { ...toC, ts: 10_200 });
    await send(storage, { ...toC, ts: 10_300 });
    now = 12_000;
    await send(storage, { ...toC, ts: 12_000 });
    expect(seqs(await storage.messages.range(AC, { afterSeq: 0, limit: 10 }))).toEqual([3]);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([1, 2]);
    now = 14_000;
    await send(storage, { ...toC, ts: 14_000 });
    expect(seqs(await storage.messages.range(AC, { afterSeq: 0, limit: 10 }))).toEqual([4]);
  });

  it("pages correctly across the compaction of a long conversation", async () => {
    const storage = createMemoryStorage({ retention: { maxMessagesPerConversation: 10 } });
    for (let i = 0; i < 3000; i++) await send(storage);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 100 }))).toEqual([
      2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999, 3000,
    ]);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 2995, limit: 2 }))).toEqual([
      2996, 2997,
    ]);
    expect(seqs(await storage.messages.range(AB, { beforeSeq: 2993, limit: 5 }))).toEqual([
      2992, 2991,
    ]);
    expect((await storage.cursors.cursors("a", [AB]))[0]!.oldestSeq).toBe(2991);
    const last = await storage.cursors.conversations("a");
    expect(last[0]!.lastMessage?.seq).toBe(3000);
  });

  it("keeps every message without the option", async () => {
    const storage = createMemoryStorage();
    for (let i = 0; i < 5; i++) await send(storage);
    expect(seqs(await storage.messages.range(AB, { afterSeq: 0, limit: 10 }))).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect((await storage.cursors.cursors("a", [AB]))[0]).not.toHaveProperty("oldestSeq");
  });

  it("refuses bad retention options", () => {
    expect(() => createMemoryStorage({ retention: { maxMessagesPerConversation: 0 } })).toThrow(
      /retention.maxMessagesPerConversation/,
    );
    expect(() => createMemoryStorage({ retention: { maxMessagesPerConversation: 1.5 } })).toThrow(
      /retention.maxMessagesPerConversation/,
    );
    expect(() => createMemoryStorage({ retention: { maxAgeMs: 0 } })).toThrow(/retention.maxAgeMs/);
  });
});

describe("memory outbox", () => {
  it("purge counts the sent entries created before a time, whatever order they were sent in", async () => {
    const storage = createMemoryStorage();
    const results = [];
    for (const ts of [100, 100, 200, 300, 100]) {
      results.push(await storage.messages.append(draft({ ts })));
    }
    const ids = results.map((r) => r.outboxId!);
    await storage.outbox.markSent([ids[4]!, ids[2]!, ids[0]!, ids[1]!]);
    await storage.outbox.markSent([ids[0]!]); // already sent: nothing changes
    expect((await storage.outbox.stats()).pending).toBe(1);
    expect(await storage.outbox.purge(100)).toBe(0);
    expect(await storage.outbox.purge(201)).toBe(4);
    expect(await storage.outbox.purge(10_000), "the pending one stays").toBe(0);
    await storage.outbox.markSent([ids[3]!]);
    expect(await storage.outbox.purge(10_000)).toBe(1);
  });
});
