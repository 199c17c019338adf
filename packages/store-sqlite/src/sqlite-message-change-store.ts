import {
  type ChangeResult,
  checkReactionKey,
  checkSeq,
  ImError,
  type Message,
  type MessageBody,
  type MessageChangeStore,
  type ReactionSummary,
  searchLimit,
  searchWords,
} from "@lucky-im/core";
import type { StoreContext } from "./context.js";
import { type ChangeRow, MESSAGE_COLUMNS, type MessageRow, toChange, toMessage } from "./rows.js";
import { type ChangeFields, writeChange } from "./sqlite-change-writes.js";

const COLUMNS = MESSAGE_COLUMNS.map((c) => `m.${c}`).join(", ");

/** `m` is not hidden for the viewer bound at this place (two parameters: the viewer twice). */
const VISIBLE = `NOT EXISTS (SELECT 1 FROM hidden_messages AS h
    WHERE h.user_id = ? AND h.conversation_id = m.conversation_id AND h.seq = m.seq)
  AND NOT EXISTS (SELECT 1 FROM conversation_clears AS k
    WHERE k.user_id = ? AND k.conversation_id = m.conversation_id AND k.up_to_seq >= m.seq)`;

/** An FTS5 query matching every word (each quoted, so no word is read as an operator). */
function ftsQuery(words: readonly string[]): string {
  return words.map((word) => `"${word.replaceAll('"', '""')}"`).join(" ");
}

/** @internal The SQLite {@link MessageChangeStore}. */
export function createSqliteMessageChangeStore(ctx: StoreContext): MessageChangeStore {
  const { exec } = ctx;
  const limits = ctx.options.messageChanges;

  function messageRow(messageId: string): Message {
    const row = exec
      .statement(`SELECT ${MESSAGE_COLUMNS.join(", ")} FROM messages WHERE message_id = ?`)
      .get(messageId) as MessageRow | undefined;
    if (!row) throw new ImError("not_found", "no such message");
    return toMessage(row);
  }

  /**
   * A mutation of one message in one write transaction: read it, `apply`
   * (which changes it and names the change, or returns undefined when
   * nothing changes), then the change and its outbox entry.
   */
  function mutate(
    what: string,
    messageId: string,
    apply: (
      message: Message,
    ) => Omit<ChangeFields, "conversationId" | "messageId" | "seq"> | undefined,
  ): Promise<ChangeResult | undefined> {
    return ctx.run(what, () =>
      exec.transaction(() => {
        if (typeof messageId !== "string") throw new ImError("not_found", "no such message");
        const message = messageRow(messageId);
        const fields = apply(message);
        if (!fields) return undefined;
        const written = writeChange(ctx, {
          ...fields,
          conversationId: message.conversationId,
          messageId,
          seq: message.seq,
        });
        return { ...written, message: messageRow(messageId) };
      }),
    );
  }

  return {
    async edit({ messageId, by, body, ts }) {
      const result = await mutate("edit", messageId, (message) => {
        if (message.from !== by)
          throw new ImError("forbidden", "only the sender may edit a message");
        if (message.recalled) throw new ImError("conflict", "a recalled message cannot be edited");
        if (body?.type !== message.body.type) {
          throw new ImError("bad_request", "an edit keeps the body's type");
        }
        if (!limits.keepEditHistory) {
          exec.statement("DELETE FROM message_edits WHERE message_id = ?").run(messageId);
        }
        exec
          .statement(`INSERT INTO message_edits (message_id, body, replaced_at)
            SELECT message_id, body, ? FROM messages WHERE message_id = ?`)
          .run(ts, messageId);
        exec
          .statement("UPDATE messages SET body = ?, edited_at = ? WHERE message_id = ?")
          .run(JSON.stringify(body), ts, messageId);
        return { kind: "edited" as const, by, ts, body };
      });
      return result!;
    },

    async react({ messageId, userId, key, ts }) {
      checkReactionKey(key, limits);
      return mutate("react", messageId, (message) => {
        if (message.recalled) throw new ImError("conflict", "a recalled message takes no reaction");
        const { total, mine } = exec
          .statement(`SELECT count(*) AS total,
              coalesce(max(reaction_key = ? AND user_id = ?), 0) AS mine
            FROM reactions WHERE message_id = ?`)
          .get(key, userId, messageId) as { total: number; mine: number };
        if (mine) return undefined;
        if (total >= limits.maxReactionsPerMessage) {
          throw new ImError(
            "conflict",
            `a message has at most ${limits.maxReactionsPerMessage} reactions`,
          );
        }
        exec
          .statement(
            "INSERT INTO reactions (message_id, reaction_key, user_id, reacted_at) VALUES (?, ?, ?, ?)",
          )
          .run(messageId, key, userId, ts);
        return { kind: "reacted" as const, by: userId, ts, key };
      });
    },

    async unreact({ messageId, userId, key, ts }) {
      checkReactionKey(key, limits);
      return mutate("unreact", messageId, () => {
        const removed = exec
          .statement(
            "DELETE FROM reactions WHERE message_id = ? AND reaction_key = ? AND user_id = ?",
          )
          .run(messageId, key, userId).changes;
        if (removed === 0) return undefined;
        return { kind: "unreacted" as const, by: userId, ts, key };
      });
    },

    pin({ messageId, by, ts }) {
      return mutate("pin", messageId, (message) => {
        if (message.recalled) throw new ImError("conflict", "a recalled message cannot be pinned");
        const { total, pinned } = exec
          .statement(`SELECT count(*) AS total, coalesce(max(message_id = ?), 0) AS pinned
            FROM pins WHERE conversation_id = ?`)
          .get(messageId, message.conversationId) as { total: number; pinned: number };
        if (pinned) return undefined;
        if (total >= limits.maxPinsPerConversation) {
          throw new ImError(
            "conflict",
            `a conversation has at most ${limits.maxPinsPerConversation} pinned messages`,
          );
        }
        exec
          .statement(`INSERT INTO pins (conversation_id, message_id, seq, pinned_by, pinned_at)
            VALUES (?, ?, ?, ?, ?)`)
          .run(message.conversationId, messageId, message.seq, by, ts);
        return { kind: "pinned" as const, by, ts };
      });
    },

    unpin({ messageId, by, ts }) {
      return mutate("unpin", messageId, (message) => {
        const removed = exec
          .statement("DELETE FROM pins WHERE conversation_id = ? AND message_id = ?")
          .run(message.conversationId, messageId).changes;
        if (removed === 0) return undefined;
        return { kind: "unpinned" as const, by, ts };
      });
    },

    deleteForMe({ messageId, userId, ts }) {
      return mutate("deleteForMe", messageId, (message) => {
        const added = exec
          .statement(`INSERT INTO hidden_messages (user_id, conversation_id, seq)
            SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM conversation_clears
              WHERE user_id = ? AND conversation_id = ? AND up_to_seq >= ?)
            ON CONFLICT DO NOTHING`)
          .run(
            userId,
            message.conversationId,
            message.seq,
            userId,
            message.conversationId,
            message.seq,
          ).changes;
        if (added === 0) return undefined;
        return { kind: "deleted" as const, by: userId, ts, visibleTo: userId };
      });
    },

    async clearConversation({ conversationId, userId, upToSeq, ts }) {
      checkSeq(upToSeq, "upToSeq");
      return ctx.run("clearConversation", () =>
        exec.transaction(() => {
          const target = exec
            .statement("SELECT message_id FROM messages WHERE conversation_id = ? AND seq = ?")
            .get(conversationId, upToSeq) as { message_id: string } | undefined;
          if (!target) throw new ImError("not_found", `no message ${upToSeq} in ${conversationId}`);
          const raised = exec
            .statement(`INSERT INTO conversation_clears (user_id, conversation_id, up_to_seq)
              VALUES (?, ?, ?)
              ON CONFLICT (user_id, conversation_id) DO UPDATE SET up_to_seq = excluded.up_to_seq
                WHERE up_to_seq < excluded.up_to_seq`)
            .run(userId, conversationId, upToSeq).changes;
          if (raised === 0) return undefined;
          const written = writeChange(ctx, {
            conversationId,
            kind: "cleared",
            messageId: target.message_id,
            seq: upToSeq,
            by: userId,
            ts,
            visibleTo: userId,
          });
          return { ...written, message: messageRow(target.message_id) };
        }),
      );
    },

    changesAfter(conversationId, afterChangeSeq, limit, viewer) {
      return ctx.run("changesAfter", () => {
        const max = Math.min(Math.max(0, Math.floor(limit)), limits.maxChangesPage);
        if (!(max > 0) || !Number.isFinite(afterChangeSeq)) return [];
        const rows = exec
          .statement(`SELECT * FROM message_changes
            WHERE conversation_id = ? AND change_seq > ? AND (visible_to IS NULL OR visible_to = ?)
            ORDER BY change_seq LIMIT ?`)
          .all(conversationId, Math.floor(afterChangeSeq), viewer ?? null, max) as ChangeRow[];
        return rows.map(toChange);
      });
    },

    lastChangeSeqs(conversationIds) {
      return ctx.run("lastChangeSeqs", () => {
        const result = new Map<string, number>();
        const read = exec.statement(
          "SELECT last_change_seq FROM change_counters WHERE conversation_id = ?",
        );
        for (const id of conversationIds) {
          const row = read.get(id) as { last_change_seq: number } | undefined;
          result.set(id, row?.last_change_seq ?? 0);
        }
        return result;
      });
    },

    editHistory(messageId) {
      return ctx.run("editHistory", () => {
        const rows = exec
          .statement("SELECT body, replaced_at FROM message_edits WHERE message_id = ? ORDER BY id")
          .all(messageId) as { body: string; replaced_at: number }[];
        return rows.map((row) => ({
          body: JSON.parse(row.body) as MessageBody,
          replacedAt: row.replaced_at,
        }));
      });
    },

    reactions(messageIds, viewer) {
      return ctx.run("reactions", () => {
        const ids = [...new Set(messageIds)];
        if (ids.length === 0) return [];
        const rows = exec
          .statement(`SELECT message_id, reaction_key, count(*) AS count, max(user_id = ?) AS mine
            FROM reactions WHERE message_id IN (SELECT value FROM json_each(?))
            GROUP BY message_id, reaction_key ORDER BY message_id, reaction_key`)
          .all(viewer, JSON.stringify(ids)) as {
          message_id: string;
          reaction_key: string;
          count: number;
          mine: number;
        }[];
        return rows.map(
          (row): ReactionSummary => ({
            messageId: row.message_id,
            key: row.reaction_key,
            count: row.count,
            mine: row.mine === 1,
          }),
        );
      });
    },

    pins(conversationId) {
      return ctx.run("pins", () => {
        const rows = exec
          .statement(`SELECT message_id, seq, pinned_by, pinned_at FROM pins
            WHERE conversation_id = ? ORDER BY pinned_at DESC, seq DESC`)
          .all(conversationId) as {
          message_id: string;
          seq: number;
          pinned_by: string;
          pinned_at: number;
        }[];
        return rows.map((row) => ({
          messageId: row.message_id,
          seq: row.seq,
          pinnedBy: row.pinned_by,
          pinnedAt: row.pinned_at,
        }));
      });
    },

    mentionCounts(userId, conversationIds) {
      return ctx.run("mentionCounts", () => {
        const result = new Map<string, number>();
        const ids = [...new Set(conversationIds)];
        if (ids.length === 0) return result;
        const rows = exec
          .statement(`SELECT m.conversation_id, count(*) AS count
            FROM cursors AS c
            JOIN messages AS m ON m.conversation_id = c.conversation_id AND m.seq > c.read_seq
            WHERE c.user_id = ? AND c.conversation_id IN (SELECT value FROM json_each(?))
              AND m.mentions IS NOT NULL
              AND EXISTS (SELECT 1 FROM json_each(m.mentions) WHERE value IN (?, 'all'))
              AND m.sender_id <> ? AND m.recalled_at IS NULL
              AND ${VISIBLE}
            GROUP BY m.conversation_id`)
          .all(userId, JSON.stringify(ids), userId, userId, userId, userId) as {
          conversation_id: string;
          count: number;
        }[];
        for (const row of rows) result.set(row.conversation_id, row.count);
        return result;
      });
    },

    async search(query) {
      const words = searchWords(query, limits);
      const limit = searchLimit(query, limits);
      return ctx.run("search", () => {
        if (query.conversationIds.length === 0) return { messages: [] };
        // Messages appended since the last batch are queued: index them first.
        ctx.searchIndex.catchUp();
        const where: string[] = [];
        const params: unknown[] = [
          ftsQuery(words),
          JSON.stringify([...new Set(query.conversationIds)]),
        ];
        if (query.from !== undefined) {
          where.push("AND m.sender_id = ?");
          params.push(query.from);
        }
        if (query.bodyType !== undefined) {
          where.push("AND json_extract(m.body, '$.type') = ?");
          params.push(query.bodyType);
        }
        if (query.since !== undefined) {
          where.push("AND m.sent_at >= ?");
          params.push(query.since);
        }
        if (query.until !== undefined) {
          where.push("AND m.sent_at < ?");
          params.push(query.until);
        }
        if (query.after !== undefined) {
          where.push("AND (m.sent_at < ? OR (m.sent_at = ? AND m.message_id < ?))");
          params.push(query.after.ts, query.after.ts, query.after.messageId);
        }
        params.push(query.viewer, query.viewer, limit + 1);
        // At most 32 texts (one per filter combination): the statement cache keeps them.
        const rows = exec
          .statement(`SELECT ${COLUMNS} FROM messages_fts AS f
            JOIN message_search_rows AS r ON r.id = f.rowid
            JOIN messages AS m ON m.message_id = r.message_id
            WHERE messages_fts MATCH ?
              AND m.conversation_id IN (SELECT value FROM json_each(?))
              AND m.recalled_at IS NULL
              ${where.join(" ")}
              AND ${VISIBLE}
            ORDER BY m.sent_at DESC, m.message_id DESC
            LIMIT ?`)
          .all(...params) as MessageRow[];
        const messages = rows.slice(0, limit).map(toMessage);
        const last = messages[messages.length - 1];
        return rows.length > limit && last
          ? { messages, next: { ts: last.ts, messageId: last.messageId } }
          : { messages };
      });
    },
  };
}
