import type { Message } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import type { PushQueue, PushQueueEntry } from "../contracts/push-queue.js";

/** Options of {@link pushQueueConformance}. */
export interface PushQueueConformanceOptions {
  /** Names the implementation in the test titles. */
  name: string;
  /** An empty queue (called once per test; may empty shared storage). */
  create: () => PushQueue | Promise<PushQueue>;
}

const T = 1_000_000;
const LEASE = 30_000;

let seq = 0;
const entry = (
  userId: string,
  conversationId: string,
  options: { seq?: number; mentioned?: boolean; text?: string } = {},
): PushQueueEntry => {
  const s = options.seq ?? ++seq;
  const message: Message = {
    messageId: `m${s}`,
    conversationId,
    seq: s,
    from: "alice",
    to: { type: "user", id: userId },
    body: { type: "text", text: options.text ?? `text ${s}` },
    cid: `c${s}`,
    ts: s,
  } as Message;
  return { userId, conversationId, message, mentioned: options.mentioned ?? false };
};

/**
 * The vitest suite every {@link PushQueue} implementation passes: batching per
 * user and conversation, due times, leases (exclusive, expiring, fenced),
 * retries, dead jobs and the counts. Times are passed in, never read from the clock.
 */
export function pushQueueConformance(options: PushQueueConformanceOptions): void {
  describe(`PushQueue conformance: ${options.name}`, () => {
    it("gathers a user's messages in a conversation into one job with a count", async () => {
      const queue = await options.create();
      expect(await queue.enqueue(entry("bob", "g:a", { seq: 5 }), T)).toBe(true);
      await queue.enqueue(entry("bob", "g:a", { seq: 7, text: "latest" }), T + 500);
      await queue.enqueue(entry("bob", "g:a", { seq: 6, mentioned: true }), T + 900);
      await queue.enqueue(entry("bob", "g:b", { seq: 8 }), T + 1);
      await queue.enqueue(entry("carol", "g:a", { seq: 9 }), T + 2);
      expect(await queue.stats()).toEqual({ pending: 3, leased: 0, dead: 0 });

      const jobs = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 10 });
      expect(jobs.map((j) => [j.userId, j.conversationId, j.count])).toEqual([
        ["bob", "g:a", 3],
        ["bob", "g:b", 1],
        ["carol", "g:a", 1],
      ]);
      const [burst] = jobs;
      expect(burst).toMatchObject({ attempts: 1, mentioned: true, dueAt: T });
      expect(burst?.latest).toMatchObject({ seq: 7, messageId: "m7", body: { text: "latest" } });
      expect(burst?.devices).toBeUndefined();
      expect(burst?.lastError).toBeUndefined();
      expect(typeof burst?.createdAt).toBe("number");
      expect(new Set(jobs.map((j) => j.id)).size).toBe(3);
      expect(await queue.stats()).toEqual({ pending: 0, leased: 3, dead: 0 });
    });

    it("claims only due jobs, oldest first, up to the limit; flush claims open batches", async () => {
      const queue = await options.create();
      await queue.enqueue(entry("u1", "c"), T + 300);
      await queue.enqueue(entry("u2", "c"), T + 100);
      await queue.enqueue(entry("u3", "c"), T + 200);
      expect(await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 99 })).toEqual([]);
      const first = await queue.claim({ limit: 1, leaseMs: LEASE, now: T + 250 });
      expect(first.map((j) => j.userId)).toEqual(["u2"]);
      const second = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 250 });
      expect(second.map((j) => j.userId)).toEqual(["u3"]);
      const flushed = await queue.claim({ limit: 10, leaseMs: LEASE, now: T, openBatches: true });
      expect(flushed.map((j) => j.userId)).toEqual(["u1"]);
      expect(await queue.claim({ limit: 0, leaseMs: LEASE, now: T + 10_000 })).toEqual([]);
    });

    it("opens a new job for a message that arrives after its batch was claimed", async () => {
      const queue = await options.create();
      await queue.enqueue(entry("bob", "g:a"), T);
      const [claimed] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T });
      await queue.enqueue(entry("bob", "g:a"), T + 50);
      await queue.enqueue(entry("bob", "g:a"), T + 60);
      expect(await queue.stats()).toEqual({ pending: 1, leased: 1, dead: 0 });
      const [next] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 100 });
      expect(next?.id).not.toBe(claimed?.id);
      expect(next).toMatchObject({ count: 2, attempts: 1, dueAt: T + 50 });
    });

    it("completes a job under its lease only; an ended lease lets another worker claim it", async () => {
      const queue = await options.create();
      await queue.enqueue(entry("bob", "g:a"), T);
      await queue.enqueue(entry("carol", "g:a"), T);
      const [a, b] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T });
      if (!a || !b) throw new Error("expected two jobs");
      // Leased: not claimable again before the lease ends.
      expect(await queue.claim({ limit: 10, leaseMs: LEASE, now: T + LEASE - 1 })).toEqual([]);
      expect(await queue.complete(a)).toBe(true);
      expect(await queue.complete(a)).toBe(false);
      // b's worker died: its lease ends and another worker claims it (a second attempt).
      const [again] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + LEASE });
      expect(again).toMatchObject({ id: b.id, attempts: 2, count: 1 });
      expect(again?.lease).not.toBe(b.lease);
      // The first worker's late answer changes nothing.
      expect(await queue.complete(b)).toBe(false);
      expect(await queue.fail(b, { error: "late", retryAt: T })).toBe(false);
      expect(await queue.stats()).toEqual({ pending: 0, leased: 1, dead: 0 });
      if (!again) throw new Error("expected the job again");
      expect(await queue.complete(again)).toBe(true);
      expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 0 });
    });

    it("schedules a retry with the devices still waiting; new messages open a new job", async () => {
      const queue = await options.create();
      await queue.enqueue(entry("bob", "g:a"), T);
      const [job] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T });
      if (!job) throw new Error("expected a job");
      expect(
        await queue.fail(job, { error: "503 unavailable", retryAt: T + 5000, devices: ["tab"] }),
      ).toBe(true);
      expect(await queue.stats()).toEqual({ pending: 1, leased: 0, dead: 0 });
      // A retry is not a batch window: a new message does not join it, flush does not hurry it.
      await queue.enqueue(entry("bob", "g:a"), T + 6000);
      expect(
        await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 4999, openBatches: true }),
      ).toMatchObject([{ count: 1, attempts: 1, dueAt: T + 6000 }]);
      const [retry] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 5000 });
      expect(retry).toMatchObject({
        id: job.id,
        attempts: 2,
        devices: ["tab"],
        lastError: "503 unavailable",
        dueAt: T + 5000,
        count: 1,
      });
    });

    it("keeps dead jobs for inspection, most recent first, and never claims them", async () => {
      const queue = await options.create();
      await queue.enqueue(entry("bob", "g:a"), T);
      await queue.enqueue(entry("carol", "g:a"), T + 1);
      const [a, b] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 1 });
      if (!a || !b) throw new Error("expected two jobs");
      expect(await queue.fail(a, { error: "gave up", devices: ["phone"] })).toBe(true);
      expect(await queue.fail(b, { error: "refused" })).toBe(true);
      expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 2 });
      expect(await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 10 * LEASE })).toEqual([]);
      const dead = await queue.listDead(10);
      expect(dead.map((j) => [j.userId, j.lastError])).toEqual([
        ["carol", "refused"],
        ["bob", "gave up"],
      ]);
      expect(dead[1]?.devices).toEqual(["phone"]);
      expect(await queue.listDead(1)).toHaveLength(1);
      // A dead job does not take part in batching.
      await queue.enqueue(entry("bob", "g:a"), T + 2);
      expect(await queue.stats()).toEqual({ pending: 1, leased: 0, dead: 2 });
    });

    it("a dead job keeps no message content; purgeDead deletes the dead jobs older than a time", async () => {
      const queue = await options.create();
      const message = entry("bob", "g:a", { text: "the secret plan", mentioned: true });
      message.message.mentions = ["bob"];
      message.message.replyTo = { messageId: "m0", seq: 1, from: "carol", excerpt: "quoted" };
      await queue.enqueue(message, T);
      await queue.enqueue(entry("carol", "g:a"), T);
      const [a, b] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T });
      if (!a || !b) throw new Error("expected two jobs");
      expect(await queue.fail(a, { error: "gave up" })).toBe(true);
      const [dead] = await queue.listDead(10);
      expect(dead?.latest).toEqual({
        messageId: message.message.messageId,
        conversationId: "g:a",
        seq: message.message.seq,
        from: "alice",
        to: { type: "user", id: "bob" },
        body: { type: "text", text: "" },
        cid: message.message.cid,
        ts: message.message.ts,
      });
      expect(dead).toMatchObject({ count: 1, mentioned: true, lastError: "gave up" });
      // A retried job keeps its content: it is still to be sent.
      expect(await queue.fail(b, { error: "later", retryAt: T + 1 })).toBe(true);
      const [retried] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T + 1 });
      expect(retried?.latest.body).toEqual({ type: "text", text: `text ${retried?.latest.seq}` });

      // Jobs die at the clock's time: purge relative to it.
      const diedBy = Date.now();
      expect(await queue.purgeDead(diedBy - 3_600_000), "died within the hour: kept").toBe(0);
      expect(await queue.stats()).toMatchObject({ dead: 1 });
      expect(await queue.purgeDead(diedBy + 1)).toBe(1);
      expect(await queue.stats()).toEqual({ pending: 0, leased: 1, dead: 0 });
      expect(await queue.listDead(10)).toEqual([]);
      expect(await queue.purgeDead(diedBy + 1), "nothing left").toBe(0);
    });

    it("gives each due job to one of several concurrent claims", async () => {
      const queue = await options.create();
      for (let i = 0; i < 9; i++) await queue.enqueue(entry(`u${i}`, "c"), T + i);
      const claims = await Promise.all(
        Array.from({ length: 4 }, () => queue.claim({ limit: 3, leaseMs: LEASE, now: T + 100 })),
      );
      const ids = claims.flat().map((j) => j.id);
      expect(ids).toHaveLength(9);
      expect(new Set(ids).size).toBe(9);
    });
  });
}
