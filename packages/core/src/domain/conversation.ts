import { ImError } from "../errors.js";
import type { Target } from "../protocol/schemas.js";
import type { ConversationSettings } from "./conversation-settings.js";
import type { Message } from "./message.js";

/** The two kinds of conversation: direct (1:1) and group. */
export type ConversationKind = "direct" | "group";

/** A conversation and the last `seq` it allocated. */
export interface Conversation {
  /** `d:<a>:<b>` (direct, ids sorted) or `g:<groupId>`. */
  conversationId: string;
  /** Direct or group. */
  kind: ConversationKind;
  /** The last seq allocated (0: no message yet). */
  lastSeq: number;
}

/** A user's view of one conversation: cursors, unread count, last message. */
export interface ConversationSummary {
  /** `d:<a>:<b>` or `g:<groupId>`. */
  conversationId: string;
  /** The last seq allocated (0: no message yet). */
  lastSeq: number;
  /** Highest seq any of the user's sessions acknowledged. */
  deliveredSeq: number;
  /** Highest seq the user marked read. */
  readSeq: number;
  /** `lastSeq - readSeq`, never negative. */
  unread: number;
  /** The newest message, if any. */
  lastMessage?: Message;
  /** The user's own settings of the conversation (every store sets it; defaults when never changed). */
  settings?: ConversationSettings;
  /**
   * The highest seq another participant read (in a direct conversation, the other user).
   * Set by `ImServer.conversations`, not by stores; 0 when no one else read anything.
   */
  peerReadSeq?: number;
  /** The highest seq delivered to another participant; set like {@link ConversationSummary.peerReadSeq}. */
  peerDeliveredSeq?: number;
  /**
   * Messages after the read cursor that mention the user (by id or `all`), sent by someone
   * else, neither recalled nor hidden for them (docs/protocol.md §13.5); set by `ImServer.conversations`.
   */
  mentions?: number;
}

/** The id of the direct conversation between two users: `d:<a>:<b>`, ids sorted. */
export function directConversationId(userA: string, userB: string): string {
  return userA < userB ? `d:${userA}:${userB}` : `d:${userB}:${userA}`;
}

/** The id of a group's conversation: `g:<groupId>`. */
export function groupConversationId(groupId: string): string {
  return `g:${groupId}`;
}

/** A parsed conversation id. */
export type ParsedConversationId =
  | {
      /** A 1:1 conversation. */
      kind: "direct";
      /** Its two participants, sorted. */
      userIds: [string, string];
    }
  | {
      /** A group's conversation. */
      kind: "group";
      /** The group's id. */
      groupId: string;
    };

/** Parses a conversation id; throws `bad_request` on a malformed one. */
export function parseConversationId(conversationId: string): ParsedConversationId {
  if (conversationId.startsWith("d:")) {
    const parts = conversationId.split(":");
    const [, a, b] = parts;
    if (parts.length === 3 && a && b) return { kind: "direct", userIds: [a, b] };
  } else if (conversationId.startsWith("g:")) {
    const groupId = conversationId.slice(2);
    if (groupId && !groupId.includes(":")) return { kind: "group", groupId };
  }
  throw new ImError("bad_request", `malformed conversation id "${conversationId}"`);
}

/** The conversation a `send`/`typing` from `from` to `to` belongs to. */
export function conversationIdFor(from: string, to: Target): string {
  return to.type === "group" ? groupConversationId(to.id) : directConversationId(from, to.id);
}
