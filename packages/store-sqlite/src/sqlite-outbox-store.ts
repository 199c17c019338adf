import type { ClaimedOutboxEntry, ClaimOptions, MessageChange, OutboxStore } from "@lucky-im/core";
import type { StoreContext } from "./context.js";
import {
  type ChangeRow,
  MESSAGE_COLUMNS,
  type MessageRow,
  toChange,
  toMessage,
  toOutboxEntry,
} from "./rows.js";

/** Outbox ids are integers; anything else names no entry. */
function validIds(ids: readonly string[]): number[] {
  return [...new Set(ids)].filter((id) => /^[0-9]{1,15}$/.test(id)).map(Number);
}

/** @internal The SQLite {@link OutboxStore}. */
export function createSqliteOutboxStore(ctx: StoreContext): OutboxStore {
  const { db, exec } = ctx;

  return {
    claim(options: ClaimOptions) {
      return ctx.run("outbox claim", () => {
        const limit = Math.floor(options.limit);
        if (!(limit > 0)) return [];
        const now = Date.now();
        // One write transaction picks and leases: no other connection can
        // claim between the two (SQLite has one writer at a time), and the
        // lease keeps the rows this claimer's after the commit. Rows are
        // picked by due time, never by "id greater than the last seen".
        return exec.transaction(() => {
          const picked = exec.all(
            db
              .selectFrom("outbox")
              .selectAll()
              .where("status", "=", "pending")
              .where("next_attempt_at", "<=", now)
              .where("kind", "in", [...(options.kinds ?? ["message"])])
              .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
              .orderBy("next_attempt_at")
              .orderBy("id")
              .limit(limit),
          );
          if (picked.length === 0) return [];
          const leaseUntil = now + Math.max(0, options.leaseMs);
          exec.run(
            db
              .updateTable("outbox")
              .set({ lease_until: leaseUntil })
              .where(
                "id",
                "in",
                picked.map((row) => row.id),
              ),
          );
          const messages = exec.all(
            db
              .selectFrom("messages")
              .select(MESSAGE_COLUMNS)
              .where(
                "message_id",
                "in",
                picked.map((row) => row.message_id),
              ),
          );
          const conversationIds = [...new Set(picked.map((row) => row.conversation_id))];
          const participants = exec.all(
            db
              .selectFrom("cursors")
              .select(["conversation_id", "user_id"])
              .where("conversation_id", "in", conversationIds),
          );
          const changeOf = new Map<string, MessageChange>();
          const readChange = exec.statement(
            "SELECT * FROM message_changes WHERE conversation_id = ? AND change_seq = ?",
          );
          for (const row of picked) {
            if (row.kind !== "change") continue;
            const change = readChange.get(row.conversation_id, row.change_seq) as
              | ChangeRow
              | undefined;
            if (change) changeOf.set(String(row.id), toChange(change));
          }
          const byId = new Map(
            messages.map((row) => [row.message_id, toMessage(row as MessageRow)]),
          );
          const members = new Map<string, string[]>();
          for (const row of participants) {
            const list = members.get(row.conversation_id);
            if (list) list.push(row.user_id);
            else members.set(row.conversation_id, [row.user_id]);
          }
          const entries: ClaimedOutboxEntry[] = [];
          for (const row of picked.sort((a, b) => a.id - b.id)) {
            const message = byId.get(row.message_id);
            // Messages are never deleted; a missing one would be a foreign write.
            if (!message) continue;
            const entry: ClaimedOutboxEntry = {
              ...toOutboxEntry({ ...row, lease_until: leaseUntil }),
              message,
              participants: [...(members.get(row.conversation_id) ?? [])],
            };
            if (row.kind === "change") {
              const change = changeOf.get(String(row.id));
              if (!change) continue;
              entry.change = change;
              // A private change (delete for me, clear) goes to its one user.
              if (change.visibleTo !== undefined) entry.participants = [change.visibleTo];
            }
            entries.push(entry);
          }
          return entries;
        }, "bookkeeping");
      });
    },

    markSent(ids) {
      return ctx.run("outbox markSent", () => {
        const valid = validIds(ids);
        if (valid.length === 0) return;
        // One constant text whatever the batch size (a list of `?` would prepare a statement
        // per size), run after every batch of sends.
        exec.transaction(
          () =>
            exec
              .statement(`UPDATE outbox SET status = 'sent', lease_until = NULL
                WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending'`)
              .run(JSON.stringify(valid)),
          "bookkeeping",
        );
      });
    },

    markFailed(ids, retryAt) {
      return ctx.run("outbox markFailed", () => {
        const valid = validIds(ids);
        if (valid.length === 0) return;
        exec.transaction(
          () =>
            exec.run(
              db
                .updateTable("outbox")
                .set((eb) => ({
                  attempts: eb("attempts", "+", 1),
                  next_attempt_at: retryAt,
                  lease_until: null,
                }))
                .where("id", "in", valid)
                .where("status", "=", "pending"),
            ),
          "bookkeeping",
        );
      });
    },

    purge(olderThan) {
      return ctx.run("outbox purge", () =>
        exec.transaction(
          () =>
            exec.run(
              db
                .deleteFrom("outbox")
                .where("status", "=", "sent")
                .where("created_at", "<", olderThan),
            ),
          "bookkeeping",
        ),
      );
    },

    stats(options) {
      return ctx.run("outbox stats", () => {
        const row = exec.first(
          db
            .selectFrom("outbox")
            .select((eb) => [
              eb.fn.countAll<number>().as("pending"),
              eb.fn.min<number | null>("created_at").as("oldest"),
            ])
            .where("status", "=", "pending")
            .where("kind", "in", [...(options?.kinds ?? ["message"])]),
        )!;
        return row.oldest === null
          ? { pending: row.pending }
          : { pending: row.pending, oldestPendingAt: row.oldest };
      });
    },
  };
}
