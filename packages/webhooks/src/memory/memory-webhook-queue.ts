import { deliveryId, type WebhookDelivery, type WebhookQueue } from "../contracts/webhook-queue.js";

interface Row extends WebhookDelivery {
  leaseUntil?: number;
}

const copy = (row: Row): WebhookDelivery => {
  const { leaseUntil: _lease, ...rest } = row;
  return structuredClone(rest);
};

/**
 * A {@link WebhookQueue} in memory: for tests and a single process (nothing
 * survives a restart).
 */
export function createMemoryWebhookQueue(): WebhookQueue {
  const rows = new Map<string, Row>();
  const byAge = (a: Row, b: Row) =>
    a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);

  return {
    async enqueue(deliveries) {
      const now = Date.now();
      let added = 0;
      for (const { endpointId, event } of deliveries) {
        const id = deliveryId(endpointId, event.id);
        if (rows.has(id)) continue;
        rows.set(id, {
          id,
          endpointId,
          event: structuredClone(event),
          status: "pending",
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
          updatedAt: now,
        });
        added++;
      }
      return added;
    },
    async claim({ limit, leaseMs }) {
      const now = Date.now();
      const due = [...rows.values()]
        .filter(
          (r) =>
            r.status === "pending" &&
            r.nextAttemptAt <= now &&
            (r.leaseUntil === undefined || r.leaseUntil <= now),
        )
        .sort(byAge)
        .slice(0, Math.max(0, limit));
      for (const row of due) row.leaseUntil = now + leaseMs;
      return due.map(copy);
    },
    async markDelivered(ids) {
      const now = Date.now();
      for (const id of ids) {
        const row = rows.get(id);
        if (row?.status !== "pending") continue;
        row.status = "delivered";
        row.leaseUntil = undefined;
        row.updatedAt = now;
      }
    },
    async markFailed(id, retryAt, error) {
      const row = rows.get(id);
      if (row?.status !== "pending") return;
      row.attempts++;
      row.nextAttemptAt = retryAt;
      row.leaseUntil = undefined;
      row.lastError = error;
      row.updatedAt = Date.now();
    },
    async markDead(id, error) {
      const row = rows.get(id);
      if (row?.status !== "pending") return;
      row.attempts++;
      row.status = "dead";
      row.leaseUntil = undefined;
      row.lastError = error;
      row.updatedAt = Date.now();
    },
    async listDead({ limit, endpointId, afterId }) {
      return [...rows.values()]
        .filter(
          (r) =>
            r.status === "dead" &&
            (endpointId === undefined || r.endpointId === endpointId) &&
            (afterId === undefined || r.id > afterId),
        )
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, Math.max(0, limit))
        .map(copy);
    },
    async replay(ids) {
      const now = Date.now();
      let moved = 0;
      for (const id of ids) {
        const row = rows.get(id);
        if (row?.status !== "dead") continue;
        row.status = "pending";
        row.attempts = 0;
        row.nextAttemptAt = now;
        row.updatedAt = now;
        moved++;
      }
      return moved;
    },
    async purge(olderThan) {
      let purged = 0;
      for (const [id, row] of rows) {
        if (row.status === "delivered" && row.createdAt < olderThan) {
          rows.delete(id);
          purged++;
        }
      }
      return purged;
    },
    async stats() {
      let pending = 0;
      let dead = 0;
      let oldestPendingAt: number | undefined;
      for (const row of rows.values()) {
        if (row.status === "dead") dead++;
        if (row.status !== "pending") continue;
        pending++;
        if (oldestPendingAt === undefined || row.createdAt < oldestPendingAt) {
          oldestPendingAt = row.createdAt;
        }
      }
      return { pending, dead, ...(oldestPendingAt !== undefined ? { oldestPendingAt } : {}) };
    },
  };
}
