import { randomUUID } from "node:crypto";
import type { PushQueue } from "../contracts/push-queue.js";
import { withoutContent } from "../dead-job-message.js";
import { PUSH_JOB_COLUMNS, type PushJobRow, toClaimedPushJob, toPushJob } from "../push-job-row.js";
import type { SqliteDb, SqliteDbStatement } from "./sqlite-db.js";

/**
 * A durable {@link PushQueue} in SQLite (table `push_jobs`; create it with
 * `sqlitePushMigrations`). Each method is one statement (SQLite 3.35 or later,
 * for `RETURNING`), so processes sharing the file never claim a job twice.
 */
export function createSqlitePushQueue(db: SqliteDb): PushQueue {
  const cache = new Map<string, SqliteDbStatement>();
  const statement = (text: string) => {
    let prepared = cache.get(text);
    if (prepared === undefined) {
      prepared = db.prepare(text);
      cache.set(text, prepared);
    }
    return prepared;
  };

  return {
    async enqueue(entry, dueAt) {
      const { userId, conversationId, message, mentioned } = entry;
      statement(
        `INSERT INTO push_jobs
           (user_id, conversation_id, count, latest, latest_seq, mentioned, state, created_at, due_at)
         VALUES (?, ?, 1, ?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (user_id, conversation_id) WHERE state = 'pending' AND attempts = 0
         DO UPDATE SET
           count = count + 1,
           latest = CASE WHEN excluded.latest_seq >= latest_seq THEN excluded.latest ELSE latest END,
           latest_seq = max(latest_seq, excluded.latest_seq),
           mentioned = mentioned OR excluded.mentioned`,
      ).run(
        userId,
        conversationId,
        JSON.stringify(message),
        message.seq,
        mentioned ? 1 : 0,
        Date.now(),
        dueAt,
      );
      return true;
    },
    async claim({ limit, leaseMs, now, openBatches = false }) {
      if (limit <= 0) return [];
      const rows = statement(
        `UPDATE push_jobs
         SET state = 'leased', lease = ?, lease_until = ?, attempts = attempts + 1
         WHERE id IN (
           SELECT id FROM push_jobs
           WHERE (state = 'pending' AND (due_at <= ? OR (? AND attempts = 0)))
              OR (state = 'leased' AND lease_until <= ?)
           ORDER BY due_at, id
           LIMIT ?
         )
         RETURNING ${PUSH_JOB_COLUMNS}`,
      ).all(randomUUID(), now + leaseMs, now, openBatches ? 1 : 0, now, limit) as PushJobRow[];
      return rows
        .map(toClaimedPushJob)
        .sort((a, b) => a.dueAt - b.dueAt || Number(a.id) - Number(b.id));
    },
    async complete(job) {
      return (
        statement("DELETE FROM push_jobs WHERE id = ? AND state = 'leased' AND lease = ?").run(
          Number(job.id),
          job.lease,
        ).changes > 0
      );
    },
    async fail(job, failure) {
      const dead = failure.retryAt === undefined;
      return (
        statement(
          `UPDATE push_jobs
           SET state = ?, due_at = coalesce(?, due_at), last_error = ?,
               devices = coalesce(?, devices), lease = NULL, lease_until = NULL, settled_at = ?,
               latest = coalesce(?, latest)
           WHERE id = ? AND state = 'leased' AND lease = ?`,
        ).run(
          dead ? "dead" : "pending",
          failure.retryAt ?? null,
          failure.error,
          failure.devices ? JSON.stringify(failure.devices) : null,
          Date.now(),
          // A dead job is kept for inspection, without what was said.
          dead ? JSON.stringify(withoutContent(job.latest)) : null,
          Number(job.id),
          job.lease,
        ).changes > 0
      );
    },
    async listDead(limit) {
      return (
        statement(
          `SELECT ${PUSH_JOB_COLUMNS} FROM push_jobs WHERE state = 'dead'
           ORDER BY settled_at DESC, id DESC LIMIT ?`,
        ).all(Math.max(0, limit)) as PushJobRow[]
      ).map(toPushJob);
    },
    async purgeDead(olderThan) {
      return statement("DELETE FROM push_jobs WHERE state = 'dead' AND settled_at < ?").run(
        olderThan,
      ).changes;
    },
    async stats() {
      const stats = { pending: 0, leased: 0, dead: 0 };
      const rows = statement("SELECT state, count(*) AS n FROM push_jobs GROUP BY state").all() as {
        state: keyof typeof stats;
        n: number;
      }[];
      for (const row of rows) stats[row.state] = Number(row.n);
      return stats;
    },
  };
}
