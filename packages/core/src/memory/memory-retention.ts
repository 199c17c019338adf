import type { Message } from "../domain/message.js";
import { checkOption } from "../util/check-option.js";
import type { MemoryStorageState, StoredConversation } from "./memory-storage-backend.js";

/**
 * How many messages, and how old, the memory storage keeps (the `retention` option of
 * `createMemoryStorage`): a bounded heap for the embedded mode and dev servers that run
 * for long. Absent fields keep everything, as without the option.
 *
 * A conversation always loses its oldest messages first, so what is left is a contiguous
 * run of seqs ending at `lastSeq`; `cursors()` then tells where it starts (`oldestSeq`),
 * and `sync` says so to a client whose cursor is below it (docs/protocol.md, `synced`).
 * A message whose outbox entry is still pending is kept (with the messages after it in its
 * conversation; the other conversations are trimmed meanwhile)
 * until the entry is settled: the relay still needs it. Limits are applied when a message
 * is appended and when an outbox entry is settled.
 */
export interface MemoryRetentionOptions {
  /**
   * Most messages kept per conversation; appending one more drops the oldest.
   * @default unbounded
   */
  maxMessagesPerConversation?: number;
  /**
   * Messages whose `ts` is more than this many ms before the storage's clock (`now`) are
   * dropped, in every conversation, when a message is appended or an outbox entry settled
   * (the storage opens no timer: an idle storage keeps what it holds).
   * @default unbounded
   */
  maxAgeMs?: number;
}

/** @internal Applies a {@link MemoryRetentionOptions} to the messages appended through one storage. */
export interface MemoryRetention {
  /** Called in the append's critical section, after `message` was stored in `conversation`. */
  appended(conversation: StoredConversation, message: Message): void;
  /** Called when an outbox entry of `conversationId` settled: what it pinned may go now. */
  settled(conversationId: string): void;
}

/** Slots emptied at the front of an array before it is cut (and at least half of it). */
const COMPACT_AT = 1024;

/** @internal The retention of one storage, or undefined when it keeps everything. */
export function createMemoryRetention(
  state: MemoryStorageState,
  options: MemoryRetentionOptions | undefined,
  now: () => number,
): MemoryRetention | undefined {
  const maxMessages = options?.maxMessagesPerConversation;
  const maxAgeMs = options?.maxAgeMs;
  if (maxMessages !== undefined) {
    checkOption("core", "retention.maxMessagesPerConversation", maxMessages, {
      min: 1,
      integer: true,
    });
  }
  if (maxAgeMs !== undefined) checkOption("core", "retention.maxAgeMs", maxAgeMs, { min: 1 });
  if (maxMessages === undefined && maxAgeMs === undefined) return undefined;

  /** Messages in append order, for the age limit: the oldest are at `head`. */
  const byAge: (Message | undefined)[] = [];
  let head = 0;
  /**
   * conversationId -> its newest expired message, for the conversations a pending outbox
   * entry pins: retried on each sweep, while the others' messages go meanwhile.
   */
  const pinned = new Map<string, Message>();

  /** Drops the message and what precedes it in its conversation; false when something pins it. */
  function dropUpTo(message: Message): boolean {
    const conversation = state.conversations.get(message.conversationId);
    // Drops what precedes it too (appended through another storage on a shared backend).
    while (conversation && conversation.firstSeq <= message.seq) {
      if (!dropOldest(state, conversation)) return false;
    }
    return true;
  }

  function sweepByAge(limitMs: number): void {
    const cutoff = now() - limitMs;
    for (const [conversationId, message] of pinned) {
      if (dropUpTo(message)) pinned.delete(conversationId);
    }
    while (head < byAge.length) {
      const message = byAge[head]!;
      if (message.ts >= cutoff) break;
      // Pinned by a pending outbox entry: its conversation waits for the entry to settle (the
      // newest expired message stands for the older ones), the other conversations go on.
      if (pinned.has(message.conversationId) || !dropUpTo(message)) {
        pinned.set(message.conversationId, message);
      }
      byAge[head++] = undefined;
    }
    if (head >= COMPACT_AT && head * 2 >= byAge.length) {
      byAge.splice(0, head);
      head = 0;
    }
  }

  function trimToCount(conversation: StoredConversation, limit: number): void {
    while (conversation.lastSeq - conversation.firstSeq + 1 > limit) {
      if (!dropOldest(state, conversation)) return;
    }
  }

  return {
    appended(conversation, message) {
      if (maxMessages !== undefined) trimToCount(conversation, maxMessages);
      if (maxAgeMs !== undefined) {
        byAge.push(message);
        sweepByAge(maxAgeMs);
      }
    },
    settled(conversationId) {
      const conversation = state.conversations.get(conversationId);
      if (maxMessages !== undefined && conversation) trimToCount(conversation, maxMessages);
      if (maxAgeMs !== undefined) sweepByAge(maxAgeMs);
    },
  };
}

/**
 * Drops a conversation's oldest message with what only it needs (its idempotency key, edit
 * history, reactions, change log entries, the per-user deletions and clears of it); false when there is none or its outbox entry is still pending.
 */
function dropOldest(state: MemoryStorageState, conversation: StoredConversation): boolean {
  const seq = conversation.firstSeq;
  if (seq > conversation.lastSeq) return false;
  const index = seq - 1 - conversation.offset;
  const message = conversation.messages[index]!;
  if (state.pendingByMessage.has(message.messageId)) return false;
  conversation.messages[index] = undefined;
  conversation.firstSeq = seq + 1;
  state.messagesById.delete(message.messageId);
  const byCid = state.messageIdByCid.get(message.from);
  if (byCid?.get(message.cid) === message.messageId) byCid.delete(message.cid);
  state.editHistory.delete(message.messageId);
  state.reactions.delete(message.messageId);
  dropChanges(state, message);
  dropViewerMarks(state, message);
  // Cut the emptied front now and then: amortized O(1) per message, where a shift per drop
  // would move the whole array once it is large.
  const dead = conversation.firstSeq - 1 - conversation.offset;
  if (dead >= COMPACT_AT && dead * 2 >= conversation.messages.length) {
    conversation.messages.splice(0, dead);
    conversation.offset += dead;
  }
  return true;
}

/** Empties the change log entries of a dropped message (an edit's entry holds a whole body). */
function dropChanges(state: MemoryStorageState, message: Message): void {
  const seqs = state.changeSeqsByMessage.get(message.messageId);
  if (!seqs) return;
  state.changeSeqsByMessage.delete(message.messageId);
  const log = state.changeLogs.get(message.conversationId);
  if (!log) return;
  for (const changeSeq of seqs) log[changeSeq - 1] = undefined;
}

/** Forgets who deleted the dropped message for themselves, and clears that only reached it. */
function dropViewerMarks(state: MemoryStorageState, message: Message): void {
  const keys = state.viewerKeysByConversation.get(message.conversationId);
  if (!keys) return;
  for (const key of keys) {
    const hidden = state.hidden.get(key);
    if (hidden?.delete(message.seq) && hidden.size === 0) state.hidden.delete(key);
    // Every message a clear covered is gone: nothing is left for it to hide.
    const cleared = state.clearedUpTo.get(key);
    if (cleared !== undefined && cleared <= message.seq) state.clearedUpTo.delete(key);
    if (!state.hidden.has(key) && !state.clearedUpTo.has(key)) keys.delete(key);
  }
  if (keys.size === 0) state.viewerKeysByConversation.delete(message.conversationId);
}
