import {
  type AppendResult,
  type MessageDraft,
  type MessageStore,
  parseConversationId,
  type RangeQuery,
  TurnBatch,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from "./rows.js";
import { toStoreError } from "./sqlite-errors.js";

/** The outcome of one draft of a batch: its own result or its own error. */
type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

/**
 * @internal Writes one draft inside the batch's transaction: the conversation
 * row hands out the next seq (`last_seq + 1 ... RETURNING`), direct
 * participants get their cursors, then the message and its outbox entry.
 * A repeated (from, cid) returns the stored message and writes nothing.
 */
function appendOne(ctx: StoreContext, draft: MessageDraft): AppendResult {
  const { db, exec } = ctx;
  const earlier = exec.first(
    db
      .selectFrom("messages")
      .select(MESSAGE_COLUMNS)
      .where("sender_id", "=", draft.from)
      .where("cid", "=", draft.cid),
  );
  if (earlier) return { message: toMessage(earlier as MessageRow), created: false };

  const now = Date.now();
  const kind = draft.conversationId.startsWith("g:") ? "group" : "direct";
  const { last_seq: seq } = exec.first(
    sql<{ last_seq: number }>`
      INSERT INTO conversations (id, kind, last_seq, created_at, updated_at, touched_at)
      VALUES (${draft.conversationId}, ${kind}, 1, ${now}, ${draft.ts}, ${ctx.nextTouch()})
      ON CONFLICT (id) DO UPDATE SET
        last_seq = last_seq + 1,
        updated_at = max(updated_at, excluded.updated_at),
        touched_at = excluded.touched_at
      RETURNING last_seq
    `.compile(db),
  )!;
  // Cursors of direct participants come with their messages; group cursors
  // belong to the group store (a removed member must not come back).
  if (kind === "direct") {
    for (const userId of new Set(draft.participants)) {
      exec.run(
        db
          .insertInto("cursors")
          .values({
            user_id: userId,
            conversation_id: draft.conversationId,
            delivered_seq: 0,
            read_seq: 0,
            updated_at: now,
          })
          .onConflict((oc) => oc.doNothing()),
      );
    }
  }
  // Serialized once: the JSON goes to the database, and a parse of it is
  // what the caller gets back (sharing no object with its draft).
  const body = JSON.stringify(draft.body);
  exec.run(
    db.insertInto("messages").values({
      conversation_id: draft.conversationId,
      seq,
      message_id: draft.messageId,
      sender_id: draft.from,
      cid: draft.cid,
      to_type: draft.to.type,
      to_id: draft.to.id,
      body,
      sent_at: draft.ts,
      created_at: now,
    }),
  );
  const outbox = exec.first(
    db
      .insertInto("outbox")
      .values({
        message_id: draft.messageId,
        conversation_id: draft.conversationId,
        status: "pending",
        attempts: 0,
        next_attempt_at: draft.ts + ctx.options.outboxGraceMs,
        created_at: draft.ts,
      })
      .returning("id"),
  )!;
  return {
    message: {
      messageId: draft.messageId,
      conversationId: draft.conversationId,
      seq,
      from: draft.from,
      to: { type: draft.to.type, id: draft.to.id },
      body: JSON.parse(body),
      cid: draft.cid,
      ts: draft.ts,
    },
    created: true,
    outboxId: String(outbox.id),
  };
}

/**
 * @internal Appends a batch in ONE transaction (one commit, one WAL sync);
 * each draft runs in its own savepoint, so a draft that fails rolls back
 * alone and gets its own error. A failed commit fails every draft.
 */
export function appendBatch(ctx: StoreContext, drafts: readonly MessageDraft[]): Outcome[] {
  try {
    return ctx.exec.transaction(() =>
      drafts.map((draft): Outcome => {
        try {
          return { ok: true, value: ctx.exec.transaction(() => appendOne(ctx, draft)) };
        } catch (error) {
          return { ok: false, error: toStoreError(error, "append") };
        }
      }),
    );
  } catch (error) {
    const mapped = toStoreError(error, "append");
    return drafts.map(() => ({ ok: false, error: mapped }));
  }
}

/** @internal The SQLite {@link MessageStore}. */
export function createSqliteMessageStore(ctx: StoreContext): MessageStore {
  const { db, exec, options } = ctx;
  // Appends asked for in the same turn of the event loop share one transaction.
  const batcher = options.groupCommit
    ? new TurnBatch<MessageDraft, Outcome>(async (drafts) => appendBatch(ctx, drafts), {
        maxBatch: options.groupCommitMaxBatch,
      })
    : undefined;

  return {
    append(draft) {
      return ctx.run("append", async () => {
        // A malformed id is this caller's error, not its batch's.
        parseConversationId(draft.conversationId);
        const outcome = batcher ? await batcher.submit(draft) : appendBatch(ctx, [draft])[0]!;
        if (!outcome.ok) throw outcome.error;
        return outcome.value;
      });
    },

    range(conversationId, query: RangeQuery) {
      return ctx.run("range", () => {
        const limit = Math.min(Math.max(0, Math.floor(query.limit)), options.maxPageSize);
        if (!(limit > 0)) return [];
        let q = db
          .selectFrom("messages")
          .select(MESSAGE_COLUMNS)
          .where("conversation_id", "=", conversationId);
        if (query.afterSeq !== undefined) q = q.where("seq", ">", query.afterSeq);
        if (query.beforeSeq !== undefined) q = q.where("seq", "<", query.beforeSeq);
        const ascending = query.afterSeq !== undefined;
        const rows = exec.all(q.orderBy("seq", ascending ? "asc" : "desc").limit(limit));
        return rows.map((row) => toMessage(row as MessageRow));
      });
    },

    get(messageId) {
      return ctx.run("get", () => {
        const row = exec.first(
          db.selectFrom("messages").select(MESSAGE_COLUMNS).where("message_id", "=", messageId),
        );
        return row ? toMessage(row as MessageRow) : undefined;
      });
    },

    recall(messageId, by) {
      return ctx.run("recall", () => {
        // coalesce: a second recall changes nothing (idempotent, first recaller kept).
        const row = exec.first(
          db
            .updateTable("messages")
            .set({
              recalled_at: sql<number>`coalesce(recalled_at, ${Date.now()})`,
              recalled_by: sql<string>`coalesce(recalled_by, ${by})`,
            })
            .where("message_id", "=", messageId)
            .returning(MESSAGE_COLUMNS),
        );
        return row ? toMessage(row as MessageRow) : undefined;
      });
    },
  };
}
