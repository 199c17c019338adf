/**
 * The capabilities a client may announce in `auth` (`capabilities`) and the server echoes in
 * `ready` when it accepts them (docs/protocol.md §1.8). A client that announces none gets
 * version 1's frames exactly as first fixed.
 */

/**
 * The client handles `receipts` frames: the server may then coalesce the `receipt` frames for
 * this connection over a short window into one `receipts` frame.
 */
export const CAPABILITY_RECEIPT_BATCH = "receipt-batch";

/**
 * The client may send `acks` frames (many conversations acknowledged in one frame). The server
 * accepts `acks` from any client; echoing this capability in `ready` is how a client learns
 * that this server does (with the most entries one frame may hold, `maxAcksPerFrame`).
 */
export const CAPABILITY_ACK_BATCH = "ack-batch";

/**
 * The client reads `sent` answers inside `receipts` frames: the server may hold the answer to a
 * `send` for a short while (`delivery.sentHoldMs`) so that "stored" and the recipient's
 * "delivered" reach the sender as one frame. Accepted only together with `receipt-batch`.
 */
export const CAPABILITY_SENT_BATCH = "sent-batch";

/** Every capability this version of the protocol defines. */
export const CAPABILITIES: readonly string[] = [
  CAPABILITY_RECEIPT_BATCH,
  CAPABILITY_ACK_BATCH,
  CAPABILITY_SENT_BATCH,
];
