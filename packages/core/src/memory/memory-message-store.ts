import type { MessageStore, RangeQuery } from "../contracts/message-store.js";
import type { AppendResult, Message, MessageDraft } from "../domain/message.js";
import type { MessageChangeLimits } from "../domain/message-change.js";
import { checkDraftExtras } from "../domain/message-change-checks.js";
import { cloneValue } from "./clone-value.js";
import type { MemoryRetention } from "./memory-retention.js";
import {
  addPendingOutbox,
  ensureConversation,
  ensureCursor,
  hiddenFor,
  type MemoryStorageState,
  messageIdOfCid,
  nextOutboxId,
  recordChange,
  type StoredOutboxEntry,
} from "./memory-storage-backend.js";

/** @internal What the memory message store needs from its storage. */
export interface MemoryMessageStoreContext {
  state: MemoryStorageState;
  outboxGraceMs: number;
  maxPageSize: number;
  limits: MessageChangeLimits;
  now(): number;
  /** What to drop after each append; undefined: keep everything. */
  retention: MemoryRetention | undefined;
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
  if (message.forwarded) copy.forwarded = { ...message.forwarded };
  return copy;
}

/** @internal The in-memory {@link MessageStore}. */
export function createMemoryMessageStore(context: MemoryMessageStoreContext): MessageStore {
  const { state } = context;

  function appendNow(draft: MessageDraft): AppendResult {
    const earlierId = messageIdOfCid(state, draft.from, draft.cid);
    if (earlierId !== undefined) {
      const earlier = state.messagesById.get(earlierId);
      if (earlier) return { message: copyMessage(earlier), created: false };
    }
    const conversation = ensureConversation(state, draft.conversationId, draft.ts);
    const message: Message = {
      messageId: draft.messageId,
      // The conversation's own string: every stored message shares it (the draft's is a new
      // string per send, and all the heap keeps of a run is its messages).
      conversationId: conversation.conversationId,
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
    if (draft.forwarded) message.forwarded = { ...draft.forwarded };
    conversation.lastSeq = message.seq;
    conversation.messages.push(message);
    conversation.activityTs = Math.max(conversation.activityTs, draft.ts);
    conversation.activityOrder = ++state.activityCounter;
    state.messagesById.set(message.messageId, message);
    let byCid = state.messageIdByCid.get(draft.from);
    if (!byCid) {
      byCid = new Map();
      state.messageIdByCid.set(draft.from, byCid);
    }
    byCid.set(draft.cid, message.messageId);
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
    addPendingOutbox(state, entry);
    // After the outbox entry: it pins the new message, so retention never drops what it appends.
    context.retention?.appended(conversation, message);
    return { message: copyMessage(message), created: true, outboxId };
  }

  return {
    async append(draft) {
      // One microtask before the critical section, so concurrent appends interleave like real I/O;
      // the section itself is synchronous, hence atomic.
      await Promise.resolve();
      if (
        draft.replyTo !== undefined ||
        draft.mentions !== undefined ||
        draft.forwarded !== undefined
      ) {
        checkDraftExtras(draft, context.limits);
      }
      return appendNow(draft);
    },

    async range(conversationId, query: RangeQuery) {
      const conversation = state.conversations.get(conversationId);
      const limit = Math.min(Math.max(0, Math.floor(query.limit)), context.maxPageSize);
      if (!conversation || limit === 0) return [];
      // Index i holds seq i + 1 (at messages[i - offset]); what retention dropped (below
      // firstSeq) is not there. Only the page is visited: no copy of the history behind it.
      const { messages, offset, lastSeq } = conversation;
      const first = conversation.firstSeq - 1;
      const { viewer } = query;
      const page: Message[] = [];
      const take = (i: number) => {
        const message = messages[i - offset]!;
        if (viewer === undefined || !hiddenFor(state, viewer, conversationId, message.seq)) {
          page.push(copyMessage(message));
        }
      };
      const end =
        query.beforeSeq === undefined
          ? lastSeq
          : Math.min(lastSeq, Math.max(0, Math.trunc(query.beforeSeq - 1)));
      if (query.afterSeq !== undefined) {
        const start = Math.max(first, Math.trunc(query.afterSeq));
        for (let i = start; i < Math.min(end, start + limit); i++) take(i);
      } else {
        for (let i = end - 1; i >= Math.max(first, end - limit); i--) take(i);
      }
      return page;
    },

    async get(messageId) {
      const message = state.messagesById.get(messageId);
      return message ? copyMessage(message) : undefined;
    },

    async recall(messageId, by) {
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
