import type { MessageStore, RangeQuery } from "../contracts/message-store.js";
import type { AppendResult, Message, MessageDraft } from "../domain/message.js";
import type { MessageChangeLimits } from "../domain/message-change.js";
import { checkDraftExtras } from "../domain/message-change-checks.js";
import { cloneValue } from "./clone-value.js";
import {
  ensureConversation,
  ensureCursor,
  hiddenFor,
  type MemoryStorageState,
  nextOutboxId,
  recordChange,
  type StoredOutboxEntry,
} from "./memory-storage-backend.js";

/** @internal What the memory message store needs from its storage. */
export interface MemoryMessageStoreContext {
  state: MemoryStorageState;
  /** Rejects when the storage is closed. */
  guard(): void;
  outboxGraceMs: number;
  maxPageSize: number;
  limits: MessageChangeLimits;
  now(): number;
}

/** The participants without repeats (a copy: the caller keeps its array). */
function uniqueIds(ids: readonly string[]): string[] {
  if (ids.length === 2 && ids[0] !== ids[1]) return [ids[0]!, ids[1]!];
  return [...new Set(ids)];
}

/** @internal A copy of a stored message for a caller (who may mutate it freely). */
export function copyMessage(message: Message): Message {
  const copy: Message = { ...message, to: { ...message.to }, body: cloneValue(message.body) };
  if (message.replyTo) copy.replyTo = { ...message.replyTo };
  if (message.mentions) copy.mentions = [...message.mentions];
  return copy;
}

/** @internal The in-memory {@link MessageStore}. */
export function createMemoryMessageStore(context: MemoryMessageStoreContext): MessageStore {
  const { state } = context;

  function appendNow(draft: MessageDraft): AppendResult {
    const cidKey = `${draft.from}\u0000${draft.cid}`;
    const earlierId = state.messageIdByCid.get(cidKey);
    if (earlierId !== undefined) {
      const earlier = state.messagesById.get(earlierId);
      if (earlier) return { message: copyMessage(earlier), created: false };
    }
    const conversation = ensureConversation(state, draft.conversationId, draft.ts);
    const message: Message = {
      messageId: draft.messageId,
      conversationId: draft.conversationId,
      seq: conversation.lastSeq + 1,
      from: draft.from,
      to: { ...draft.to },
      // Copied so that the caller mutating its draft cannot change what is stored.
      body: cloneValue(draft.body),
      cid: draft.cid,
      ts: draft.ts,
    };
    if (draft.replyTo) message.replyTo = { ...draft.replyTo };
    if (draft.mentions && draft.mentions.length > 0)
      message.mentions = [...new Set(draft.mentions)];
    conversation.lastSeq = message.seq;
    conversation.messages.push(message);
    conversation.activityTs = Math.max(conversation.activityTs, draft.ts);
    conversation.activityOrder = ++state.activityCounter;
    state.messagesById.set(message.messageId, message);
    state.messageIdByCid.set(cidKey, message.messageId);
    // Group cursors belong to the group store (a removed member must not come back).
    if (conversation.kind === "direct") {
      for (const userId of draft.participants)
        ensureCursor(state, userId, conversation.conversationId, 0);
    }
    const outboxId = nextOutboxId();
    const entry: StoredOutboxEntry = {
      id: outboxId,
      messageId: message.messageId,
      conversationId: message.conversationId,
      status: "pending",
      attempts: 0,
      nextAttemptAt: draft.ts + context.outboxGraceMs,
      createdAt: draft.ts,
      participants: uniqueIds(draft.participants),
    };
    state.outbox.set(outboxId, entry);
    state.pendingOutbox.set(outboxId, entry);
    return { message: copyMessage(message), created: true, outboxId };
  }

  return {
    async append(draft) {
      // One microtask before the critical section, so concurrent appends interleave like real I/O;
      // the section itself is synchronous, hence atomic.
      await Promise.resolve();
      context.guard();
      if (draft.replyTo !== undefined || draft.mentions !== undefined) {
        checkDraftExtras(draft, context.limits);
      }
      return appendNow(draft);
    },

    async range(conversationId, query: RangeQuery) {
      context.guard();
      const messages = state.conversations.get(conversationId)?.messages ?? [];
      const limit = Math.min(Math.max(0, Math.floor(query.limit)), context.maxPageSize);
      if (limit === 0) return [];
      let page: Message[];
      if (query.afterSeq !== undefined) {
        // messages[i].seq === i + 1: slice by index.
        const end = query.beforeSeq === undefined ? messages.length : query.beforeSeq - 1;
        page = messages.slice(Math.max(0, query.afterSeq), Math.max(0, end)).slice(0, limit);
      } else {
        const end = query.beforeSeq === undefined ? messages.length : query.beforeSeq - 1;
        const clamped = Math.min(messages.length, Math.max(0, end));
        page = messages.slice(Math.max(0, clamped - limit), clamped).reverse();
      }
      const { viewer } = query;
      const visible =
        viewer === undefined
          ? page
          : page.filter((m) => !hiddenFor(state, viewer, conversationId, m.seq));
      return visible.map((message) => copyMessage(message));
    },

    async get(messageId) {
      context.guard();
      const message = state.messagesById.get(messageId);
      return message ? copyMessage(message) : undefined;
    },

    async recall(messageId, by) {
      context.guard();
      const message = state.messagesById.get(messageId);
      if (!message) return undefined;
      if (!message.recalled) {
        message.recalled = true;
        message.recalledBy = by;
        recordChange(
          state,
          {
            conversationId: message.conversationId,
            kind: "recalled",
            messageId: message.messageId,
            seq: message.seq,
            by,
            ts: context.now(),
          },
          context.outboxGraceMs,
        );
      }
      return copyMessage(message);
    },
  };
}
