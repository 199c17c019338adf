import type { MessageBody, MessageFrame, Target } from "../protocol/schemas.js";
import type { Mention, ReplyReference } from "./message-change.js";

/**
 * A stored message. `seq` is its place in the conversation (1, 2, 3, ... with
 * no gap); `messageId` is a UUIDv7 assigned by the server; `cid` is the
 * sender's id for it, which makes `send` idempotent per sender.
 */
export interface Message {
  /** Server-assigned UUIDv7. */
  messageId: string;
  /** The conversation it belongs to (`d:<a>:<b>` or `g:<groupId>`). */
  conversationId: string;
  /** Its place in the conversation: 1, 2, 3, ... with no gap. */
  seq: number;
  /** The sender's user id. */
  from: string;
  /** The user or group it was sent to. */
  to: Target;
  /** The content. */
  body: MessageBody;
  /** The sender's client id for it (idempotency key per sender). */
  cid: string;
  /** Server time of the append, in milliseconds since the epoch. */
  ts: number;
  /** Set once the message was recalled; its body is then emptied for readers. */
  recalled?: boolean;
  /** Who recalled it (the sender, or a group owner/admin). */
  recalledBy?: string;
  /** When it was last edited, in milliseconds since the epoch. */
  editedAt?: number;
  /** The message it replies to, with an excerpt (absent: not a reply). */
  replyTo?: ReplyReference;
  /** Mentioned user ids, or `all` (absent: no mention). */
  mentions?: Mention[];
}

/**
 * What the engine hands to {@link MessageStore.append}: a message without the
 * fields the store assigns (`seq`) plus the conversation's participants, so
 * the store can create the conversation and its cursors on first use.
 */
export interface MessageDraft {
  /** UUIDv7 chosen by the engine; kept only if this (from, cid) is new. */
  messageId: string;
  /** The conversation it goes to (created on first use). */
  conversationId: string;
  /** The sender's user id. */
  from: string;
  /** The user or group it is sent to. */
  to: Target;
  /** The content. */
  body: MessageBody;
  /** The sender's client id for it (idempotency key per sender). */
  cid: string;
  /** Server time of the send (ms since epoch). */
  ts: number;
  /** Every participant, sender included (for a group: its members). */
  participants: readonly string[];
  /**
   * The message it replies to. The engine checks that the target is in the
   * same conversation and builds the excerpt (see `replyExcerpt`); the store
   * only bounds the excerpt's length (`too_large`).
   */
  replyTo?: ReplyReference;
  /** Mentioned user ids or `all`; the engine checks membership, the store bounds the count (`too_large`). */
  mentions?: readonly Mention[];
}

/** The result of an append: the stored message, and whether this call created it. */
export interface AppendResult {
  /** The stored message (the earlier one when not created). */
  message: Message;
  /** False when (from, cid) already existed and the earlier message is returned. */
  created: boolean;
  /** Id of the outbox entry written with the message (absent when not created). */
  outboxId?: string;
}

/** The `message` frame of a stored message (a recalled one carries no content). */
export function toMessageFrame(message: Message): MessageFrame {
  const frame: MessageFrame = {
    type: "message",
    messageId: message.messageId,
    conversationId: message.conversationId,
    seq: message.seq,
    from: message.from,
    to: message.to,
    body: message.recalled ? { type: "custom", data: null } : message.body,
    ts: message.ts,
    cid: message.cid,
  };
  if (message.recalled) frame.recalled = true;
  // Additions of §13.2, only when set: a plain message's frame is unchanged.
  if (message.replyTo !== undefined) {
    const { messageId, seq, from, excerpt, recalled } = message.replyTo;
    frame.replyTo = recalled
      ? { messageId, seq, from, excerpt, recalled }
      : { messageId, seq, from, excerpt };
  }
  if (message.mentions !== undefined) frame.mentions = message.mentions;
  if (message.editedAt !== undefined && !message.recalled) frame.editedAt = message.editedAt;
  return frame;
}
