import {
  deliveryId,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookQueue,
} from "../contracts/webhook-queue.js";
import type { SqliteDb } from "./sqlite-db.js";

interface Row {
  id: string;
  endpoint_id: string;
  event: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS =
  "id, endpoint_id, event, status, attempts, next_attempt_at, last_error, created_at, updated_at";

const toDelivery = (row: Row): WebhookDelivery => ({
  id: row.id,
  endpointId: row.endpoint_id,
  event: JSON.parse(row.event),
  status: row.status,
  attempts: Number(row.attempts),
  nextAttemptAt: Number(row.next_attempt_at),
  ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/**
 * A {@link WebhookQueue} in SQLite (table `webhook_deliveries`; create it with
 * `sqliteWebhookMigrations`). Pass a better-sqlite3 `Database`; a claim runs in
 * one `BEGIN IMMEDIATE` transaction, so processes sharing the file never lease
 * the same delivery twice.
 */
export function createSqliteWebhookQueue(db: SqliteDb): WebhookQueue {
  // Compiled on first use: the table may be migrated after the queue is created.
  const lazy = (sql: string) => {
    let statement: ReturnType<SqliteDb["prepare"]> | undefined;
    return () => {
      statement ??= db.prepare(sql);
      return statement;
    };
  };
  const insert = lazy(
    `INSERT OR IGNORE INTO webhook_deliveries
       (id, endpoint_id, event, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`,
  );
  const due = lazy(
    `SELECT ${COLUMNS} FROM webhook_deliveries
     WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
     ORDER BY next_attempt_at, created_at, id LIMIT ?`,
  );
  const lease = lazy("UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?");
  const delivered = lazy(
    `UPDATE webhook_deliveries SET status = 'delivered', lease_until = NULL, updated_at = ?
     WHERE id = ? AND status = 'pending'`,
  );
  const failed = lazy(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL,
       last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
  );
  const dead = lazy(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, status = 'dead', lease_until = NULL,
       last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
  );
  const replayOne = lazy(
    `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?,
       lease_until = NULL, updated_at = ? WHERE id = ? AND status = 'dead'`,
  );
  const deadPage = lazy(
    `SELECT ${COLUMNS} FROM webhook_deliveries
     WHERE status = 'dead' AND (? IS NULL OR endpoint_id = ?) AND (? IS NULL OR id > ?)
     ORDER BY id LIMIT ?`,
  );
  const purgeDone = lazy(
    "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND created_at < ?",
  );
  const statsRow = lazy(
    `SELECT sum(status = 'pending') AS pending, sum(status = 'dead') AS dead,
            min(CASE WHEN status = 'pending' THEN created_at END) AS oldest
     FROM webhook_deliveries WHERE status <> 'delivered'`,
  );

  function transaction<T>(body: () => T): T {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }

  return {
    async enqueue(deliveries) {
      const now = Date.now();
      return transaction(() => {
        let added = 0;
        for (const { endpointId, event } of deliveries) {
          added += insert().run(
            deliveryId(endpointId, event.id),
            endpointId,
            JSON.stringify(event),
            now,
            now,
            now,
          ).changes;
        }
        return added;
      });
    },
    async claim({ limit, leaseMs }) {
      if (limit <= 0) return [];
      const now = Date.now();
      return transaction(() => {
        const rows = due().all(now, now, limit) as Row[];
        for (const row of rows) lease().run(now + leaseMs, row.id);
        return rows.map(toDelivery);
      });
    },
    async markDelivered(ids) {
      const now = Date.now();
      transaction(() => {
        for (const id of ids) delivered().run(now, id);
      });
    },
    async markFailed(id, retryAt, error) {
      failed().run(retryAt, error, Date.now(), id);
    },
    async markDead(id, error) {
      dead().run(error, Date.now(), id);
    },
    async listDead({ limit, endpointId, afterId }) {
      if (limit <= 0) return [];
      const e = endpointId ?? null;
      const a = afterId ?? null;
      return (deadPage().all(e, e, a, a, limit) as Row[]).map(toDelivery);
    },
    async replay(ids) {
      const now = Date.now();
      return transaction(() => {
        let moved = 0;
        for (const id of ids) moved += replayOne().run(now, now, id).changes;
        return moved;
      });
    },
    async purge(olderThan) {
      return purgeDone().run(olderThan).changes;
    },
    async stats() {
      const row = statsRow().get() as {
        pending: number | null;
        dead: number | null;
        oldest: number | null;
      };
      return {
        pending: Number(row.pending ?? 0),
        dead: Number(row.dead ?? 0),
        ...(row.oldest !== null ? { oldestPendingAt: Number(row.oldest) } : {}),
      };
    },
  };
}
