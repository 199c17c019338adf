/** A user's cursors in one conversation. */
export interface Cursor {
  conversationId: string;
  /** Highest seq acknowledged by any of the user's sessions. */
  deliveredSeq: number;
  /** Highest seq the user read. */
  readSeq: number;
  /** The conversation's last seq, at the time of reading. */
  lastSeq: number;
}
