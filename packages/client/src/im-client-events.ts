import type {
  GroupFrame,
  MessageFrame,
  PresenceFrame,
  ReadyFrame,
  RecalledFrame,
  ReceiptFrame,
  SignalNoticeFrame,
  SyncedFrame,
  TypingNoticeFrame,
} from "@lucky-im/core";
import type { ImClientError } from "./client-error.js";
import type { ClientState, DisconnectInfo, SentResult } from "./im-client-options.js";

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
  receipt: (frame: ReceiptFrame) => void;
  recalled: (frame: RecalledFrame) => void;
  typing: (frame: TypingNoticeFrame) => void;
  signal: (frame: SignalNoticeFrame) => void;
  presence: (frame: PresenceFrame) => void;
  group: (frame: GroupFrame) => void;
  /** A connection closed. */
  disconnect: (info: DisconnectInfo) => void;
  /** Something went wrong that no promise reports (an `error` frame without cid, a store failure, ...). */
  error: (error: ImClientError) => void;
}
