import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { WebhookQueue } from "../contracts/webhook-queue.js";
import type { WebhookEvent } from "../webhook-event.js";

/** Options of {@link webhookQueueConformance}. */
export interface WebhookQueueConformanceOptions {
  /** Names the implementation in the test titles. */
  name: string;
  /** A queue whose data no other test touches (called inside each test). */
  create: () => WebhookQueue | Promise<WebhookQueue>;
}

const event = (n: number): WebhookEvent => ({
  id: `message.stored:${randomUUID()}`,
  type: "message.stored",
  occurredAt: 1_700_000_000_000 + n,
  conversationId: "d:alice:bob",
  data: { n, text: "héllo ✓" },
});

/**
 * The vitest suite every {@link WebhookQueue} implementation passes. Each test takes a
 * fresh queue from `create`.
 */
export function webhookQueueConformance(options: WebhookQueueConformanceOptions): void {
  describe(`WebhookQueue conformance: ${options.name}`, () => {
    it("enqueues once per (endpoint, event) and claims what is due, leased", async () => {
      const queue = await options.create();
      const [a, b] = [event(1), event(2)];
      expect(
        await queue.enqueue([
          { endpointId: "e1", event: a },
          { endpointId: "e2", event: a },
          { endpointId: "e1", event: b },
        ]),
      ).toBe(3);
      expect(await queue.enqueue([{ endpointId: "e1", event: a }])).toBe(0);
      expect(await queue.enqueue([])).toBe(0);
      const claimed = await queue.claim({ limit: 10, leaseMs: 60_000 });
      expect(claimed.map((d) => d.id).sort()).toEqual(
        [`e1|${a.id}`, `e2|${a.id}`, `e1|${b.id}`].sort(),
      );
      expect(claimed.find((d) => d.id === `e1|${a.id}`)).toMatchObject({
        endpointId: "e1",
        event: a,
        status: "pending",
        attempts: 0,
      });
      // Leased: a second claimer gets nothing while the lease holds.
      expect(await queue.claim({ limit: 10, leaseMs: 60_000 })).toEqual([]);
      expect(await queue.claim({ limit: 0, leaseMs: 60_000 })).toEqual([]);
      expect((await queue.stats()).pending).toBe(3);
    });

    it("gives a delivery again once its lease runs out", async () => {
      const queue = await options.create();
      await queue.enqueue([{ endpointId: "e1", event: event(1) }]);
      expect(await queue.claim({ limit: 5, leaseMs: 1 })).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 5));
      expect(await queue.claim({ limit: 5, leaseMs: 60_000 })).toHaveLength(1);
    });

    it("concurrent claims never hand out the same delivery", async () => {
      const queue = await options.create();
      await queue.enqueue(
        Array.from({ length: 40 }, (_, i) => ({ endpointId: "e", event: event(i) })),
      );
      const batches = await Promise.all(
        Array.from({ length: 4 }, () => queue.claim({ limit: 15, leaseMs: 60_000 })),
      );
      const ids = batches.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(40);
    });

    it("markDelivered settles; a delivered one is never claimed or re-enqueued", async () => {
      const queue = await options.create();
      const e = event(1);
      await queue.enqueue([{ endpointId: "e", event: e }]);
      const [d] = await queue.claim({ limit: 1, leaseMs: 60_000 });
      await queue.markDelivered([d!.id]);
      await queue.markDelivered([d!.id]);
      expect(await queue.enqueue([{ endpointId: "e", event: e }])).toBe(0);
      await new Promise((r) => setTimeout(r, 2));
      expect(await queue.claim({ limit: 5, leaseMs: 1 })).toEqual([]);
      expect(await queue.stats()).toMatchObject({ pending: 0, dead: 0 });
    });

    it("markFailed counts the attempt and schedules the retry", async () => {
      const queue = await options.create();
      await queue.enqueue([{ endpointId: "e", event: event(1) }]);
      const [d] = await queue.claim({ limit: 1, leaseMs: 60_000 });
      await queue.markFailed(d!.id, Date.now() + 60_000, "HTTP 500");
      expect(await queue.claim({ limit: 5, leaseMs: 60_000 })).toEqual([]);
      await queue.markFailed(d!.id, Date.now() - 1, "timeout");
      const [again] = await queue.claim({ limit: 5, leaseMs: 60_000 });
      expect(again).toMatchObject({ id: d!.id, attempts: 2, lastError: "timeout" });
    });

    it("dead letters are listed by id, paged, filtered and replayed", async () => {
      const queue = await options.create();
      const events = [event(1), event(2), event(3)];
      await queue.enqueue([
        ...events.map((e) => ({ endpointId: "a", event: e })),
        { endpointId: "b", event: events[0]! },
      ]);
      const claimed = await queue.claim({ limit: 10, leaseMs: 60_000 });
      for (const d of claimed) await queue.markDead(d.id, "HTTP 410");
      expect(await queue.claim({ limit: 10, leaseMs: 1 })).toEqual([]);
      const all = await queue.listDead({ limit: 10 });
      expect(all.map((d) => d.id)).toEqual(claimed.map((d) => d.id).sort());
      expect(all[0]).toMatchObject({ status: "dead", attempts: 1, lastError: "HTTP 410" });
      const page1 = await queue.listDead({ limit: 2, endpointId: "a" });
      const page2 = await queue.listDead({ limit: 2, endpointId: "a", afterId: page1[1]!.id });
      expect([...page1, ...page2].map((d) => d.endpointId)).toEqual(["a", "a", "a"]);
      expect(page2).toHaveLength(1);
      expect(await queue.stats()).toMatchObject({ pending: 0, dead: 4 });

      expect(await queue.replay([page1[0]!.id, "nope|x"])).toBe(1);
      expect(await queue.replay([page1[0]!.id])).toBe(0);
      const [replayed] = await queue.claim({ limit: 10, leaseMs: 60_000 });
      expect(replayed).toMatchObject({ id: page1[0]!.id, status: "pending", attempts: 0 });
      expect(await queue.stats()).toMatchObject({ pending: 1, dead: 3 });
    });

    it("markDead and markFailed leave a delivered one alone", async () => {
      const queue = await options.create();
      await queue.enqueue([{ endpointId: "e", event: event(1) }]);
      const [d] = await queue.claim({ limit: 1, leaseMs: 60_000 });
      await queue.markDelivered([d!.id]);
      await queue.markDead(d!.id, "late");
      await queue.markFailed(d!.id, 0, "late");
      expect(await queue.listDead({ limit: 5 })).toEqual([]);
      expect((await queue.stats()).pending).toBe(0);
    });

    it("purges delivered deliveries only, by age", async () => {
      const queue = await options.create();
      await queue.enqueue([
        { endpointId: "e", event: event(1) },
        { endpointId: "e", event: event(2) },
      ]);
      const [first] = await queue.claim({ limit: 1, leaseMs: 60_000 });
      await queue.markDelivered([first!.id]);
      expect(await queue.purge(Date.now() - 60_000)).toBe(0);
      expect(await queue.purge(Date.now() + 1)).toBe(1);
      expect((await queue.stats()).pending).toBe(1);
      expect((await queue.stats()).oldestPendingAt).toBeTypeOf("number");
    });
  });
}
