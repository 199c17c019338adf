import { beforeAll, expect, it } from "vitest";
import type { OutboxStore } from "../contracts/outbox-store.js";
import type { Storage } from "../contracts/storage.js";
import type { ClaimedOutboxEntry } from "../domain/outbox.js";
import { eventually } from "./eventually.js";
import { sorted, uid } from "./fixtures.js";
import { directDraft, expectSameMessage, text } from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `OutboxStore` tests: one entry per created message, leases that never hand an entry to two claimers, markSent, markFailed, stats and purge. They assume nothing else claims or purges this backend's outbox meanwhile. */
export const outboxStoreSuite: StorageSuite = {
  name: "outbox",
  tests(context) {
    const { append, open } = context;
    let storage: Storage;
    beforeAll(() => {
      storage = context.storage;
    });

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
  },
};

/**
 * The conformance suite of the `OutboxStore` contract. Runs alone; `storageConformance` runs it with
 * the other storage suites.
 */
export function outboxStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} outbox conformance`, [outboxStoreSuite], options);
}
