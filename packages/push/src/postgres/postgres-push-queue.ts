import { randomUUID } from "node:crypto";
import type { PushQueue } from "../contracts/push-queue.js";
import { withoutContent } from "../dead-job-message.js";
import { PUSH_JOB_COLUMNS, type PushJobRow, toClaimedPushJob, toPushJob } from "../push-job-row.js";
import { quoteIdent, type SqlPool } from "./sql-pool.js";

/** Options of {@link createPostgresPushQueue}. */
export interface PostgresPushQueueOptions {
  /** The schema of `push_jobs` (made by `postgresPushMigrations`). @default "public" */
  schema?: string;
}

/**
 * A durable {@link PushQueue} in PostgreSQL (table `push_jobs`; create it with
 * `postgresPushMigrations`). Several nodes share it: claiming uses
 * `FOR UPDATE SKIP LOCKED`, so each due job goes to one worker, and a worker
 * that dies leaves its jobs to be claimed again when their lease ends.
 */
export function createPostgresPushQueue(
  pool: SqlPool,
  options: PostgresPushQueueOptions = {},
): PushQueue {
  const table = `${quoteIdent(options.schema ?? "public")}.push_jobs`;

  return {
    async enqueue(entry, dueAt) {
      const { userId, conversationId, message, mentioned } = entry;
      await pool.query(
        `INSERT INTO ${table} AS j
           (user_id, conversation_id, count, latest, latest_seq, mentioned, state, created_at, due_at)
         VALUES ($1, $2, 1, $3, $4, $5, 'pending', $6, $7)
         ON CONFLICT (user_id, conversation_id) WHERE state = 'pending' AND attempts = 0
         DO UPDATE SET
           count = j.count + 1,
           latest = CASE WHEN EXCLUDED.latest_seq >= j.latest_seq THEN EXCLUDED.latest ELSE j.latest END,
           latest_seq = GREATEST(j.latest_seq, EXCLUDED.latest_seq),
           mentioned = j.mentioned OR EXCLUDED.mentioned`,
        [
          userId,
          conversationId,
          JSON.stringify(message),
          message.seq,
          mentioned,
          Date.now(),
          dueAt,
        ],
      );
      return true;
    },
    async claim({ limit, leaseMs, now, openBatches = false }) {
      if (limit <= 0) return [];
      const { rows } = await pool.query(
        `WITH due AS (
           SELECT id FROM ${table}
           WHERE (state = 'pending' AND (due_at <= $1 OR ($2 AND attempts = 0)))
              OR (state = 'leased' AND lease_until <= $1)
           ORDER BY due_at, id
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${table} AS j
         SET state = 'leased', lease = $4, lease_until = $5, attempts = j.attempts + 1
         FROM due WHERE j.id = due.id
         RETURNING ${PUSH_JOB_COLUMNS.split(", ")
           .map((column) => `j.${column}`)
           .join(", ")}`,
        [now, openBatches, limit, randomUUID(), now + leaseMs],
      );
      return (rows as PushJobRow[])
        .map(toClaimedPushJob)
        .sort((a, b) => a.dueAt - b.dueAt || Number(a.id) - Number(b.id));
    },
    async complete(job) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE id = $1 AND state = 'leased' AND lease = $2`,
        [job.id, job.lease],
      );
      return (rowCount ?? 0) > 0;
    },
    async fail(job, failure) {
      const dead = failure.retryAt === undefined;
      const { rowCount } = await pool.query(
        `UPDATE ${table}
         SET state = $3, due_at = coalesce($4, due_at), last_error = $5,
             devices = coalesce($6, devices), lease = NULL, lease_until = NULL, settled_at = $7,
             latest = coalesce($8, latest)
         WHERE id = $1 AND state = 'leased' AND lease = $2`,
        [
          job.id,
          job.lease,
          dead ? "dead" : "pending",
          failure.retryAt ?? null,
          failure.error,
          failure.devices ? JSON.stringify(failure.devices) : null,
          Date.now(),
          // A dead job is kept for inspection, without what was said.
          dead ? JSON.stringify(withoutContent(job.latest)) : null,
        ],
      );
      return (rowCount ?? 0) > 0;
    },
    async listDead(limit) {
      const { rows } = await pool.query(
        `SELECT ${PUSH_JOB_COLUMNS} FROM ${table} WHERE state = 'dead'
         ORDER BY settled_at DESC, id DESC LIMIT $1`,
        [Math.max(0, limit)],
      );
      return (rows as PushJobRow[]).map(toPushJob);
    },
    async purgeDead(olderThan) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE state = 'dead' AND settled_at < $1`,
        [olderThan],
      );
      return rowCount ?? 0;
    },
    async stats() {
      const { rows } = await pool.query(
        `SELECT state, count(*)::int AS n FROM ${table} GROUP BY state`,
      );
      const stats = { pending: 0, leased: 0, dead: 0 };
      for (const row of rows as { state: keyof typeof stats; n: number }[]) {
        stats[row.state] = Number(row.n);
      }
      return stats;
    },
  };
}
