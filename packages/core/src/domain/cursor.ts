/** The other participants' cursors in one conversation, as a user sees them. */
export interface PeerCursor {
  /** The conversation these cursors belong to. */
  conversationId: string;
  /** The highest seq any other participant read. */
  readSeq: number;
  /** The highest seq delivered to any other participant. */
  deliveredSeq: number;
}

/** A user's cursors in one conversation. */
export interface Cursor {
  /** The conversation. */
  conversationId: string;
  /** Highest seq acknowledged by any of the user's sessions. */
  deliveredSeq: number;
  /** Highest seq the user read. */
  readSeq: number;
  /** The conversation's last seq, at the time of reading. */
  lastSeq: number;
  /**
   * The conversation's last seq when the user joined it (a group member added later): messages
   * up to it are not theirs to see, in `sync` or history. Absent means 0.
   */
  joinedSeq?: number;
  /**
   * The oldest seq the store still holds, when it dropped older messages (the memory storage's
   * `retention`): `range` starts there whatever the `afterSeq`, and it is `lastSeq + 1` when
   * none is left. Absent when the store holds every message (PostgreSQL, SQLite).
   */
  oldestSeq?: number;
}
