import {
  type ChangeResult,
  checkReactionKey,
  checkSeq,
  ImError,
  type Message,
  type MessageChangeStore,
  type ReactionSummary,
  searchLimit,
  searchWords,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import { toMs } from "./context.js";
import {
  type ChangeFields,
  conversationOf,
  inChangeTransaction,
  messageIn,
  type Trx,
  writeChange,
} from "./postgres-change-writes.js";
import { type ChangeRow, MESSAGE_COLUMNS, type MessageRow, toChange, toMessage } from "./rows.js";

const COLUMNS = sql.raw(MESSAGE_COLUMNS.map((c) => `m.${c}`).join(", "));

/** The indexed search vector: MUST match `messages_search_idx` of migration 0003. */
const SEARCH_VECTOR = sql`to_tsvector('simple'::regconfig,
  coalesce(m.body->>'text', m.body->>'name', m.body->>'label', ''))`;

/** @internal The PostgreSQL {@link MessageChangeStore}. */
export function createPostgresMessageChangeStore(ctx: StoreContext): MessageChangeStore {
  const t = ctx.tables;
  const db = ctx.db;
  const limits = ctx.options.messageChanges;

  /** `m` is hidden for `viewer` (deleted for them or cleared). */
  const visibleTo = (viewer: string) => sql`
    NOT EXISTS (SELECT 1 FROM ${t.hidden_messages} AS h
      WHERE h.user_id = ${viewer} AND h.conversation_id = m.conversation_id AND h.seq = m.seq)
    AND NOT EXISTS (SELECT 1 FROM ${t.conversation_clears} AS k
      WHERE k.user_id = ${viewer} AND k.conversation_id = m.conversation_id AND k.up_to_seq >= m.seq)`;

  /**
   * A mutation of one message: its conversation's change transaction, the
   * message read under the lock, then `apply`, which changes it and names the
   * change (or returns undefined when nothing changes).
   */
  function mutate(
    what: string,
    messageId: string,
    apply: (
      trx: Trx,
      message: Message,
    ) => Promise<Omit<ChangeFields, "conversationId" | "messageId" | "seq"> | undefined>,
  ): Promise<ChangeResult | undefined> {
    return ctx.run(what, async () => {
      const conversationId = await conversationOf(ctx, messageId);
      return inChangeTransaction(ctx, conversationId, async (trx) => {
        const message = await messageIn(ctx, trx, messageId);
        const fields = await apply(trx, message);
        if (!fields) return undefined;
        const written = await writeChange(ctx, trx, {
          ...fields,
          conversationId,
          messageId,
          seq: message.seq,
        });
        return { ...written, message: await messageIn(ctx, trx, messageId) };
      });
    });
  }

  return {
    async edit({ messageId, by, body, ts }) {
      const result = await mutate("edit", messageId, async (trx, message) => {
        if (message.from !== by)
          throw new ImError("forbidden", "only the sender may edit a message");
        if (message.recalled) throw new ImError("conflict", "a recalled message cannot be edited");
        if (body?.type !== message.body.type) {
          throw new ImError("bad_request", "an edit keeps the body's type");
        }
        if (!limits.keepEditHistory) {
          await sql`DELETE FROM ${t.message_edits} WHERE message_id = ${messageId}`.execute(trx);
        }
        await sql`
          INSERT INTO ${t.message_edits} (message_id, body, replaced_at)
          SELECT message_id, body, ${new Date(ts)} FROM ${t.messages} WHERE message_id = ${messageId};
        `.execute(trx);
        await sql`
          UPDATE ${t.messages} SET body = ${JSON.stringify(body)}::jsonb, edited_at = ${new Date(ts)}
          WHERE message_id = ${messageId}
        `.execute(trx);
        return { kind: "edited" as const, by, ts, body };
      });
      return result!;
    },

    async react({ messageId, userId, key, ts }) {
      checkReactionKey(key, limits);
      return mutate("react", messageId, async (trx, message) => {
        if (message.recalled) throw new ImError("conflict", "a recalled message takes no reaction");
        const { rows } = await sql<{ total: number; mine: boolean }>`
          SELECT count(*)::int AS total,
            coalesce(bool_or(reaction_key = ${key} AND user_id = ${userId}), false) AS mine
          FROM ${t.reactions} WHERE message_id = ${messageId}
        `.execute(trx);
        if (rows[0]!.mine) return undefined;
        if (rows[0]!.total >= limits.maxReactionsPerMessage) {
          throw new ImError(
            "conflict",
            `a message has at most ${limits.maxReactionsPerMessage} reactions`,
          );
        }
        await sql`
          INSERT INTO ${t.reactions} (message_id, reaction_key, user_id, reacted_at)
          VALUES (${messageId}, ${key}, ${userId}, ${new Date(ts)})
        `.execute(trx);
        return { kind: "reacted" as const, by: userId, ts, key };
      });
    },

    async unreact({ messageId, userId, key, ts }) {
      checkReactionKey(key, limits);
      return mutate("unreact", messageId, async (trx) => {
        const { rows } = await sql`
          DELETE FROM ${t.reactions}
          WHERE message_id = ${messageId} AND reaction_key = ${key} AND user_id = ${userId}
          RETURNING 1
        `.execute(trx);
        if (rows.length === 0) return undefined;
        return { kind: "unreacted" as const, by: userId, ts, key };
      });
    },

    pin({ messageId, by, ts }) {
      return mutate("pin", messageId, async (trx, message) => {
        if (message.recalled) throw new ImError("conflict", "a recalled message cannot be pinned");
        const { rows } = await sql<{ total: number; pinned: boolean }>`
          SELECT count(*)::int AS total, coalesce(bool_or(message_id = ${messageId}), false) AS pinned
          FROM ${t.pins} WHERE conversation_id = ${message.conversationId}
        `.execute(trx);
        if (rows[0]!.pinned) return undefined;
        if (rows[0]!.total >= limits.maxPinsPerConversation) {
          throw new ImError(
            "conflict",
            `a conversation has at most ${limits.maxPinsPerConversation} pinned messages`,
          );
        }
        await sql`
          INSERT INTO ${t.pins} (conversation_id, message_id, seq, pinned_by, pinned_at)
          VALUES (${message.conversationId}, ${messageId}, ${message.seq}, ${by}, ${new Date(ts)})
        `.execute(trx);
        return { kind: "pinned" as const, by, ts };
      });
    },

    unpin({ messageId, by, ts }) {
      return mutate("unpin", messageId, async (trx, message) => {
        const { rows } = await sql`
          DELETE FROM ${t.pins}
          WHERE conversation_id = ${message.conversationId} AND message_id = ${messageId}
          RETURNING 1
        `.execute(trx);
        if (rows.length === 0) return undefined;
        return { kind: "unpinned" as const, by, ts };
      });
    },

    deleteForMe({ messageId, userId, ts }) {
      return mutate("deleteForMe", messageId, async (trx, message) => {
        const { rows } = await sql`
          INSERT INTO ${t.hidden_messages} (user_id, conversation_id, seq)
          SELECT ${userId}, ${message.conversationId}, ${message.seq}
          WHERE NOT EXISTS (SELECT 1 FROM ${t.conversation_clears}
            WHERE user_id = ${userId} AND conversation_id = ${message.conversationId}
              AND up_to_seq >= ${message.seq})
          ON CONFLICT DO NOTHING
          RETURNING 1
        `.execute(trx);
        if (rows.length === 0) return undefined;
        return { kind: "deleted" as const, by: userId, ts, visibleTo: userId };
      });
    },

    async clearConversation({ conversationId, userId, upToSeq, ts }) {
      checkSeq(upToSeq, "upToSeq");
      return ctx.run("clearConversation", () =>
        inChangeTransaction(ctx, conversationId, async (trx) => {
          const { rows: found } = await sql<{ message_id: string }>`
            SELECT message_id FROM ${t.messages}
            WHERE conversation_id = ${conversationId} AND seq = ${upToSeq}
          `.execute(trx);
          const target = found[0];
          if (!target) {
            throw new ImError("not_found", `no message ${upToSeq} in ${conversationId}`);
          }
          const { rows } = await sql`
            INSERT INTO ${t.conversation_clears} AS k (user_id, conversation_id, up_to_seq)
            VALUES (${userId}, ${conversationId}, ${upToSeq})
            ON CONFLICT (user_id, conversation_id) DO UPDATE SET up_to_seq = excluded.up_to_seq
              WHERE k.up_to_seq < excluded.up_to_seq
            RETURNING 1
          `.execute(trx);
          if (rows.length === 0) return undefined;
          const written = await writeChange(ctx, trx, {
            conversationId,
            kind: "cleared",
            messageId: target.message_id,
            seq: upToSeq,
            by: userId,
            ts,
            visibleTo: userId,
          });
          return { ...written, message: await messageIn(ctx, trx, target.message_id) };
        }),
      );
    },

    changesAfter(conversationId, afterChangeSeq, limit, viewer) {
      return ctx.run("changesAfter", async () => {
        const max = Math.min(Math.max(0, Math.floor(limit)), limits.maxChangesPage);
        if (!(max > 0) || !Number.isFinite(afterChangeSeq)) return [];
        const { rows } = await sql<ChangeRow>`
          SELECT * FROM ${t.message_changes}
          WHERE conversation_id = ${conversationId} AND change_seq > ${Math.floor(afterChangeSeq)}
            AND (visible_to IS NULL OR visible_to = ${viewer ?? null}::text)
          ORDER BY change_seq
          LIMIT ${max}
        `.execute(db);
        return rows.map(toChange);
      });
    },

    lastChangeSeqs(conversationIds) {
      return ctx.run("lastChangeSeqs", async () => {
        const result = new Map<string, number>(conversationIds.map((id) => [id, 0]));
        if (conversationIds.length === 0) return result;
        const { rows } = await sql<{ conversation_id: string; last_change_seq: string }>`
          SELECT conversation_id, last_change_seq FROM ${t.change_counters}
          WHERE conversation_id = ANY(${[...new Set(conversationIds)]}::text[])
        `.execute(db);
        for (const row of rows) result.set(row.conversation_id, Number(row.last_change_seq));
        return result;
      });
    },

    editHistory(messageId) {
      return ctx.run("editHistory", async () => {
        const rows = await db
          .selectFrom("message_edits")
          .select(["body", "replaced_at"])
          .where("message_id", "=", messageId)
          .orderBy("id")
          .execute();
        return rows.map((row) => ({
          body: row.body as Message["body"],
          replacedAt: toMs(row.replaced_at),
        }));
      });
    },

    reactions(messageIds, viewer) {
      return ctx.run("reactions", async () => {
        if (messageIds.length === 0) return [];
        const { rows } = await sql<{
          message_id: string;
          reaction_key: string;
          count: number;
          mine: boolean;
        }>`
          SELECT message_id, reaction_key, count(*)::int AS count, bool_or(user_id = ${viewer}) AS mine
          FROM ${t.reactions}
          WHERE message_id = ANY(${[...new Set(messageIds)]}::text[])
          GROUP BY message_id, reaction_key
          ORDER BY message_id COLLATE "C", reaction_key COLLATE "C"
        `.execute(db);
        return rows.map(
          (row): ReactionSummary => ({
            messageId: row.message_id,
            key: row.reaction_key,
            count: row.count,
            mine: row.mine,
          }),
        );
      });
    },

    pins(conversationId) {
      return ctx.run("pins", async () => {
        const rows = await db
          .selectFrom("pins")
          .select(["message_id", "seq", "pinned_by", "pinned_at"])
          .where("conversation_id", "=", conversationId)
          .orderBy("pinned_at", "desc")
          .orderBy("seq", "desc")
          .execute();
        return rows.map((row) => ({
          messageId: row.message_id,
          seq: Number(row.seq),
          pinnedBy: row.pinned_by,
          pinnedAt: toMs(row.pinned_at),
        }));
      });
    },

    mentionCounts(userId, conversationIds) {
      return ctx.run("mentionCounts", async () => {
        const result = new Map<string, number>();
        if (conversationIds.length === 0) return result;
        const { rows } = await sql<{ conversation_id: string; count: number }>`
          SELECT m.conversation_id, count(*)::int AS count
          FROM ${t.cursors} AS c
          JOIN ${t.messages} AS m ON m.conversation_id = c.conversation_id AND m.seq > c.read_seq
          WHERE c.user_id = ${userId}
            AND c.conversation_id = ANY(${[...new Set(conversationIds)]}::text[])
            AND m.mentions IS NOT NULL AND m.mentions ?| ${[userId, "all"]}::text[]
            AND m.sender_id <> ${userId} AND m.recalled_at IS NULL
            AND ${visibleTo(userId)}
          GROUP BY m.conversation_id
        `.execute(db);
        for (const row of rows) result.set(row.conversation_id, row.count);
        return result;
      });
    },

    async search(query) {
      const words = searchWords(query, limits);
      const limit = searchLimit(query, limits);
      return ctx.run("search", async () => {
        if (query.conversationIds.length === 0) return { messages: [] };
        const filters = [
          query.from === undefined ? sql`` : sql`AND m.sender_id = ${query.from}`,
          query.bodyType === undefined ? sql`` : sql`AND m.body->>'type' = ${query.bodyType}`,
          query.since === undefined ? sql`` : sql`AND m.sent_at >= ${new Date(query.since)}`,
          query.until === undefined ? sql`` : sql`AND m.sent_at < ${new Date(query.until)}`,
          query.after === undefined
            ? sql``
            : sql`AND (m.sent_at, m.message_id COLLATE "C") <
                (${new Date(query.after.ts)}::timestamptz, ${query.after.messageId} COLLATE "C")`,
        ];
        const { rows } = await sql<MessageRow>`
          SELECT ${COLUMNS} FROM ${t.messages} AS m
          WHERE m.conversation_id = ANY(${[...new Set(query.conversationIds)]}::text[])
            AND ${SEARCH_VECTOR} @@ plainto_tsquery('simple'::regconfig, ${words.join(" ")})
            AND m.recalled_at IS NULL
            ${sql.join(filters, sql` `)}
            AND ${visibleTo(query.viewer)}
          ORDER BY m.sent_at DESC, m.message_id COLLATE "C" DESC
          LIMIT ${limit + 1}
        `.execute(db);
        const messages = rows.slice(0, limit).map(toMessage);
        const last = messages[messages.length - 1];
        return rows.length > limit && last
          ? { messages, next: { ts: last.ts, messageId: last.messageId } }
          : { messages };
      });
    },
  };
}
