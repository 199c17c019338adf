import type {
  ChangeResult,
  MessageChange,
  MessageEdit,
  PinnedMessage,
  ReactionSummary,
  SearchPage,
  SearchQuery,
} from "../domain/message-change.js";
import type { MessageBody } from "../protocol/schemas.js";

/** Input of {@link MessageChangeStore.edit}. */
export interface EditInput {
  /** The message to edit. */
  messageId: string;
  /** Who edits: MUST be the sender (`forbidden` otherwise). */
  by: string;
  /** The new body: same `type` as the old one (`bad_request` otherwise). */
  body: MessageBody;
  /** The edit time (ms since epoch): becomes the message's `editedAt`. */
  ts: number;
}

/** Input of {@link MessageChangeStore.react} and {@link MessageChangeStore.unreact}. */
export interface ReactionInput {
  /** The message reacted to. */
  messageId: string;
  /** Who reacts. */
  userId: string;
  /** The reaction key (an emoji): 1..`maxReactionKeyLength` UTF-16 units. */
  key: string;
  /** When (ms since epoch). */
  ts: number;
}

/** Input of {@link MessageChangeStore.pin} and {@link MessageChangeStore.unpin}. */
export interface PinInput {
  /** The message to pin or unpin. */
  messageId: string;
  /** Who pins (the engine checks the right to). */
  by: string;
  /** When (ms since epoch). */
  ts: number;
}

/** Input of {@link MessageChangeStore.deleteForMe}. */
export interface DeleteForMeInput {
  /** The message to hide. */
  messageId: string;
  /** The user it is hidden for (the engine checks they are in the conversation). */
  userId: string;
  /** When (ms since epoch). */
  ts: number;
}

/** Input of {@link MessageChangeStore.clearConversation}. */
export interface ClearInput {
  /** The conversation to clear. */
  conversationId: string;
  /** The user it is cleared for. */
  userId: string;
  /** Hide every message with `seq <= upToSeq` (1..the conversation's last seq). */
  upToSeq: number;
  /** When (ms since epoch). */
  ts: number;
}

/**
 * What happens to stored messages after they were sent: edits, reactions,
 * pins, delete-for-me and clearing, the per-conversation change log that
 * carries them (and recalls) to offline clients, mention counts and search.
 *
 * Invariants every implementation MUST keep (the conformance kit checks them):
 * - Every mutation that changes something writes, in ONE transaction, the
 *   mutation, one {@link MessageChange} with the conversation's next
 *   `changeSeq`, and one outbox entry of kind `change`. A mutation that
 *   changes nothing (a repeated reaction, pin, unpin, delete) writes nothing
 *   and resolves `undefined`. A refused one writes nothing.
 * - `changeSeq` starts at 1 per conversation and is unique and increasing
 *   under any concurrency, across store instances sharing the data.
 * - Errors are `ImError`s: `not_found` for an unknown message (or a
 *   conversation without that seq), `forbidden` for an edit by another
 *   user than the sender, `conflict` for an edit or pin of a recalled
 *   message and for a full reaction or pin list, `too_large` for a key or
 *   text over its limit, `bad_request` for malformed input.
 * - Deleted-for-me and cleared messages disappear for that user only: from
 *   `MessageStore.range` with `viewer`, from {@link MessageChangeStore.search}
 *   and from mention counts. Recalled messages never match a search.
 */
export interface MessageChangeStore {
  /** Replaces a message's body; keeps the old one in the edit history (unless configured not to). */
  edit(input: EditInput): Promise<ChangeResult>;
  /** Adds `userId`'s reaction `key`; `undefined` when it was there already. */
  react(input: ReactionInput): Promise<ChangeResult | undefined>;
  /** Removes `userId`'s reaction `key`; `undefined` when it was not there. */
  unreact(input: ReactionInput): Promise<ChangeResult | undefined>;
  /** Pins a message in its conversation; `undefined` when already pinned. */
  pin(input: PinInput): Promise<ChangeResult | undefined>;
  /** Unpins a message; `undefined` when it was not pinned. */
  unpin(input: PinInput): Promise<ChangeResult | undefined>;
  /** Hides a message for one user (a private `deleted` change); `undefined` when already hidden. */
  deleteForMe(input: DeleteForMeInput): Promise<ChangeResult | undefined>;
  /** Hides every message up to a seq for one user (a private `cleared` change); `undefined` when nothing new is hidden. */
  clearConversation(input: ClearInput): Promise<ChangeResult | undefined>;
  /**
   * The change log of a conversation after `afterChangeSeq`, ascending, at
   * most `limit` entries (capped by `maxChangesPage`): the public changes,
   * plus the private ones of `viewer` when given.
   */
  changesAfter(
    conversationId: string,
    afterChangeSeq: number,
    limit: number,
    viewer?: string,
  ): Promise<MessageChange[]>;
  /** The last `changeSeq` of each named conversation (0 when it has none). */
  lastChangeSeqs(conversationIds: readonly string[]): Promise<Map<string, number>>;
  /** Earlier bodies of a message, oldest first (empty when never edited, or history is off). */
  editHistory(messageId: string): Promise<MessageEdit[]>;
  /** Aggregated reactions of these messages, with whether `viewer` reacted, ordered by message then key. */
  reactions(messageIds: readonly string[], viewer: string): Promise<ReactionSummary[]>;
  /** The pinned messages of a conversation, newest pin first. */
  pins(conversationId: string): Promise<PinnedMessage[]>;
  /**
   * Per conversation, how many messages after the user's read cursor mention
   * them (by id or `all`), sent by someone else, neither recalled nor hidden
   * for them. Conversations without any are left out of the map.
   */
  mentionCounts(userId: string, conversationIds: readonly string[]): Promise<Map<string, number>>;
  /** Full-text search; see {@link SearchQuery}. */
  search(query: SearchQuery): Promise<SearchPage>;
}
