import type {
  ConversationSummary,
  Cursor,
  CursorMove,
  CursorMoved,
  CursorStore,
  PeerCursor,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import { type MessageRow, toMessage } from "./rows.js";
import { type SettingsRow, toSettings } from "./sqlite-conversation-settings-store.js";

interface CursorRow {
  conversation_id: string;
  delivered_seq: number;
  read_seq: number;
  last_seq: number;
  joined_seq: number;
}

function toCursor(row: CursorRow): Cursor {
  const cursor: Cursor = {
    conversationId: row.conversation_id,
    deliveredSeq: row.delivered_seq,
    readSeq: row.read_seq,
    lastSeq: row.last_seq,
  };
  if (row.joined_seq > 0) cursor.joinedSeq = row.joined_seq;
  return cursor;
}

/**
 * The statements of a cursor move, as constant texts (see `Executor.statement`): every ack and
 * read moves cursors, and compiling a kysely query costs more than running it on SQLite.
 */
const MOVE_SQL = {
  lastSeq: "SELECT last_seq FROM conversations WHERE id = ?",
  delivered: `UPDATE cursors SET delivered_seq = ?, updated_at = ?
    WHERE user_id = ? AND conversation_id = ? AND delivered_seq < ?`,
  readSeq: "SELECT read_seq FROM cursors WHERE user_id = ? AND conversation_id = ?",
  read: `UPDATE cursors SET read_seq = max(read_seq, ?), delivered_seq = max(delivered_seq, ?),
    updated_at = ? WHERE user_id = ? AND conversation_id = ? AND (read_seq < ? OR delivered_seq < ?)`,
} as const;

type SummaryRow = CursorRow &
  SettingsRow & { [K in keyof MessageRow as `m_${K}`]: MessageRow[K] | null };

/** @internal The SQLite {@link CursorStore}. */
export function createSqliteCursorStore(ctx: StoreContext): CursorStore {
  const { db, exec } = ctx;

  /**
   * One move, inside a write transaction. Capped at the conversation's last
   * seq: a cursor ahead of it would make sync skip messages not written yet.
   * Never lowers a cursor; `read` raises both. Returns the stored value of
   * the cursor the move names when the move raised it.
   */
  function move({ userId, conversationId, seq, kind }: CursorMove): CursorMoved | undefined {
    const conversation = exec.statement(MOVE_SQL.lastSeq).get(conversationId) as
      | { last_seq: number }
      | undefined;
    if (!conversation || !Number.isFinite(seq)) return undefined;
    const v = Math.min(Math.floor(seq), conversation.last_seq);
    const now = Date.now();
    const moved = { userId, conversationId, seq: v, kind };
    if (kind === "delivered") {
      const { changes } = exec.statement(MOVE_SQL.delivered).run(v, now, userId, conversationId, v);
      return changes > 0 ? moved : undefined;
    }
    // Only a raised read cursor counts (a read may raise the delivered cursor alone).
    const before = exec.statement(MOVE_SQL.readSeq).get(userId, conversationId) as
      | { read_seq: number }
      | undefined;
    if (!before) return undefined;
    exec.statement(MOVE_SQL.read).run(v, v, now, userId, conversationId, v, v);
    return before.read_seq < v ? moved : undefined;
  }

  return {
    markDelivered(userId, conversationId, seq) {
      return ctx.run("markDelivered", () =>
        exec.transaction(
          () => move({ userId, conversationId, seq, kind: "delivered" })?.seq,
          "bookkeeping",
        ),
      );
    },

    markRead(userId, conversationId, seq) {
      return ctx.run("markRead", () =>
        exec.transaction(
          () => move({ userId, conversationId, seq, kind: "read" })?.seq,
          "bookkeeping",
        ),
      );
    },

    markMany(moves) {
      // One transaction (one commit) for the whole batch.
      return ctx.run("markMany", () =>
        exec.transaction(() => moves.flatMap((m) => move(m) ?? []), "bookkeeping"),
      );
    },

    cursors(userId, conversationIds) {
      return ctx.run("cursors", () => {
        if (conversationIds !== undefined && conversationIds.length === 0) return [];
        let q = db
          .selectFrom("cursors as c")
          .innerJoin("conversations as cv", "cv.id", "c.conversation_id")
          .select([
            "c.conversation_id",
            "c.delivered_seq",
            "c.read_seq",
            "cv.last_seq",
            "c.joined_seq",
          ])
          .where("c.user_id", "=", userId);
        if (conversationIds !== undefined) {
          q = q.where("c.conversation_id", "in", [...new Set(conversationIds)]);
        }
        return exec.all(q).map(toCursor);
      });
    },

    conversations(userId, options) {
      return ctx.run("conversations", () => {
        const limit = options?.limit;
        if (limit !== undefined && !(limit > 0)) return [];
        const offset = Math.max(0, Math.floor(options?.offset ?? 0));
        const rows = exec.all(
          sql<SummaryRow>`
            SELECT c.conversation_id, c.delivered_seq, c.read_seq, cv.last_seq, c.joined_seq,
              c.pinned_at, c.muted_until, c.archived, c.marked_unread,
              m.conversation_id AS m_conversation_id, m.seq AS m_seq, m.message_id AS m_message_id,
              m.sender_id AS m_sender_id, m.cid AS m_cid, m.to_type AS m_to_type, m.to_id AS m_to_id,
              m.body AS m_body, m.sent_at AS m_sent_at, m.recalled_at AS m_recalled_at,
              m.recalled_by AS m_recalled_by, m.edited_at AS m_edited_at,
              m.reply_to AS m_reply_to, m.mentions AS m_mentions, m.forwarded AS m_forwarded
            FROM cursors AS c
            JOIN conversations AS cv ON cv.id = c.conversation_id
            LEFT JOIN messages AS m ON m.conversation_id = cv.id AND m.seq = cv.last_seq
              AND m.seq > c.joined_seq
            WHERE c.user_id = ${userId}
            ORDER BY c.pinned_at IS NULL, c.pinned_at DESC, cv.updated_at DESC, cv.touched_at DESC, cv.id
            LIMIT ${limit === undefined ? -1 : Math.floor(limit)} OFFSET ${offset}
          `.compile(db),
        );
        return rows.map((row): ConversationSummary => {
          const summary: ConversationSummary = {
            conversationId: row.conversation_id,
            lastSeq: row.last_seq,
            deliveredSeq: row.delivered_seq,
            readSeq: row.read_seq,
            unread: Math.max(0, row.last_seq - row.read_seq),
            settings: toSettings(row),
          };
          if (row.m_message_id !== null) {
            summary.lastMessage = toMessage({
              conversation_id: row.m_conversation_id!,
              seq: row.m_seq!,
              message_id: row.m_message_id,
              sender_id: row.m_sender_id!,
              cid: row.m_cid!,
              to_type: row.m_to_type!,
              to_id: row.m_to_id!,
              body: row.m_body!,
              sent_at: row.m_sent_at!,
              recalled_at: row.m_recalled_at,
              recalled_by: row.m_recalled_by,
              edited_at: row.m_edited_at,
              reply_to: row.m_reply_to,
              mentions: row.m_mentions,
              forwarded: row.m_forwarded,
            });
          }
          return summary;
        });
      });
    },

    peerCursors(userId, conversationIds) {
      return ctx.run("peerCursors", () => {
        if (conversationIds.length === 0) return [];
        // Only conversations the user is in (the join on `me`).
        const rows = exec.all(
          db
            .selectFrom("cursors as me")
            .innerJoin("cursors as o", (join) =>
              join
                .onRef("o.conversation_id", "=", "me.conversation_id")
                .onRef("o.user_id", "<>", "me.user_id"),
            )
            .select((eb) => [
              "o.conversation_id",
              eb.fn.max("o.read_seq").as("read_seq"),
              eb.fn.max("o.delivered_seq").as("delivered_seq"),
            ])
            .where("me.user_id", "=", userId)
            .where("me.conversation_id", "in", [...new Set(conversationIds)])
            .groupBy("o.conversation_id"),
        );
        return rows.map(
          (row): PeerCursor => ({
            conversationId: row.conversation_id,
            readSeq: row.read_seq,
            deliveredSeq: row.delivered_seq,
          }),
        );
      });
    },

    membersJoinedAfter(conversationId, seq) {
      return ctx.run("membersJoinedAfter", () =>
        exec
          .all(
            db
              .selectFrom("cursors")
              .select("user_id")
              .where("conversation_id", "=", conversationId)
              // joined_seq is 0 for a member from the start: they see every message.
              .where("joined_seq", ">", 0)
              .where("joined_seq", ">=", seq),
          )
          .map((row) => row.user_id),
      );
    },

    participants(conversationId) {
      return ctx.run("participants", () =>
        exec
          .all(
            db
              .selectFrom("cursors")
              .select("user_id")
              .where("conversation_id", "=", conversationId),
          )
          .map((row) => row.user_id),
      );
    },
  };
}
