import type { MessageBody, MessageBodyType } from "../protocol/schemas.js";
import { checkOption } from "../util/check-option.js";
import type { Message } from "./message.js";

/**
 * What happened to a message after it was sent. `deleted` and `cleared` are
 * private: only the user who deleted or cleared sees them ({@link MessageChange.visibleTo}).
 */
export type MessageChangeKind =
  | "edited"
  | "recalled"
  | "reacted"
  | "unreacted"
  | "pinned"
  | "unpinned"
  | "deleted"
  | "cleared";

/**
 * One entry of a conversation's change log. Every mutation of a stored
 * message writes one, in the mutation's transaction, with the next
 * `changeSeq` of its conversation (1, 2, 3, ... per conversation, unique and
 * increasing in commit order of the counter); a client that was offline
 * reads the log after its last `changeSeq` when it syncs.
 */
export interface MessageChange {
  /** The conversation whose log holds it. */
  conversationId: string;
  /** Its place in the conversation's change log: 1, 2, 3, ... */
  changeSeq: number;
  /** What happened. */
  kind: MessageChangeKind;
  /** The changed message (for `cleared`: the message at `seq`, the last one cleared). */
  messageId: string;
  /** The changed message's seq (for `cleared`: every message up to this seq is hidden). */
  seq: number;
  /** Who made the change. */
  by: string;
  /** When, in milliseconds since the epoch. */
  ts: number;
  /** `edited`: the new body. */
  body?: MessageBody;
  /** `reacted` / `unreacted`: the reaction key (an emoji). */
  key?: string;
  /** Private changes (`deleted`, `cleared`): the only user who sees them. Absent: every participant. */
  visibleTo?: string;
}

/** What a successful mutation returns: the change written and its outbox entry. */
export interface ChangeResult {
  /** The change log entry written with the mutation. */
  change: MessageChange;
  /** Id of the outbox entry written in the same transaction (kind `change`). */
  outboxId: string;
  /** The message after the mutation. */
  message: Message;
}

/** A quoted message, stored on the reply so recipients render it without fetching. */
export interface ReplyReference {
  /** The quoted message (same conversation as the reply). */
  messageId: string;
  /** Its seq. */
  seq: number;
  /** Its sender. */
  from: string;
  /** A short excerpt of its body at reply time (at most `maxReplyExcerptLength` UTF-16 units). */
  excerpt: string;
  /** Set when the quoted message was recalled at reply time (the excerpt is then empty). */
  recalled?: boolean;
}

/**
 * Where a forwarded message comes from (docs/protocol.md §13.2, `forward`): the original
 * message. A forward of a forward names the first original, so the origin survives a chain.
 */
export interface ForwardOrigin {
  /** The original message's id. */
  messageId: string;
  /** The conversation of the original message. */
  conversationId: string;
  /** The original sender (absent when the server hides it: `forwardShowsSender: false`). */
  from?: string;
}

/** The audience of a message's mentions: user ids, or `all` (everyone in the conversation). */
export type Mention = string;

/** An earlier body of an edited message. */
export interface MessageEdit {
  /** The body before this edit. */
  body: MessageBody;
  /** When the body was replaced (ms since epoch). */
  replacedAt: number;
}

/** The reactions of one key on one message, as history shows them. */
export interface ReactionSummary {
  /** The message. */
  messageId: string;
  /** The reaction key (an emoji). */
  key: string;
  /** How many users reacted with it. */
  count: number;
  /** Whether the viewer is one of them. */
  mine: boolean;
}

/** A pinned message of a conversation. */
export interface PinnedMessage {
  /** The pinned message. */
  messageId: string;
  /** Its seq. */
  seq: number;
  /** Who pinned it. */
  pinnedBy: string;
  /** When (ms since epoch). */
  pinnedAt: number;
}

/** Where a search page starts: the last hit of the previous page. */
export interface SearchCursor {
  /** The hit's `ts`. */
  ts: number;
  /** The hit's id (breaks ties of `ts`). */
  messageId: string;
}

/** A full-text search over messages, newest first. */
export interface SearchQuery {
  /** The words to find (every word must match). */
  text: string;
  /** Only these conversations: the engine passes the ones the user can read. Empty: no hit. */
  conversationIds: readonly string[];
  /** Whose deleted-for-me and cleared messages to leave out. */
  viewer: string;
  /** Only messages of this sender. */
  from?: string;
  /** Only bodies of this type. */
  bodyType?: MessageBodyType;
  /** Only messages with `ts >= since` (ms since epoch). */
  since?: number;
  /** Only messages with `ts < until` (ms since epoch). */
  until?: number;
  /** Continue after this hit (the `next` of the previous page). */
  after?: SearchCursor;
  /** At most this many hits (capped by `maxSearchPageSize`). */
  limit?: number;
}

/** A page of search hits. */
export interface SearchPage {
  /** Hits, newest first; recalled and deleted-for-me messages never appear. */
  messages: Message[];
  /** Where the next page starts; absent on the last page. */
  next?: SearchCursor;
}

/** Limits of the message change store; every adapter takes them as options. */
export interface MessageChangeLimits {
  /** Longest reaction key, in UTF-16 units. @default 32 */
  maxReactionKeyLength: number;
  /** Most reactions (all users, all keys) on one message. @default 100 */
  maxReactionsPerMessage: number;
  /** Most pinned messages in one conversation. @default 20 */
  maxPinsPerConversation: number;
  /** Longest reply excerpt, in UTF-16 units. @default 200 */
  maxReplyExcerptLength: number;
  /** Most mentions on one message. @default 50 */
  maxMentions: number;
  /** Most conversations one search may name. @default 1000 */
  maxSearchConversations: number;
  /** Most hits per search page. @default 100 */
  maxSearchPageSize: number;
  /** Longest search text, in UTF-16 units. @default 256 */
  maxSearchTextLength: number;
  /** Keep every earlier body of an edited message (false: only the latest body). @default true */
  keepEditHistory: boolean;
  /** Most entries one `changesAfter` call returns. @default 1000 */
  maxChangesPage: number;
}

/** The defaults of {@link MessageChangeLimits}. */
export const DEFAULT_MESSAGE_CHANGE_LIMITS: Readonly<MessageChangeLimits> = Object.freeze({
  maxReactionKeyLength: 32,
  maxReactionsPerMessage: 100,
  maxPinsPerConversation: 20,
  maxReplyExcerptLength: 200,
  maxMentions: 50,
  maxSearchConversations: 1000,
  maxSearchPageSize: 100,
  maxSearchTextLength: 256,
  keepEditHistory: true,
  maxChangesPage: 1000,
});

/** Applies the defaults and checks the limits; throws `bad_request` on a bad value. */
export function resolveMessageChangeLimits(
  limits: Partial<MessageChangeLimits> = {},
): MessageChangeLimits {
  const resolved = { ...DEFAULT_MESSAGE_CHANGE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (name === "keepEditHistory") continue;
    checkOption("core", `messageChanges.${name}`, value as number, { min: 1, integer: true });
  }
  return resolved;
}

/** The searchable text of a body: a text's words, a file's name, a location's label. */
export function searchableText(body: MessageBody): string {
  switch (body.type) {
    case "text":
      return body.text;
    case "location":
      return body.label ?? "";
    case "custom":
      return "";
    default:
      return body.name;
  }
}

/**
 * A reply excerpt of `body`: its searchable text cut to `maxLength` UTF-16
 * units (never in the middle of a surrogate pair). For the engine, which
 * builds the excerpt when it checks the reply target.
 */
export function replyExcerpt(body: MessageBody, maxLength: number): string {
  const text = searchableText(body) || `[${body.type}]`;
  if (text.length <= maxLength) return text;
  let end = maxLength;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/**
 * The per-user mention flag of a message: true when it names `userId` or
 * `all`, and `userId` is not its sender (a mention of yourself does not count).
 */
export function mentionsUser(message: Message, userId: string): boolean {
  if (message.from === userId || !message.mentions) return false;
  return message.mentions.includes(userId) || message.mentions.includes("all");
}
