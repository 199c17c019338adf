import {
  deliveryId,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookQueue,
} from "../contracts/webhook-queue.js";
import type { WebhookEvent } from "../webhook-event.js";
import { quoteIdent, type SqlPool } from "./sql-pool.js";

/** Options of {@link createPostgresWebhookQueue}. */
export interface PostgresWebhookQueueOptions {
  /** The schema of `webhook_deliveries` (made by `postgresWebhookMigrations`). @default "public" */
  schema?: string;
}

interface Row {
  id: string;
  endpoint_id: string;
  event: WebhookEvent;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: string | number;
  last_error: string | null;
  created_at: string | number;
  updated_at: string | number;
}

const COLUMNS =
  "id, endpoint_id, event, status, attempts, next_attempt_at, last_error, created_at, updated_at";

const toDelivery = (row: Row): WebhookDelivery => ({
  id: row.id,
  endpointId: row.endpoint_id,
  event: row.event,
  status: row.status,
  attempts: Number(row.attempts),
  nextAttemptAt: Number(row.next_attempt_at),
  ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/**
 * A {@link WebhookQueue} in PostgreSQL (table `webhook_deliveries`; create it with
 * `postgresWebhookMigrations`). Claims use `FOR UPDATE SKIP LOCKED`, so any number
 * of nodes can dispatch from one table.
 */
export function createPostgresWebhookQueue(
  pool: SqlPool,
  options: PostgresWebhookQueueOptions = {},
): WebhookQueue {
  const table = `${quoteIdent(options.schema ?? "public")}.webhook_deliveries`;
  return {
    async enqueue(deliveries) {
      if (deliveries.length === 0) return 0;
      const now = Date.now();
      const values: unknown[] = [];
      const tuples = deliveries.map(({ endpointId, event }, i) => {
        values.push(deliveryId(endpointId, event.id), endpointId, JSON.stringify(event));
        const p = i * 3;
        return `($${p + 1}, $${p + 2}, $${p + 3}::jsonb, 'pending', 0, ${now}, ${now}, ${now})`;
      });
      const { rowCount } = await pool.query(
        `INSERT INTO ${table} (id, endpoint_id, event, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES ${tuples.join(", ")} ON CONFLICT (id) DO NOTHING`,
        values,
      );
      return rowCount ?? 0;
    },
    async claim({ limit, leaseMs }) {
      if (limit <= 0) return [];
      const now = Date.now();
      const { rows } = await pool.query(
        `UPDATE ${table} SET lease_until = $1 + $2::bigint
         WHERE id IN (
           SELECT id FROM ${table}
           WHERE status = 'pending' AND next_attempt_at <= $1
             AND (lease_until IS NULL OR lease_until <= $1)
           ORDER BY next_attempt_at, created_at, id
           LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [now, leaseMs, limit],
      );
      return (rows as Row[])
        .map(toDelivery)
        .sort(
          (a, b) =>
            a.nextAttemptAt - b.nextAttemptAt ||
            a.createdAt - b.createdAt ||
            (a.id < b.id ? -1 : 1),
        );
    },
    async markDelivered(ids) {
      if (ids.length === 0) return;
      await pool.query(
        `UPDATE ${table} SET status = 'delivered', lease_until = NULL, updated_at = $2
         WHERE id = ANY($1::text[]) AND status = 'pending'`,
        [ids, Date.now()],
      );
    },
    async markFailed(id, retryAt, error) {
      await pool.query(
        `UPDATE ${table} SET attempts = attempts + 1, next_attempt_at = $2, lease_until = NULL,
           last_error = $3, updated_at = $4
         WHERE id = $1 AND status = 'pending'`,
        [id, retryAt, error, Date.now()],
      );
    },
    async markDead(id, error) {
      await pool.query(
        `UPDATE ${table} SET attempts = attempts + 1, status = 'dead', lease_until = NULL,
           last_error = $2, updated_at = $3
         WHERE id = $1 AND status = 'pending'`,
        [id, error, Date.now()],
      );
    },
    async listDead({ limit, endpointId, afterId }) {
      if (limit <= 0) return [];
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM ${table}
         WHERE status = 'dead' AND ($1::text IS NULL OR endpoint_id = $1)
           AND ($2::text IS NULL OR id COLLATE "C" > $2)
         ORDER BY id COLLATE "C" LIMIT $3`,
        [endpointId ?? null, afterId ?? null, limit],
      );
      return (rows as Row[]).map(toDelivery);
    },
    async replay(ids) {
      if (ids.length === 0) return 0;
      const now = Date.now();
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET status = 'pending', attempts = 0, next_attempt_at = $2,
           lease_until = NULL, updated_at = $2
         WHERE id = ANY($1::text[]) AND status = 'dead'`,
        [ids, now],
      );
      return rowCount ?? 0;
    },
    async purge(olderThan) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE status = 'delivered' AND created_at < $1`,
        [olderThan],
      );
      return rowCount ?? 0;
    },
    async stats() {
      const { rows } = await pool.query(
        `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                count(*) FILTER (WHERE status = 'dead') AS dead,
                min(created_at) FILTER (WHERE status = 'pending') AS oldest
         FROM ${table} WHERE status <> 'delivered'`,
      );
      const row = rows[0] as { pending: string; dead: string; oldest: string | null };
      return {
        pending: Number(row.pending),
        dead: Number(row.dead),
        ...(row.oldest !== null ? { oldestPendingAt: Number(row.oldest) } : {}),
      };
    },
  };
}
