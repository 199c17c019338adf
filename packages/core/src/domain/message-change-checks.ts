import { ImError } from "../errors.js";
import type { MessageDraft } from "./message.js";
import type { MessageChangeLimits, SearchQuery } from "./message-change.js";

/**
 * Input checks every message change store applies the same way, so the
 * adapters refuse the same input with the same codes.
 */

/** Refuses a reaction key that is empty, too long, or holds control characters. */
export function checkReactionKey(key: unknown, limits: MessageChangeLimits): string {
  if (typeof key !== "string" || key.length === 0 || /\p{Cc}/u.test(key)) {
    throw new ImError(
      "bad_request",
      "a reaction key is a non-empty string without control characters",
    );
  }
  if (key.length > limits.maxReactionKeyLength) {
    throw new ImError(
      "too_large",
      `a reaction key is at most ${limits.maxReactionKeyLength} UTF-16 units`,
    );
  }
  return key;
}

/** Refuses an append whose reply excerpt or mentions exceed the limits. */
export function checkDraftExtras(draft: MessageDraft, limits: MessageChangeLimits): void {
  if (draft.replyTo !== undefined) {
    const { messageId, excerpt, seq } = draft.replyTo;
    if (
      typeof messageId !== "string" ||
      typeof excerpt !== "string" ||
      !Number.isSafeInteger(seq)
    ) {
      throw new ImError("bad_request", "replyTo needs a messageId, a seq and an excerpt");
    }
    if (excerpt.length > limits.maxReplyExcerptLength) {
      throw new ImError(
        "too_large",
        `a reply excerpt is at most ${limits.maxReplyExcerptLength} UTF-16 units`,
      );
    }
  }
  if (draft.mentions !== undefined && draft.mentions.length > limits.maxMentions) {
    throw new ImError("too_large", `a message mentions at most ${limits.maxMentions} users`);
  }
}

/** Refuses a seq that is not a positive safe integer. */
export function checkSeq(seq: unknown, what: string): number {
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
    throw new ImError("bad_request", `${what} must be an integer >= 1`);
  }
  return seq;
}

/**
 * The words of a search text (lower-cased letter/digit runs), checked
 * against the limits: `bad_request` for too many conversations or no word,
 * `too_large` for a text over `maxSearchTextLength`.
 */
export function searchWords(query: SearchQuery, limits: MessageChangeLimits): string[] {
  if (typeof query.text !== "string")
    throw new ImError("bad_request", "search text must be a string");
  if (query.text.length > limits.maxSearchTextLength) {
    throw new ImError(
      "too_large",
      `search text is at most ${limits.maxSearchTextLength} UTF-16 units`,
    );
  }
  if (query.conversationIds.length > limits.maxSearchConversations) {
    throw new ImError(
      "bad_request",
      `a search names at most ${limits.maxSearchConversations} conversations`,
    );
  }
  const words = tokenize(query.text);
  if (words.length === 0) throw new ImError("bad_request", "search text has no word to find");
  return words;
}

/** Lower-cased runs of letters and digits: the words a memory search compares. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The page size of a search: `limit` (default 20) capped by `maxSearchPageSize`. */
export function searchLimit(query: SearchQuery, limits: MessageChangeLimits): number {
  const asked = query.limit ?? 20;
  if (!Number.isSafeInteger(asked) || asked < 1) {
    throw new ImError("bad_request", "search limit must be an integer >= 1");
  }
  return Math.min(asked, limits.maxSearchPageSize);
}
