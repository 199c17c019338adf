import type { MessageChangeStore } from "../contracts/message-change-store.js";
import type { Message } from "../domain/message.js";
import type {
  ChangeResult,
  MessageChange,
  MessageChangeLimits,
  ReactionSummary,
} from "../domain/message-change.js";
import { searchableText } from "../domain/message-change.js";
import {
  checkReactionKey,
  checkSeq,
  searchLimit,
  searchWords,
  tokenize,
} from "../domain/message-change-checks.js";
import { ImError } from "../errors.js";
import { cloneValue } from "./clone-value.js";
import { copyMessage } from "./memory-message-store.js";
import {
  hiddenFor,
  type MemoryStorageState,
  messageAt,
  noteViewerKey,
  recordChange,
  type StoredConversation,
  viewerKey,
} from "./memory-storage-backend.js";

/** @internal What the memory change store needs from its storage. */
export interface MemoryMessageChangeStoreContext {
  state: MemoryStorageState;
  outboxGraceMs: number;
  limits: MessageChangeLimits;
}

/** @internal The in-memory {@link MessageChangeStore}. */
export function createMemoryMessageChangeStore(
  context: MemoryMessageChangeStoreContext,
): MessageChangeStore {
  const { state, limits } = context;

  /** One microtask first: the synchronous rest is the critical section. */
  async function enter(): Promise<void> {
    await Promise.resolve();
  }

  function messageOf(messageId: string): Message {
    const message = typeof messageId === "string" ? state.messagesById.get(messageId) : undefined;
    if (!message) throw new ImError("not_found", "no such message");
    return message;
  }

  function record(
    message: Message,
    fields: Omit<MessageChange, "changeSeq" | "conversationId" | "messageId" | "seq">,
  ): ChangeResult {
    const { change, outboxId } = recordChange(
      state,
      {
        conversationId: message.conversationId,
        messageId: message.messageId,
        seq: message.seq,
        ...fields,
      },
      context.outboxGraceMs,
    );
    return { change, outboxId, message: copyMessage(message) };
  }

  function reactionCount(messageId: string): number {
    let count = 0;
    for (const users of state.reactions.get(messageId)?.values() ?? []) count += users.size;
    return count;
  }

  return {
    async edit({ messageId, by, body, ts }) {
      await enter();
      const message = messageOf(messageId);
      if (message.from !== by) throw new ImError("forbidden", "only the sender may edit a message");
      if (message.recalled) throw new ImError("conflict", "a recalled message cannot be edited");
      if (body?.type !== message.body.type) {
        throw new ImError("bad_request", "an edit keeps the body's type");
      }
      const history = state.editHistory.get(messageId) ?? [];
      const earlier = { body: message.body, replacedAt: ts };
      state.editHistory.set(messageId, limits.keepEditHistory ? [...history, earlier] : [earlier]);
      message.body = cloneValue(body);
      message.editedAt = ts;
      return record(message, { kind: "edited", by, ts, body: cloneValue(body) });
    },

    async react({ messageId, userId, key, ts }) {
      checkReactionKey(key, limits);
      await enter();
      const message = messageOf(messageId);
      if (message.recalled) throw new ImError("conflict", "a recalled message takes no reaction");
      let byKey = state.reactions.get(messageId);
      if (byKey?.get(key)?.has(userId)) return undefined;
      if (reactionCount(messageId) >= limits.maxReactionsPerMessage) {
        throw new ImError(
          "conflict",
          `a message has at most ${limits.maxReactionsPerMessage} reactions`,
        );
      }
      if (!byKey) {
        byKey = new Map();
        state.reactions.set(messageId, byKey);
      }
      let users = byKey.get(key);
      if (!users) {
        users = new Set();
        byKey.set(key, users);
      }
      users.add(userId);
      return record(message, { kind: "reacted", by: userId, ts, key });
    },

    async unreact({ messageId, userId, key, ts }) {
      checkReactionKey(key, limits);
      await enter();
      const message = messageOf(messageId);
      const byKey = state.reactions.get(messageId);
      const users = byKey?.get(key);
      if (!users?.delete(userId)) return undefined;
      if (users.size === 0) byKey!.delete(key);
      return record(message, { kind: "unreacted", by: userId, ts, key });
    },

    async pin({ messageId, by, ts }) {
      await enter();
      const message = messageOf(messageId);
      if (message.recalled) throw new ImError("conflict", "a recalled message cannot be pinned");
      const pins = state.pins.get(message.conversationId) ?? [];
      if (pins.some((p) => p.messageId === messageId)) return undefined;
      if (pins.length >= limits.maxPinsPerConversation) {
        throw new ImError(
          "conflict",
          `a conversation has at most ${limits.maxPinsPerConversation} pinned messages`,
        );
      }
      pins.push({ messageId, seq: message.seq, pinnedBy: by, pinnedAt: ts });
      state.pins.set(message.conversationId, pins);
      return record(message, { kind: "pinned", by, ts });
    },

    async unpin({ messageId, by, ts }) {
      await enter();
      const message = messageOf(messageId);
      const pins = state.pins.get(message.conversationId) ?? [];
      const index = pins.findIndex((p) => p.messageId === messageId);
      if (index < 0) return undefined;
      pins.splice(index, 1);
      return record(message, { kind: "unpinned", by, ts });
    },

    async deleteForMe({ messageId, userId, ts }) {
      await enter();
      const message = messageOf(messageId);
      if (hiddenFor(state, userId, message.conversationId, message.seq)) return undefined;
      const key = viewerKey(userId, message.conversationId);
      const hidden = state.hidden.get(key) ?? new Set<number>();
      hidden.add(message.seq);
      state.hidden.set(key, hidden);
      noteViewerKey(state, message.conversationId, key);
      return record(message, { kind: "deleted", by: userId, ts, visibleTo: userId });
    },

    async clearConversation({ conversationId, userId, upToSeq, ts }) {
      checkSeq(upToSeq, "upToSeq");
      await enter();
      const conversation = state.conversations.get(conversationId);
      const message = conversation && messageAt(conversation, upToSeq);
      if (!message) throw new ImError("not_found", `no message ${upToSeq} in ${conversationId}`);
      const key = viewerKey(userId, conversationId);
      if (upToSeq <= (state.clearedUpTo.get(key) ?? 0)) return undefined;
      state.clearedUpTo.set(key, upToSeq);
      noteViewerKey(state, conversationId, key);
      return record(message, { kind: "cleared", by: userId, ts, visibleTo: userId });
    },

    async changesAfter(conversationId, afterChangeSeq, limit, viewer) {
      const log = state.changeLogs.get(conversationId) ?? [];
      const max = Math.min(Math.max(0, Math.floor(limit)), limits.maxChangesPage);
      const result: MessageChange[] = [];
      for (let i = Math.max(0, Math.floor(afterChangeSeq)); i < log.length; i++) {
        if (result.length >= max) break;
        const change = log[i];
        // A change of a message retention dropped.
        if (!change) continue;
        if (change.visibleTo !== undefined && change.visibleTo !== viewer) continue;
        result.push(cloneValue(change));
      }
      return result;
    },

    async lastChangeSeqs(conversationIds) {
      const result = new Map<string, number>();
      for (const id of conversationIds) result.set(id, state.changeLogs.get(id)?.length ?? 0);
      return result;
    },

    async editHistory(messageId) {
      return (state.editHistory.get(messageId) ?? []).map((edit) => cloneValue(edit));
    },

    async reactions(messageIds, viewer) {
      const result: ReactionSummary[] = [];
      for (const messageId of [...new Set(messageIds)].sort()) {
        const byKey = state.reactions.get(messageId);
        if (!byKey) continue;
        for (const key of [...byKey.keys()].sort()) {
          const users = byKey.get(key)!;
          result.push({ messageId, key, count: users.size, mine: users.has(viewer) });
        }
      }
      return result;
    },

    async pins(conversationId) {
      return [...(state.pins.get(conversationId) ?? [])].reverse().map((pin) => ({ ...pin }));
    },

    async mentionCounts(userId, conversationIds) {
      const result = new Map<string, number>();
      for (const conversationId of new Set(conversationIds)) {
        const cursor = state.cursorsByConversation.get(conversationId)?.get(userId);
        if (!cursor) continue;
        const conversation = state.conversations.get(conversationId);
        if (!conversation) continue;
        let count = 0;
        // The unread ones only, without copying them out first.
        for (const message of messagesFrom(conversation, cursor.readSeq + 1)) {
          if (message.from === userId || message.recalled || !message.mentions) continue;
          if (!message.mentions.includes(userId) && !message.mentions.includes("all")) continue;
          if (hiddenFor(state, userId, conversationId, message.seq)) continue;
          count++;
        }
        if (count > 0) result.set(conversationId, count);
      }
      return result;
    },

    async search(query) {
      const words = searchWords(query, limits);
      const limit = searchLimit(query, limits);
      const hits: Message[] = [];
      for (const conversationId of new Set(query.conversationIds)) {
        const conversation = state.conversations.get(conversationId);
        if (!conversation) continue;
        for (const message of messagesFrom(conversation, 1)) {
          if (message.recalled) continue;
          if (query.from !== undefined && message.from !== query.from) continue;
          if (query.bodyType !== undefined && message.body.type !== query.bodyType) continue;
          if (query.since !== undefined && message.ts < query.since) continue;
          if (query.until !== undefined && message.ts >= query.until) continue;
          if (query.after !== undefined && !olderThan(message, query.after)) continue;
          if (hiddenFor(state, query.viewer, conversationId, message.seq)) continue;
          const tokens = new Set(tokenize(searchableText(message.body)));
          if (words.every((word) => tokens.has(word))) hits.push(message);
        }
      }
      hits.sort((a, b) => b.ts - a.ts || (a.messageId < b.messageId ? 1 : -1));
      const page = hits.slice(0, limit).map((m) => copyMessage(m));
      const last = page[page.length - 1];
      return hits.length > limit && last
        ? { messages: page, next: { ts: last.ts, messageId: last.messageId } }
        : { messages: page };
    },
  };
}

/** The messages held from `seq` on, ascending. */
function* messagesFrom(conversation: StoredConversation, seq: number): Generator<Message> {
  for (let s = Math.max(seq, conversation.firstSeq); s <= conversation.lastSeq; s++) {
    yield messageAt(conversation, s)!;
  }
}

/** True when `message` comes after `cursor` in newest-first order (ts, then id, descending). */
function olderThan(message: Message, cursor: { ts: number; messageId: string }): boolean {
  return (
    message.ts < cursor.ts || (message.ts === cursor.ts && message.messageId < cursor.messageId)
  );
}
