import {
  type AppendResult,
  checkDraftExtras,
  type Message,
  type MessageDraft,
  type MessageStore,
  parseConversationId,
  type RangeQuery,
  TurnBatch,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from "./rows.js";
import { writeChange } from "./sqlite-change-writes.js";
import { toStoreError } from "./sqlite-errors.js";

/** The outcome of one draft of a batch: its own result or its own error. */
type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

/** The statements of an append, as constant texts (see `Executor.statement`). */
const SQL = {
  earlier: `SELECT ${MESSAGE_COLUMNS.join(", ")} FROM messages WHERE sender_id = ? AND cid = ?`,
  nextSeq: `INSERT INTO conversations (id, kind, last_seq, created_at, updated_at, touched_at)
    VALUES (?, ?, 1, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET
      last_seq = last_seq + 1,
      updated_at = max(updated_at, excluded.updated_at),
      touched_at = excluded.touched_at
    RETURNING last_seq`,
  cursor: `INSERT INTO cursors (user_id, conversation_id, delivered_seq, read_seq, updated_at)
    VALUES (?, ?, 0, 0, ?) ON CONFLICT DO NOTHING`,
  message: `INSERT INTO messages (conversation_id, seq, message_id, sender_id, cid, to_type, to_id,
    body, sent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  messageWithExtras: `INSERT INTO messages (conversation_id, seq, message_id, sender_id, cid, to_type,
    to_id, body, sent_at, created_at, reply_to, mentions, forwarded)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  outbox: `INSERT INTO outbox (message_id, conversation_id, status, attempts, next_attempt_at, created_at)
    VALUES (?, ?, 'pending', 0, ?, ?) RETURNING id`,
} as const;

/**
 * @internal Writes one draft inside the batch's transaction: the conversation
 * row hands out the next seq (`last_seq + 1 ... RETURNING`), direct
 * participants get their cursors, then the message and its outbox entry.
 * A repeated (from, cid) returns the stored message and writes nothing.
 */
function appendOne(ctx: StoreContext, draft: MessageDraft): AppendResult {
  const { exec } = ctx;
  const earlier = exec.statement(SQL.earlier).get(draft.from, draft.cid) as MessageRow | undefined;
  if (earlier) return { message: toMessage(earlier), created: false };

  const now = Date.now();
  const kind = draft.conversationId.startsWith("g:") ? "group" : "direct";
  const { last_seq: seq } = exec
    .statement(SQL.nextSeq)
    .get(draft.conversationId, kind, now, draft.ts, ctx.nextTouch()) as { last_seq: number };
  // Cursors of direct participants come with their messages; group cursors
  // belong to the group store (a removed member must not come back).
  if (kind === "direct") {
    for (const userId of new Set(draft.participants)) {
      exec.statement(SQL.cursor).run(userId, draft.conversationId, now);
    }
  }
  // Serialized once: the JSON goes to the database, and a parse of it is
  // what the caller gets back (sharing no object with its draft).
  const body = JSON.stringify(draft.body);
  const values = [
    draft.conversationId,
    seq,
    draft.messageId,
    draft.from,
    draft.cid,
    draft.to.type,
    draft.to.id,
    body,
    draft.ts,
    now,
  ];
  const mentions = draft.mentions?.length ? [...new Set(draft.mentions)] : undefined;
  if (draft.replyTo === undefined && mentions === undefined && draft.forwarded === undefined) {
    exec.statement(SQL.message).run(...values);
  } else {
    exec
      .statement(SQL.messageWithExtras)
      .run(
        ...values,
        draft.replyTo ? JSON.stringify(draft.replyTo) : null,
        mentions ? JSON.stringify(mentions) : null,
        draft.forwarded ? JSON.stringify(draft.forwarded) : null,
      );
  }
  const outbox = exec
    .statement(SQL.outbox)
    .get(draft.messageId, draft.conversationId, draft.ts + ctx.options.outboxGraceMs, draft.ts) as {
    id: number;
  };
  const message: Message = {
    messageId: draft.messageId,
    conversationId: draft.conversationId,
    seq,
    from: draft.from,
    to: { type: draft.to.type, id: draft.to.id },
    body: JSON.parse(body),
    cid: draft.cid,
    ts: draft.ts,
  };
  if (draft.replyTo) message.replyTo = { ...draft.replyTo };
  if (mentions) message.mentions = mentions;
  if (draft.forwarded) message.forwarded = { ...draft.forwarded };
  return { message, created: true, outboxId: String(outbox.id) };
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

/** @internal The SQLite {@link MessageStore}, and how to commit the appends still waiting. */
export interface SqliteMessages {
  store: MessageStore;
  /** Commits the appends waiting for their group commit (before the connection closes). */
  drain(): Promise<void>;
}

/** @internal The SQLite {@link MessageStore}. */
export function createSqliteMessageStore(ctx: StoreContext): SqliteMessages {
  const { db, exec, options } = ctx;
  // Appends arriving within the window (or the same turn of the event loop) share one transaction.
  const batcher = options.groupCommit
    ? new TurnBatch<MessageDraft, Outcome>(async (drafts) => appendBatch(ctx, drafts), {
        maxBatch: options.groupCommitMaxBatch,
        ...(options.groupCommitWindowMs > 0 ? { windowMs: options.groupCommitWindowMs } : {}),
      })
    : undefined;

  const store: MessageStore = {
    append(draft) {
      return ctx.run("append", async () => {
        // A malformed id is this caller's error, not its batch's.
        parseConversationId(draft.conversationId);
        if (
          draft.replyTo !== undefined ||
          draft.mentions !== undefined ||
          draft.forwarded !== undefined
        ) {
          checkDraftExtras(draft, options.messageChanges);
        }
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
        const viewer = query.viewer;
        if (viewer !== undefined) {
          // Deleted-for-me and cleared messages of the viewer stay out.
          q = q.where(
            sql<boolean>`NOT EXISTS (SELECT 1 FROM hidden_messages AS h
              WHERE h.user_id = ${viewer} AND h.conversation_id = ${conversationId}
                AND h.seq = messages.seq)
              AND NOT EXISTS (SELECT 1 FROM conversation_clears AS k
              WHERE k.user_id = ${viewer} AND k.conversation_id = ${conversationId}
                AND k.up_to_seq >= messages.seq)`,
          );
        }
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
      return ctx.run("recall", () =>
        exec.transaction(() => {
          const row = exec.first(
            db
              .updateTable("messages")
              .set({ recalled_at: Date.now(), recalled_by: by })
              .where("message_id", "=", messageId)
              .where("recalled_at", "is", null)
              .returning(MESSAGE_COLUMNS),
          );
          if (row) {
            const message = toMessage(row as MessageRow);
            writeChange(ctx, {
              conversationId: message.conversationId,
              kind: "recalled",
              messageId,
              seq: message.seq,
              by,
              ts: Date.now(),
            });
            return message;
          }
          // Unknown, or recalled before: a repeat writes nothing (the first recaller is kept).
          const earlier = exec.first(
            db.selectFrom("messages").select(MESSAGE_COLUMNS).where("message_id", "=", messageId),
          );
          return earlier ? toMessage(earlier as MessageRow) : undefined;
        }),
      );
    },
  };
  return { store, drain: () => batcher?.drain() ?? Promise.resolve() };
}
