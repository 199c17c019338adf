import type { Message } from "../domain/message.js";
import type { SessionInfo } from "../domain/session.js";
import type { ImError } from "../errors.js";

/**
 * Typed events of an {@link ImServer} (eventemitter3). Listeners run on the hot
 * path: keep them fast, never throw.
 */
export interface ImServerEvents {
  /** A session authenticated on this node. */
  connection: [session: SessionInfo];
  /** An authenticated session closed. */
  disconnection: [session: SessionInfo, code: number];
  /** This node stored a new message (not a repeated `cid`); `latencyMs` is receive-to-stored. */
  message: [message: Message, latencyMs: number];
  /** A session on this node acked a message pushed to it; `latencyMs` is stored-to-acked. */
  delivered: [
    message: {
      /** The message's id. */
      messageId: string;
      /** Its conversation. */
      conversationId: string;
      /** Its seq in the conversation. */
      seq: number;
    },
    userId: string,
    latencyMs: number,
  ];
  /** Something failed that did not reach a client (a hook, a background write, a publish). */
  error: [error: ImError, context: string];
}
