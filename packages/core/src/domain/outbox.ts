import type { Message } from "./message.js";
import type { MessageChange } from "./message-change.js";

/**
 * What an outbox entry publishes: a new message, or an entry of a
 * conversation's change log. Entries written before changes existed have
 * no kind and are messages.
 */
export type OutboxEntryKind = "message" | "change";

/** State of an outbox entry. */
export type OutboxStatus = "pending" | "sent";

/**
 * The promise to deliver one stored message: written in the same transaction
 * as the message, marked `sent` once every node that holds a participant
 * confirmed it. A `pending` entry is re-published by the outbox relay.
 */
export interface OutboxEntry {
  /** The entry's id. */
  id: string;
  /** What it publishes; absent means `message`. */
  kind?: OutboxEntryKind;
  /** The message to publish (kind `change`: the changed message). */
  messageId: string;
  /** Kind `change`: the change's place in its conversation's change log. */
  changeSeq?: number;
  /** The message's conversation. */
  conversationId: string;
  /** `pending` until published, then `sent`. */
  status: OutboxStatus;
  /** Failed publish attempts so far. */
  attempts: number;
  /** Not claimable before this time (ms since epoch). */
  nextAttemptAt: number;
  /** Claimed by a relay until this time (ms since epoch); absent when free. */
  leaseUntil?: number;
  /** When the message was appended (ms since epoch). */
  createdAt: number;
}

/** An entry returned by a claim, with its message. */
export interface ClaimedOutboxEntry extends OutboxEntry {
  /** The message to publish. */
  message: Message;
  /** Every participant of the message's conversation, sender included (a private change: its one user). */
  participants: string[];
  /** Kind `change`: the change to publish. */
  change?: MessageChange;
}
