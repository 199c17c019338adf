import type { ConversationSummary } from "../domain/conversation.js";
import type { Cursor, PeerCursor } from "../domain/cursor.js";

/** One cursor move for {@link CursorStore.markMany}. */
export interface CursorMove {
  /** Whose cursor. */
  userId: string;
  /** In which conversation. */
  conversationId: string;
  /** The seq it moves to (a cursor never moves back). */
  seq: number;
  /** `delivered` moves the delivered cursor; `read` moves both. */
  kind: "delivered" | "read";
}

/** A cursor a {@link CursorStore} write raised: the value now stored. */
export interface CursorMoved {
  /** Whose cursor. */
  userId: string;
  /** In which conversation. */
  conversationId: string;
  /** The stored (capped) delivered seq for a `delivered` move, the stored read seq for a `read` move. */
  seq: number;
  /** Which cursor moved. */
  kind: "delivered" | "read";
}

/**
 * Per (user, conversation) cursors: what was delivered and what was read.
 * A user "is in" a conversation when it has a cursor for it; the message
 * store creates cursors for direct participants on the first append, the
 * group store for group members.
 */
export interface CursorStore {
  /**
   * Raises the delivered cursor to `seq` (never lowers it), capped at the conversation's
   * last seq (a cursor past it would hide messages sent later). Unknown conversation, or a
   * user not in it: no effect.
   *
   * @returns the stored delivered seq when this call raised it, else `undefined` (the engine
   * sends receipts with this value only: a receipt never claims more than the store holds).
   */
  markDelivered(userId: string, conversationId: string, seq: number): Promise<number | undefined>;
  /**
   * Raises the read cursor (and the delivered cursor) to `seq`, capped like {@link CursorStore.markDelivered}.
   *
   * @returns the stored read seq when this call raised it, else `undefined`.
   */
  markRead(userId: string, conversationId: string, seq: number): Promise<number | undefined>;
  /**
   * Optional: many moves in one round trip, each with exactly the rules of `markDelivered` /
   * `markRead`. The engine writes its batched acks and reads with it; without it, the runtime
   * wrapper (`withStorageRuntime`) makes one call of those per move.
   *
   * @returns the cursors the call raised, with their stored values (a cursor that did not
   * move, or a user not in the conversation, is left out).
   */
  markMany?(moves: readonly CursorMove[]): Promise<CursorMoved[]>;
  /** The user's cursors in every conversation they are in (or only the ones listed). */
  cursors(userId: string, conversationIds?: readonly string[]): Promise<Cursor[]>;
  /**
   * The user's conversations in ONE query: pinned ones first (newest pin first), then
   * newest activity first (a group without messages counts from its creation); each with
   * its unread count, last message and the user's `settings`. `offset` skips that many
   * (paging: pass the number already listed), `limit` caps the page.
   */
  conversations(
    userId: string,
    options?: {
      /** At most this many. */
      limit?: number;
      /** Skip this many first. @default 0 */
      offset?: number;
    },
  ): Promise<ConversationSummary[]>;
  /** Users who have a cursor in the conversation (its participants). */
  participants(conversationId: string): Promise<string[]>;
  /**
   * The participants who joined the conversation after its message at `seq` was sent (their
   * cursor's `joinedSeq` is `seq` or more): that message is hidden from them, so the engine
   * leaves them out of the live changes and `recalled` frames about it. Usually none; a
   * direct conversation never has any.
   */
  membersJoinedAfter(conversationId: string, seq: number): Promise<string[]>;
  /**
   * The other participants' cursors in each listed conversation the user is in: the highest
   * read and delivered seq any of them reached (in a direct conversation, the other user's).
   * Conversations the user is not in, or with no other participant, are left out. Lets a new
   * device show which of the user's messages were read without having seen the receipts.
   */
  peerCursors(userId: string, conversationIds: readonly string[]): Promise<PeerCursor[]>;
}
