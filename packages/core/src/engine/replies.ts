import { encodeFrame, errorFrame } from "../protocol/codec.js";
import type { ServerFrame } from "../protocol/schemas.js";
import type { ErrorReporter } from "./error-reporter.js";
import type { Session } from "./session.js";
import type { ImServerStats } from "./stats.js";

/** Answers to the session that sent a frame. */
export interface Replies {
  /** Sends a frame to one session (counted in `framesOut` when it went out). */
  send(session: Session, frame: ServerFrame): void;
  /** Sends an `error` frame built from any thrown value (`cid`: of the frame it answers). */
  error(session: Session, error: unknown, cid?: string): void;
}

/** {@link Replies} that serialize each frame and count what was written. */
export class SessionReplies implements Replies {
  /**
   * @param stats - the node's counters (`framesOut`)
   * @param errors - turns thrown values into client errors (reports the unexpected ones)
   */
  constructor(
    private readonly stats: ImServerStats,
    private readonly errors: ErrorReporter,
  ) {}

  /** {@inheritDoc Replies.send} */
  send(session: Session, frame: ServerFrame): void {
    if (session.send(encodeFrame(frame))) this.stats.framesOut++;
  }

  /** {@inheritDoc Replies.error} */
  error(session: Session, error: unknown, cid?: string): void {
    const clientError = this.errors.toClientError(error);
    if (session.send(encodeFrame(errorFrame(clientError, cid)))) this.stats.framesOut++;
  }
}
