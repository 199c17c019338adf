import type { MessageChange } from "@lucky-im/core";
import type { StoreContext } from "./context.js";
import { type ChangeRow, toChange } from "./rows.js";

/** @internal The fields of a change its writer supplies (the seq is allocated here). */
export type ChangeFields = Omit<MessageChange, "changeSeq">;

const SQL = {
  counter: `INSERT INTO change_counters (conversation_id, last_change_seq) VALUES (?, 1)
    ON CONFLICT (conversation_id) DO UPDATE SET last_change_seq = last_change_seq + 1
    RETURNING last_change_seq`,
  change: `INSERT INTO message_changes (conversation_id, change_seq, kind, message_id, seq, by_user,
    visible_to, body, reaction_key, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  outbox: `INSERT INTO outbox (kind, message_id, conversation_id, change_seq, status, attempts,
    next_attempt_at, created_at) VALUES ('change', ?, ?, ?, 'pending', 0, ?, ?) RETURNING id`,
} as const;

/**
 * @internal Writes a change with its conversation's next changeSeq and its
 * outbox entry. MUST run inside the mutation's transaction (`exec.transaction`):
 * SQLite has one writer at a time, so changeSeqs commit in increasing order
 * and caps checked in the same transaction are exact.
 */
export function writeChange(
  ctx: StoreContext,
  fields: ChangeFields,
): { change: MessageChange; outboxId: string } {
  const { exec } = ctx;
  const { last_change_seq: changeSeq } = exec.statement(SQL.counter).get(fields.conversationId) as {
    last_change_seq: number;
  };
  const row = exec
    .statement(SQL.change)
    .get(
      fields.conversationId,
      changeSeq,
      fields.kind,
      fields.messageId,
      fields.seq,
      fields.by,
      fields.visibleTo ?? null,
      fields.body === undefined ? null : JSON.stringify(fields.body),
      fields.key ?? null,
      fields.ts,
    ) as ChangeRow;
  // Delivery timing is the store's clock, whatever `ts` the caller gave the change.
  const now = Date.now();
  const outbox = exec
    .statement(SQL.outbox)
    .get(
      fields.messageId,
      fields.conversationId,
      changeSeq,
      now + ctx.options.outboxGraceMs,
      now,
    ) as {
    id: number;
  };
  return { change: toChange(row), outboxId: String(outbox.id) };
}
