import type { AppendResult, Message, MessageDraft } from "../domain/message.js";

/** Which page of a conversation {@link MessageStore.range} returns. */
export interface RangeQuery {
  /** Messages with `seq > afterSeq`, ascending. */
  afterSeq?: number;
  /** Messages with `seq < beforeSeq`, descending (newest first). */
  beforeSeq?: number;
  /** At most this many messages. The store MAY cap it further. */
  limit: number;
  /**
   * Leave out what this user deleted for themselves or cleared (see
   * `MessageChangeStore.deleteForMe`). A page can then hold fewer than
   * `limit` messages although more follow: page on by the last seq returned.
   */
  viewer?: string;
}

/**
 * Where messages live. The store is the truth of the system: once `append`
 * resolved, the message and its outbox entry are durable.
 *
 * Invariants every implementation MUST keep (the conformance kit checks them):
 * - `append` is atomic: the conversation's next `seq`, the message and one
 *   outbox entry are written together or not at all.
 * - `seq` starts at 1 per conversation and is gap-free and unique under any
 *   concurrency, across any number of store instances sharing the data.
 * - `append` is idempotent on (`from`, `cid`): a repeat returns the earlier
 *   message with `created: false` and writes nothing.
 * - `append` refuses a reply excerpt longer than `maxReplyExcerptLength` or
 *   more than `maxMentions` mentions with `too_large`, writing nothing.
 * - An append that fails rejects with an `ImError` (`unavailable` when the
 *   backing service is down) and MUST NOT be reported as stored.
 */
export interface MessageStore {
  /** Stores a message with its outbox entry, or returns the earlier one for a repeated (from, cid). */
  append(draft: MessageDraft): Promise<AppendResult>;
  /** A page of a conversation; see {@link RangeQuery}. Exactly one of `afterSeq`/`beforeSeq` SHOULD be set; neither means the newest page. */
  range(conversationId: string, query: RangeQuery): Promise<Message[]>;
  /** One message by id. */
  get(messageId: string): Promise<Message | undefined>;
  /**
   * Marks a message recalled by `by`; returns it, or undefined if unknown. Idempotent.
   * The first recall also writes a `recalled` change and its outbox entry in the
   * same transaction (see `MessageChangeStore`); a repeat writes nothing.
   */
  recall(messageId: string, by: string): Promise<Message | undefined>;
}
