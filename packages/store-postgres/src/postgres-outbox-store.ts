import type { ClaimedOutboxEntry, ClaimOptions, OutboxStore } from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import {
  type ChangeRow,
  MESSAGE_COLUMNS,
  type MessageRow,
  type OutboxRow,
  toChange,
  toMessage,
  toOutboxEntry,
} from "./rows.js";

const COLUMNS = sql.raw(MESSAGE_COLUMNS.join(", "));

/** Outbox ids are bigints; anything else names no entry. */
function validIds(ids: readonly string[]): string[] {
  return [...new Set(ids)].filter((id) => /^[0-9]{1,18}$/.test(id));
}

/** @internal The PostgreSQL {@link OutboxStore}. */
export function createPostgresOutboxStore(ctx: StoreContext): OutboxStore {
  const t = ctx.tables;
  const db = ctx.db;

  return {
    claim(options: ClaimOptions) {
      return ctx.run("outbox claim", async () => {
        const limit = Math.floor(options.limit);
        if (!(limit > 0)) return [];
        const now = Date.now();
        // SKIP LOCKED: concurrent claimers take disjoint rows without waiting;
        // the lease keeps the rows theirs after this statement commits. Rows
        // are picked by due time, never by "id greater than the last seen".
        const claimed = await sql<OutboxRow>`
          WITH picked AS (
            SELECT id FROM ${t.outbox}
            WHERE status = 'pending' AND next_attempt_at <= ${new Date(now)}
              AND kind = ANY(${[...(options.kinds ?? ["message"])]}::text[])
              AND (lease_until IS NULL OR lease_until <= ${new Date(now)})
            ORDER BY next_attempt_at, id
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED
          )
          UPDATE ${t.outbox} AS o SET lease_until = ${new Date(now + Math.max(0, options.leaseMs))}
          FROM picked WHERE o.id = picked.id
          RETURNING o.id::text AS id, o.message_id, o.conversation_id, o.status, o.attempts,
            o.next_attempt_at, o.lease_until, o.created_at, o.kind, o.change_seq
        `.execute(db);
        if (claimed.rows.length === 0) return [];
        const messageIds = claimed.rows.map((row) => row.message_id);
        const conversationIds = [...new Set(claimed.rows.map((row) => row.conversation_id))];
        const changeRows = claimed.rows.filter((row) => row.kind === "change");
        const [messages, participants, changes] = await Promise.all([
          sql<MessageRow>`
            SELECT ${COLUMNS} FROM ${t.messages} WHERE message_id = ANY(${messageIds}::text[])
          `.execute(db),
          sql<{ conversation_id: string; user_id: string }>`
            SELECT conversation_id, user_id FROM ${t.cursors}
            WHERE conversation_id = ANY(${conversationIds}::text[])
          `.execute(db),
          changeRows.length === 0
            ? Promise.resolve({ rows: [] as ChangeRow[] })
            : sql<ChangeRow>`
                SELECT * FROM ${t.message_changes}
                WHERE (conversation_id, change_seq) IN (
                  SELECT * FROM unnest(${changeRows.map((r) => r.conversation_id)}::text[],
                    ${changeRows.map((r) => String(r.change_seq))}::bigint[]))
              `.execute(db),
        ]);
        const changeOf = new Map(
          changes.rows.map((row) => [
            `${row.conversation_id}\u0000${row.change_seq}`,
            toChange(row),
          ]),
        );
        const byId = new Map(messages.rows.map((row) => [row.message_id, toMessage(row)]));
        const members = new Map<string, string[]>();
        for (const row of participants.rows) {
          const list = members.get(row.conversation_id);
          if (list) list.push(row.user_id);
          else members.set(row.conversation_id, [row.user_id]);
        }
        const entries: ClaimedOutboxEntry[] = [];
        for (const row of claimed.rows.sort((a, b) => Number(a.id) - Number(b.id))) {
          const message = byId.get(row.message_id);
          // Messages are never deleted; a missing one would be a foreign write.
          if (!message) continue;
          const entry: ClaimedOutboxEntry = {
            ...toOutboxEntry(row),
            message,
            participants: [...(members.get(row.conversation_id) ?? [])],
          };
          if (row.kind === "change") {
            const change = changeOf.get(`${row.conversation_id}\u0000${row.change_seq}`);
            if (!change) continue;
            entry.change = change;
            // A private change (delete for me, clear) goes to its one user.
            if (change.visibleTo !== undefined) entry.participants = [change.visibleTo];
          }
          entries.push(entry);
        }
        return entries;
      });
    },

    markSent(ids) {
      return ctx.run("outbox markSent", async () => {
        const valid = validIds(ids);
        if (valid.length === 0) return;
        await sql`
          UPDATE ${t.outbox} SET status = 'sent', lease_until = NULL
          WHERE id = ANY(${valid}::bigint[]) AND status = 'pending' AND ${ctx.bookkeepingCommit}
        `.execute(db);
      });
    },

    markFailed(ids, retryAt) {
      return ctx.run("outbox markFailed", async () => {
        const valid = validIds(ids);
        if (valid.length === 0) return;
        await db.transaction().execute(async (trx) => {
          const { rows } = await sql<{ id: string }>`
            UPDATE ${t.outbox}
            SET attempts = attempts + 1, next_attempt_at = ${new Date(retryAt)}, lease_until = NULL
            WHERE id = ANY(${valid}::bigint[]) AND status = 'pending'
            RETURNING id
          `.execute(trx);
          // Not throttled: failures are rare, and a relay elsewhere may want to retry.
          if (rows.length > 0) {
            await sql`SELECT pg_notify(${ctx.channel}, ${String(retryAt)})`.execute(trx);
          }
        });
      });
    },

    purge(olderThan) {
      return ctx.run("outbox purge", async () => {
        const result = await db
          .deleteFrom("outbox")
          .where("status", "=", "sent")
          .where("created_at", "<", new Date(olderThan))
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      });
    },

    stats(options) {
      return ctx.run("outbox stats", async () => {
        const { rows } = await sql<{ pending: number; oldest: Date | null }>`
          SELECT count(*)::int AS pending, min(created_at) AS oldest
          FROM ${t.outbox} WHERE status = 'pending'
            AND kind = ANY(${[...(options?.kinds ?? ["message"])]}::text[])
        `.execute(db);
        const row = rows[0]!;
        return row.oldest === null
          ? { pending: row.pending }
          : { pending: row.pending, oldestPendingAt: new Date(row.oldest).getTime() };
      });
    },
  };
}
