import { describe, expect, it } from "vitest";
import { directConversationId } from "../domain/conversation.js";
import type { MessageDraft } from "../domain/message.js";
import { hasErrorCode } from "../errors.js";
import { newMessageId } from "../util/ids.js";
import { createMemoryRateLimiter } from "./memory-rate-limiter.js";
import { createMemoryStorage } from "./memory-storage.js";
import { createMemoryStorageBackend } from "./memory-storage-backend.js";

const draft = (overrides: Partial<MessageDraft> = {}): MessageDraft => ({
  messageId: newMessageId(),
  conversationId: directConversationId("a", "b"),
  from: "a",
  to: { type: "user", id: "b" },
  body: { type: "text", text: "hi" },
  cid: newMessageId(),
  ts: 1000,
  participants: ["a", "b"],
  ...overrides,
});

describe("memory storage", () => {
  it("makes a new outbox entry claimable outboxGraceMs after the message's ts", async () => {
    let now = 1000;
    const storage = createMemoryStorage({ outboxGraceMs: 500, now: () => now });
    const { outboxId } = await storage.messages.append(draft({ ts: 1000 }));
    now = 1499;
    expect(await storage.outbox.claim({ limit: 10, leaseMs: 100 }), "within the grace").toEqual([]);
    now = 1500;
    const [entry] = await storage.outbox.claim({ limit: 10, leaseMs: 100 });
    expect(entry).toMatchObject({
      id: outboxId,
      nextAttemptAt: 1500,
      leaseUntil: 1600,
      attempts: 0,
    });
    now = 1599;
    expect(await storage.outbox.claim({ limit: 10, leaseMs: 100 }), "while leased").toEqual([]);
    now = 1600;
    expect(await storage.outbox.claim({ limit: 10, leaseMs: 100 }), "lease over").toHaveLength(1);
  });

  it("caps range pages at maxPageSize", async () => {
    const storage = createMemoryStorage({ maxPageSize: 3 });
    for (let i = 0; i < 5; i++) await storage.messages.append(draft());
    const conversationId = directConversationId("a", "b");
    expect(await storage.messages.range(conversationId, { afterSeq: 0, limit: 100 })).toHaveLength(
      3,
    );
    expect(await storage.messages.range(conversationId, { limit: 0 })).toEqual([]);
  });

  it("rejects calls after close with unavailable; the shared backend keeps the data", async () => {
    const backend = createMemoryStorageBackend();
    const first = createMemoryStorage({ backend });
    const { message } = await first.messages.append(draft());
    await first.close();
    expect(await first.ping()).toBe(false);
    await expect(first.messages.get(message.messageId)).rejects.toMatchObject({
      code: "unavailable",
    });
    await expect(first.messages.append(draft())).rejects.toMatchObject({ code: "unavailable" });
    const second = createMemoryStorage({ backend });
    expect((await second.messages.get(message.messageId))?.seq).toBe(1);
  });

  it("append creates no cursor for group participants (the group store owns them)", async () => {
    const storage = createMemoryStorage();
    await storage.messages.append(
      draft({ conversationId: "g:g1", to: { type: "group", id: "g1" }, participants: ["a", "b"] }),
    );
    expect(await storage.cursors.participants("g:g1")).toEqual([]);
  });

  it("refuses a duplicate group id with conflict and unknown groups with not_found", async () => {
    const storage = createMemoryStorage();
    const group = { groupId: "g1", name: "G", ownerId: "o", memberIds: ["m"], createdAt: 1 };
    await storage.groups.create(group);
    await expect(storage.groups.create(group)).rejects.toMatchObject({ code: "conflict" });
    await expect(storage.groups.addMembers("nope", ["x"], 1)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(storage.groups.transferOwner("g1", "stranger")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("applies its peopleLimits option and refuses a bad one", async () => {
    expect(() => createMemoryStorage({ peopleLimits: { maxRemarkLength: 0 } })).toThrow(
      expect.objectContaining({ isConfigError: true, option: "peopleLimits.maxRemarkLength" }),
    );
    const limited = createMemoryStorage({
      peopleLimits: { maxRequestMessageLength: 3, maxPendingRequests: 1, requestTtlMs: 60_000 },
    });
    const [a, b, c] = ["lim_a_" + Date.now(), "lim_b_" + Date.now(), "lim_c_" + Date.now()];
    await expect(
      limited.contacts.sendRequest({ fromId: a, toId: b, message: "four", now: 1 }),
    ).rejects.toSatisfy((e) => hasErrorCode(e, "bad_request"));
    await limited.contacts.sendRequest({ fromId: a, toId: b, message: "two", now: 1 });
    await expect(
      limited.contacts.sendRequest({ fromId: a, toId: c, now: 1 }),
    ).rejects.toMatchObject({
      code: "conflict",
      details: { limit: 1 },
    });
    // The request lapses after requestTtlMs.
    expect((await limited.contacts.request(a, b))?.expiresAt).toBe(1 + 60_000);
    expect((await limited.contacts.sendRequest({ fromId: a, toId: c, now: 60_001 })).outcome).toBe(
      "requested",
    );
  });

  it("validates its options", () => {
    expect(() => createMemoryStorage({ outboxGraceMs: -1 })).toThrow(/outboxGraceMs/);
    expect(() => createMemoryStorage({ backend: {} as never })).toThrow(
      /not a memory storage backend/,
    );
  });
});

describe("memory rate limiter", () => {
  it("validates its options", () => {
    expect(() => createMemoryRateLimiter({ points: 0, durationMs: 1000 })).toThrow(/points/);
    expect(() => createMemoryRateLimiter({ points: 1, durationMs: 0 })).toThrow(/durationMs/);
  });

  it("blocks a key for blockDurationMs once over budget", async () => {
    const limiter = createMemoryRateLimiter({
      points: 1,
      durationMs: 100,
      blockDurationMs: 60_000,
    });
    await limiter.consume("k");
    const refused = await limiter.consume("k");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs, "the block, not the 100 ms window").toBeGreaterThan(10_000);
  });
});
