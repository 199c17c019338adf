import type { CursorMoved, CursorStore } from "../contracts/cursor-store.js";
import type { ConversationSummary } from "../domain/conversation.js";
import type { Cursor, PeerCursor } from "../domain/cursor.js";
import { settingsOf } from "./memory-conversation-settings-store.js";
import { type MemoryStorageState, messageAt, type StoredCursor } from "./memory-storage-backend.js";

/** @internal What the memory cursor store needs from its storage. */
export interface MemoryCursorStoreContext {
  state: MemoryStorageState;
}

/** @internal The in-memory {@link CursorStore}. */
export function createMemoryCursorStore(context: MemoryCursorStoreContext): CursorStore {
  const { state } = context;

  function cursorOf(userId: string, conversationId: string): StoredCursor | undefined {
    return state.cursorsByConversation.get(conversationId)?.get(userId);
  }

  function lastSeqOf(conversationId: string): number {
    return state.conversations.get(conversationId)?.lastSeq ?? 0;
  }

  return {
    async markDelivered(userId, conversationId, seq) {
      const cursor = cursorOf(userId, conversationId);
      // Capped at the last seq: a cursor past it would hide messages not yet sent.
      const capped = Math.min(seq, lastSeqOf(conversationId));
      if (!cursor || capped <= cursor.deliveredSeq) return undefined;
      cursor.deliveredSeq = capped;
      return capped;
    },

    async markRead(userId, conversationId, seq) {
      const cursor = cursorOf(userId, conversationId);
      if (!cursor) return undefined;
      const capped = Math.min(seq, lastSeqOf(conversationId));
      // Read implies delivered.
      cursor.deliveredSeq = Math.max(cursor.deliveredSeq, capped);
      if (capped <= cursor.readSeq) return undefined;
      cursor.readSeq = capped;
      return capped;
    },

    async markMany(moves) {
      const moved: CursorMoved[] = [];
      for (const move of moves) {
        const { userId, conversationId, kind } = move;
        const seq =
          kind === "read"
            ? await this.markRead(userId, conversationId, move.seq)
            : await this.markDelivered(userId, conversationId, move.seq);
        if (seq !== undefined) moved.push({ userId, conversationId, seq, kind });
      }
      return moved;
    },

    async cursors(userId, conversationIds) {
      const ids = conversationIds ?? [...(state.conversationsByUser.get(userId) ?? [])];
      const result: Cursor[] = [];
      for (const conversationId of new Set(ids)) {
        const cursor = cursorOf(userId, conversationId);
        if (!cursor) continue;
        const entry: Cursor = {
          conversationId,
          deliveredSeq: cursor.deliveredSeq,
          readSeq: cursor.readSeq,
          lastSeq: lastSeqOf(conversationId),
        };
        if (cursor.joinedSeq > 0) entry.joinedSeq = cursor.joinedSeq;
        const firstSeq = state.conversations.get(conversationId)?.firstSeq ?? 1;
        if (firstSeq > 1) entry.oldestSeq = firstSeq;
        result.push(entry);
      }
      return result;
    },

    async conversations(userId, options) {
      const ids = [...(state.conversationsByUser.get(userId) ?? [])];
      const rows = ids.flatMap((conversationId) => {
        const conversation = state.conversations.get(conversationId);
        const cursor = cursorOf(userId, conversationId);
        return conversation && cursor ? [{ conversation, cursor }] : [];
      });
      // Pinned first (newest pin first), then newest activity.
      const pinnedAt = (cursor: StoredCursor) => cursor.settings?.pinnedAt ?? -1;
      rows.sort(
        (a, b) =>
          pinnedAt(b.cursor) - pinnedAt(a.cursor) ||
          b.conversation.activityTs - a.conversation.activityTs ||
          b.conversation.activityOrder - a.conversation.activityOrder,
      );
      const offset = Math.max(0, Math.floor(options?.offset ?? 0));
      const limit = options?.limit;
      const page =
        limit === undefined ? rows.slice(offset) : rows.slice(offset, offset + Math.max(0, limit));
      return page.map(({ conversation, cursor }): ConversationSummary => {
        const summary: ConversationSummary = {
          conversationId: conversation.conversationId,
          lastSeq: conversation.lastSeq,
          deliveredSeq: cursor.deliveredSeq,
          readSeq: cursor.readSeq,
          unread: Math.max(0, conversation.lastSeq - cursor.readSeq),
          settings: settingsOf(conversation.conversationId, cursor),
        };
        const last = messageAt(conversation, conversation.lastSeq);
        // A message from before the user joined is not theirs to see.
        if (last && last.seq > cursor.joinedSeq) summary.lastMessage = structuredClone(last);
        return summary;
      });
    },

    async participants(conversationId) {
      return [...(state.cursorsByConversation.get(conversationId)?.keys() ?? [])];
    },

    async membersJoinedAfter(conversationId, seq) {
      const late: string[] = [];
      for (const [userId, cursor] of state.cursorsByConversation.get(conversationId) ?? []) {
        if (cursor.joinedSeq > 0 && cursor.joinedSeq >= seq) late.push(userId);
      }
      return late;
    },

    async peerCursors(userId, conversationIds) {
      const result: PeerCursor[] = [];
      for (const conversationId of new Set(conversationIds)) {
        const cursors = state.cursorsByConversation.get(conversationId);
        if (!cursors?.has(userId)) continue;
        let peer: PeerCursor | undefined;
        for (const [otherId, other] of cursors) {
          if (otherId === userId) continue;
          peer ??= { conversationId, readSeq: 0, deliveredSeq: 0 };
          peer.readSeq = Math.max(peer.readSeq, other.readSeq);
          peer.deliveredSeq = Math.max(peer.deliveredSeq, other.deliveredSeq);
        }
        if (peer) result.push(peer);
      }
      return result;
    },
  };
}
