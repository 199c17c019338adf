import type {
  ContactFrame,
  ConversationSettingsFrame,
  GroupFrame,
  MessageFrame,
  PresenceFrame,
  PresenceStateFrame,
  ProfileFrame,
  ReadyFrame,
  RecalledFrame,
  ReceiptFrame,
  SignalNoticeFrame,
  SyncedFrame,
  TypingNoticeFrame,
} from "@lucky-im/protocol";
import type { MessageChangeEvent } from "./change-tracker.js";
import type { ImClientError } from "./client-error.js";
import type { ClientState, DisconnectInfo, SentResult } from "./im-client-options.js";

/** What the `trimmed` event tells: a run of seqs the server no longer has. */
export interface TrimmedHistory {
  /** The conversation. */
  conversationId: string;
  /** The first seq that will never arrive (the client's cursor + 1). */
  fromSeq: number;
  /** The last one (the server's `oldestSeq - 1`). */
  toSeq: number;
}

/** The typed events of an {@link ImClient}. */
export interface ImClientEvents {
  /** The connection state changed. */
  state: (state: ClientState, previous: ClientState) => void;
  /** A connection authenticated (the first one and every reconnect). */
  ready: (frame: ReadyFrame) => void;
  /** The open connection accepted a fresh token (after `auth_expiring`). */
  reauthenticated: (frame: ReadyFrame) => void;
  /**
   * A message, exactly once per client and in seq order per conversation.
   * The client's own sends come as `sent`, not here (those of the user's other
   * devices do come here).
   */
  message: (message: MessageFrame) => void;
  /** The server stored one of this client's sends. */
  sent: (result: SentResult) => void;
  /** A `sync` round (page) finished. */
  synced: (frame: SyncedFrame) => void;
  /**
   * Messages `fromSeq..toSeq` of a conversation will never arrive: the server dropped them
   * (its history retention, `synced.conversations[].oldestSeq`) before this client got them.
   * The cursor moved past them; show a "older messages are not available" notice if it matters.
   */
  trimmed: (info: TrimmedHistory) => void;
  /** A delivered or read receipt for a message this user sent. */
  receipt: (frame: ReceiptFrame) => void;
  /** A message was recalled: drop its content. */
  recalled: (frame: RecalledFrame) => void;
  /**
   * A message changed (edited, recalled, reacted, pinned, deleted or cleared for this user;
   * docs/protocol.md §13.3), live or from a sync, once per changeSeq. Needs `options.changes`.
   */
  change: (change: MessageChangeEvent) => void;
  /** Someone is typing to this user or in one of its groups. */
  typing: (frame: TypingNoticeFrame) => void;
  /** A call-signalling payload from another user. */
  signal: (frame: SignalNoticeFrame) => void;
  /** A watched user (see `subscribePresence`) came online or went offline. */
  presence: (frame: PresenceFrame) => void;
  /** The current status of the users watched, answering `subscribePresence` (and after each reconnect). */
  presenceState: (frame: PresenceStateFrame) => void;
  /** A user's shown profile (name, avatar) changed: this user's or a conversation partner's. */
  profile: (frame: ProfileFrame) => void;
  /** This user's own settings of a conversation changed (on another device, or cleared by a read). */
  conversationSettings: (frame: ConversationSettingsFrame) => void;
  /** A change to one of this user's groups. */
  group: (frame: GroupFrame) => void;
  /** A change to this user's contacts, contact requests, blocks or privacy policy (addition). */
  contact: (frame: ContactFrame) => void;
  /** A connection closed. */
  disconnect: (info: DisconnectInfo) => void;
  /** Something went wrong that no promise reports (an `error` frame without cid, a store failure, ...). */
  error: (error: ImClientError) => void;
}
