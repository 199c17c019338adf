import { ImError, type Message, type MessageChange } from "@lucky-im/core";
import { type Kysely, sql, type Transaction } from "kysely";
import type { StoreContext } from "./context.js";
import type { Database } from "./database.js";
import { type ChangeRow, MESSAGE_COLUMNS, type MessageRow, toChange, toMessage } from "./rows.js";

const COLUMNS = sql.raw(MESSAGE_COLUMNS.join(", "));

/** @internal A transaction of the store's schema. */
export type Trx = Transaction<Database> | Kysely<Database>;

/** @internal The fields of a change its writer supplies (the seq is allocated here). */
export type ChangeFields = Omit<MessageChange, "changeSeq">;

/** @internal The conversation of a message; `not_found` when there is no such message. */
export async function conversationOf(ctx: StoreContext, messageId: string): Promise<string> {
  const row =
    typeof messageId === "string" && !messageId.includes("\u0000")
      ? await ctx.db
          .selectFrom("messages")
          .select("conversation_id")
          .where("message_id", "=", messageId)
          .executeTakeFirst()
      : undefined;
  if (!row) throw new ImError("not_found", "no such message");
  return row.conversation_id;
}

/**
 * @internal Runs `work` in a transaction that holds the conversation's change
 * counter row locked. Every change of a conversation takes this lock first,
 * so changes of one conversation commit one at a time: their changeSeqs
 * commit in increasing order (a reader of `changesAfter(n)` never misses a
 * lower seq committed later), and caps (reactions, pins) are exact. The
 * counter is apart from the `conversations` row that appends lock, so a
 * change never waits for an append.
 */
export function inChangeTransaction<T>(
  ctx: StoreContext,
  conversationId: string,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const t = ctx.tables;
  return ctx.db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO ${t.change_counters} (conversation_id) VALUES (${conversationId})
      ON CONFLICT DO NOTHING
    `.execute(trx);
    await sql`
      SELECT 1 FROM ${t.change_counters} WHERE conversation_id = ${conversationId} FOR UPDATE
    `.execute(trx);
    return work(trx);
  });
}

/** @internal A message read inside a change transaction; `not_found` when absent. */
export async function messageIn(ctx: StoreContext, trx: Trx, messageId: string): Promise<Message> {
  const { rows } = await sql<MessageRow>`
    SELECT ${COLUMNS} FROM ${ctx.tables.messages} WHERE message_id = ${messageId}
  `.execute(trx);
  if (!rows[0]) throw new ImError("not_found", "no such message");
  return toMessage(rows[0]);
}

/**
 * @internal Writes a change with the conversation's next changeSeq and its
 * outbox entry, in one statement of the caller's change transaction. The
 * outbox entry's times come from the database clock (delivery timing is the
 * store's, whatever `ts` the caller gave the change).
 */
export async function writeChange(
  ctx: StoreContext,
  trx: Trx,
  fields: ChangeFields,
): Promise<{ change: MessageChange; outboxId: string }> {
  const t = ctx.tables;
  const { rows } = await sql<ChangeRow & { outbox_id: string }>`
    WITH k AS (
      UPDATE ${t.change_counters} SET last_change_seq = last_change_seq + 1
      WHERE conversation_id = ${fields.conversationId}
      RETURNING last_change_seq
    ), ch AS (
      INSERT INTO ${t.message_changes} (conversation_id, change_seq, kind, message_id, seq, by_user,
        visible_to, body, reaction_key, changed_at)
      SELECT ${fields.conversationId}, k.last_change_seq, ${fields.kind}, ${fields.messageId},
        ${fields.seq}::bigint, ${fields.by}, ${fields.visibleTo ?? null}::text,
        ${fields.body === undefined ? null : JSON.stringify(fields.body)}::jsonb,
        ${fields.key ?? null}::text, ${new Date(fields.ts)}::timestamptz
      FROM k
      RETURNING *
    ), o AS (
      INSERT INTO ${t.outbox} (kind, message_id, conversation_id, change_seq, next_attempt_at, created_at)
      SELECT 'change', message_id, conversation_id, change_seq,
        now() + ${ctx.options.outboxGraceMs}::bigint * interval '1 millisecond', now()
      FROM ch
      RETURNING id
    )
    SELECT ch.*, (SELECT id::text FROM o) AS outbox_id FROM ch
  `.execute(trx);
  const row = rows[0];
  if (!row) throw new ImError("internal", "[lucky-im] [store-postgres] change counter missing");
  return { change: toChange(row), outboxId: row.outbox_id };
}

/** @internal `MessageStore.recall` with its change: the first recall writes one, a repeat nothing. */
export async function recallWithChange(
  ctx: StoreContext,
  messageId: string,
  by: string,
): Promise<Message | undefined> {
  let conversationId: string;
  try {
    conversationId = await conversationOf(ctx, messageId);
  } catch {
    return undefined;
  }
  return inChangeTransaction(ctx, conversationId, async (trx) => {
    const { rows } = await sql<MessageRow>`
      UPDATE ${ctx.tables.messages} SET recalled_at = now(), recalled_by = ${by}
      WHERE message_id = ${messageId} AND recalled_at IS NULL
      RETURNING ${COLUMNS}
    `.execute(trx);
    if (!rows[0]) return messageIn(ctx, trx, messageId);
    const message = toMessage(rows[0]);
    await writeChange(ctx, trx, {
      conversationId,
      kind: "recalled",
      messageId,
      seq: message.seq,
      by,
      ts: Date.now(),
    });
    return message;
  });
}
