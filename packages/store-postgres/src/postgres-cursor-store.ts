import {
  type ConversationSummary,
  type Cursor,
  type CursorMoved,
  type CursorStore,
  type PeerCursor,
  TurnBatch,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import {
  SETTINGS_COLUMNS,
  type SettingsRow,
  toSettings,
} from "./postgres-conversation-settings-store.js";
import { type MessageRow, toMessage } from "./rows.js";

interface CursorRow {
  conversation_id: string;
  delivered_seq: string;
  read_seq: string;
  last_seq: string;
  joined_seq: string;
}

function toCursor(row: CursorRow): Cursor {
  const cursor: Cursor = {
    conversationId: row.conversation_id,
    deliveredSeq: Number(row.delivered_seq),
    readSeq: Number(row.read_seq),
    lastSeq: Number(row.last_seq),
  };
  const joinedSeq = Number(row.joined_seq);
  if (joinedSeq > 0) cursor.joinedSeq = joinedSeq;
  return cursor;
}

interface MovedRow {
  user_id: string;
  conversation_id: string;
  seq: string;
  raised: boolean;
}

function toMoved(rows: readonly MovedRow[], kind: CursorMoved["kind"]): CursorMoved[] {
  return rows
    .filter((row) => row.raised)
    .map((row) => ({
      userId: row.user_id,
      conversationId: row.conversation_id,
      seq: Number(row.seq),
      kind,
    }));
}

type SummaryRow = CursorRow &
  SettingsRow & { [K in keyof MessageRow as `m_${K}`]: MessageRow[K] | null };

/** @internal The PostgreSQL {@link CursorStore}. */
export function createPostgresCursorStore(ctx: StoreContext): CursorStore {
  const t = ctx.tables;
  const db = ctx.db;

  /** Every cursor of one user. */
  async function cursorsOfUser(userId: string): Promise<Cursor[]> {
    const { rows } = await sql<CursorRow>`
      SELECT c.conversation_id, c.delivered_seq, c.read_seq, cv.last_seq, c.joined_seq
      FROM ${t.cursors} AS c JOIN ${t.conversations} AS cv ON cv.id = c.conversation_id
      WHERE c.user_id = ${userId}
    `.execute(db);
    return rows.map(toCursor);
  }

  /** Every cursor of each user, in one query. */
  async function cursorsOfUsers(userIds: readonly string[]): Promise<Cursor[][]> {
    if (userIds.length === 1) return [await cursorsOfUser(userIds[0] as string)];
    const { rows } = await sql<CursorRow & { user_id: string }>`
      SELECT c.user_id, c.conversation_id, c.delivered_seq, c.read_seq, cv.last_seq, c.joined_seq
      FROM ${t.cursors} AS c JOIN ${t.conversations} AS cv ON cv.id = c.conversation_id
      WHERE c.user_id = ANY(${[...new Set(userIds)]}::text[])
    `.execute(db);
    const byUser = new Map<string, Cursor[]>();
    for (const row of rows) {
      const list = byUser.get(row.user_id);
      if (list) list.push(toCursor(row));
      else byUser.set(row.user_id, [toCursor(row)]);
    }
    // A user asked for twice gets copies: callers may mutate their answers.
    return userIds.map((userId) => (byUser.get(userId) ?? []).map((cursor) => ({ ...cursor })));
  }

  const allCursors = ctx.options.readBatch
    ? new TurnBatch<string, Cursor[]>(cursorsOfUsers, ctx.options.readBatch)
    : undefined;

  return {
    markDelivered(userId, conversationId, seq) {
      return ctx.run("markDelivered", async () => {
        // Clamped to the conversation's last seq: a cursor ahead of it would
        // make sync skip messages that are not written yet.
        const { rows } = await sql<{ seq: string }>`
          UPDATE ${t.cursors} AS c
          SET delivered_seq = s.v, updated_at = now()
          FROM (SELECT least(${seq}::bigint, last_seq) AS v FROM ${t.conversations} WHERE id = ${conversationId}) AS s
          WHERE c.user_id = ${userId} AND c.conversation_id = ${conversationId}
            AND c.delivered_seq < s.v AND ${ctx.bookkeepingCommit}
          RETURNING c.delivered_seq AS seq
        `.execute(db);
        return rows[0] ? Number(rows[0].seq) : undefined;
      });
    },

    markRead(userId, conversationId, seq) {
      return ctx.run("markRead", async () => {
        // `raised` is computed from the row before the update: only a raised read cursor gets a receipt.
        const { rows } = await sql<{ seq: string; raised: boolean }>`
          UPDATE ${t.cursors} AS c
          SET read_seq = greatest(c.read_seq, s.v),
              delivered_seq = greatest(c.delivered_seq, s.v),
              updated_at = now()
          FROM (SELECT least(${seq}::bigint, last_seq) AS v FROM ${t.conversations} WHERE id = ${conversationId}) AS s,
               ${t.cursors} AS old
          WHERE c.user_id = ${userId} AND c.conversation_id = ${conversationId}
            AND old.user_id = c.user_id AND old.conversation_id = c.conversation_id
            AND (c.read_seq < s.v OR c.delivered_seq < s.v) AND ${ctx.bookkeepingCommit}
          RETURNING c.read_seq AS seq, old.read_seq < s.v AS raised
        `.execute(db);
        const row = rows[0];
        return row?.raised ? Number(row.seq) : undefined;
      });
    },

    markMany(moves) {
      return ctx.run("markMany", async () => {
        const delivered = moves.filter((m) => m.kind === "delivered");
        const read = moves.filter((m) => m.kind === "read");
        // One statement per kind for the whole batch; the same capping and never-lower rules
        // as the single-cursor statements above.
        const targets = (list: typeof moves) => sql`
          SELECT u.user_id, u.conversation_id, least(max(u.seq), max(cv.last_seq)) AS v
          FROM unnest(${list.map((m) => m.userId)}::text[], ${list.map((m) => m.conversationId)}::text[],
                      ${list.map((m) => m.seq)}::bigint[]) AS u(user_id, conversation_id, seq)
          JOIN ${t.conversations} AS cv ON cv.id = u.conversation_id
          GROUP BY u.user_id, u.conversation_id`;
        const moved: CursorMoved[] = [];
        if (delivered.length > 0) {
          const { rows } = await sql<MovedRow>`
            UPDATE ${t.cursors} AS c
            SET delivered_seq = w.v, updated_at = now()
            FROM (${targets(delivered)}) AS w
            WHERE c.user_id = w.user_id AND c.conversation_id = w.conversation_id
              AND c.delivered_seq < w.v AND ${ctx.bookkeepingCommit}
            RETURNING c.user_id, c.conversation_id, c.delivered_seq AS seq, true AS raised
          `.execute(db);
          moved.push(...toMoved(rows, "delivered"));
        }
        if (read.length > 0) {
          // A self-join gives the row before the update: only a raised read cursor is reported.
          const { rows } = await sql<MovedRow>`
            UPDATE ${t.cursors} AS c
            SET read_seq = greatest(c.read_seq, w.v),
                delivered_seq = greatest(c.delivered_seq, w.v),
                updated_at = now()
            FROM (${targets(read)}) AS w, ${t.cursors} AS old
            WHERE c.user_id = w.user_id AND c.conversation_id = w.conversation_id
              AND old.user_id = c.user_id AND old.conversation_id = c.conversation_id
              AND (c.read_seq < w.v OR c.delivered_seq < w.v) AND ${ctx.bookkeepingCommit}
            RETURNING c.user_id, c.conversation_id, c.read_seq AS seq, old.read_seq < w.v AS raised
          `.execute(db);
          moved.push(...toMoved(rows, "read"));
        }
        return moved;
      });
    },

    cursors(userId, conversationIds) {
      return ctx.run("cursors", async () => {
        if (conversationIds === undefined) {
          // Every cursor of the user (what `sync` reads): shared with other callers' reads.
          // A NUL (which PostgreSQL text refuses) fails its own caller, not a batch.
          return allCursors && !userId.includes("\u0000")
            ? allCursors.submit(userId)
            : cursorsOfUser(userId);
        }
        if (conversationIds.length === 0) return [];
        const { rows } = await sql<CursorRow>`
          SELECT c.conversation_id, c.delivered_seq, c.read_seq, cv.last_seq, c.joined_seq
          FROM ${t.cursors} AS c JOIN ${t.conversations} AS cv ON cv.id = c.conversation_id
          WHERE c.user_id = ${userId}
            AND c.conversation_id = ANY(${[...new Set(conversationIds)]}::text[])
        `.execute(db);
        return rows.map(toCursor);
      });
    },

    conversations(userId, options) {
      return ctx.run("conversations", async () => {
        const limit = options?.limit;
        if (limit !== undefined && !(limit > 0)) return [];
        const offset = Math.max(0, Math.floor(options?.offset ?? 0));
        const { rows } = await sql<SummaryRow>`
          SELECT c.conversation_id, c.delivered_seq, c.read_seq, cv.last_seq, ${SETTINGS_COLUMNS},
            m.conversation_id AS m_conversation_id, m.seq AS m_seq, m.message_id AS m_message_id,
            m.sender_id AS m_sender_id, m.cid AS m_cid, m.to_type AS m_to_type, m.to_id AS m_to_id,
            m.body AS m_body, m.sent_at AS m_sent_at, m.recalled_at AS m_recalled_at,
            m.recalled_by AS m_recalled_by, m.edited_at AS m_edited_at,
            m.reply_to AS m_reply_to, m.mentions AS m_mentions, m.forwarded AS m_forwarded
          FROM ${t.cursors} AS c
          JOIN ${t.conversations} AS cv ON cv.id = c.conversation_id
          LEFT JOIN ${t.messages} AS m ON m.conversation_id = cv.id AND m.seq = cv.last_seq
            AND m.seq > c.joined_seq
          WHERE c.user_id = ${userId}
          ORDER BY c.pinned_at DESC NULLS LAST, cv.updated_at DESC, cv.touched_at DESC, cv.id
          ${limit === undefined ? sql`` : sql`LIMIT ${Math.floor(limit)}`}
          ${offset > 0 ? sql`OFFSET ${offset}` : sql``}
        `.execute(db);
        return rows.map((row): ConversationSummary => {
          const lastSeq = Number(row.last_seq);
          const readSeq = Number(row.read_seq);
          const summary: ConversationSummary = {
            conversationId: row.conversation_id,
            lastSeq,
            deliveredSeq: Number(row.delivered_seq),
            readSeq,
            unread: Math.max(0, lastSeq - readSeq),
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
              body: row.m_body,
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

    participants(conversationId) {
      return ctx.run("participants", async () => {
        const rows = await db
          .selectFrom("cursors")
          .select("user_id")
          .where("conversation_id", "=", conversationId)
          .execute();
        return rows.map((row) => row.user_id);
      });
    },

    membersJoinedAfter(conversationId, seq) {
      return ctx.run("membersJoinedAfter", async () => {
        // joined_seq is 0 for a member from the start: they see every message.
        const rows = await db
          .selectFrom("cursors")
          .select("user_id")
          .where("conversation_id", "=", conversationId)
          .where("joined_seq", ">", 0)
          .where("joined_seq", ">=", seq)
          .execute();
        return rows.map((row) => row.user_id);
      });
    },

    peerCursors(userId, conversationIds) {
      return ctx.run("peerCursors", async () => {
        if (conversationIds.length === 0) return [];
        // Only conversations the user is in (the join on `me`); the others' rows come from
        // the (conversation_id, user_id) index.
        const { rows } = await sql<{
          conversation_id: string;
          read_seq: string;
          delivered_seq: string;
        }>`
          SELECT o.conversation_id, max(o.read_seq) AS read_seq, max(o.delivered_seq) AS delivered_seq
          FROM ${t.cursors} AS me
          JOIN ${t.cursors} AS o ON o.conversation_id = me.conversation_id AND o.user_id <> me.user_id
          WHERE me.user_id = ${userId}
            AND me.conversation_id = ANY(${[...new Set(conversationIds)]}::text[])
          GROUP BY o.conversation_id
        `.execute(db);
        return rows.map(
          (row): PeerCursor => ({
            conversationId: row.conversation_id,
            readSeq: Number(row.read_seq),
            deliveredSeq: Number(row.delivered_seq),
          }),
        );
      });
    },
  };
}
