import type { TransportConnection } from "../contracts/transport.js";
import type { Principal, SessionInfo } from "../domain/session.js";
import { newId } from "../util/ids.js";

/** A message pushed to a session and not yet covered by its ack. */
export interface PendingPush {
  messageId: string;
  seq: number;
  /** The serialized `message` frame (shared by every session it was pushed to). */
  data: string;
  /** Server time the message was stored: send-to-delivered latency starts there. */
  storedAt: number;
  attempts: number;
  dueAt: number;
}

/** Holds answers for sessions until they can go out together (the receipts batcher). */
export interface HeldAnswers {
  /** Sends what waits for the session now. */
  release(session: Session): void;
}

/** Where a connection is in its life. */
export type SessionState = "connecting" | "authenticating" | "ready" | "closed";

/**
 * One client connection inside the engine: its identity once authenticated,
 * the pushes it has not acked yet, and its timers.
 */
export class Session {
  state: SessionState = "connecting";
  principal: Principal | undefined;
  info: SessionInfo | undefined;
  /** Pushed messages awaiting the client's ack, by conversation. */
  readonly pending = new Map<string, PendingPush[]>();
  pendingCount = 0;
  /** The highest seq this session acked, per conversation: a push it already covers is not sent again. */
  readonly acked = new Map<string, number>();
  /** Frames received while `auth` was being checked. */
  readonly queuedFrames: string[] = [];
  /**
   * The session asked for changes (a `sync` with `changes`, or a change frame): it gets
   * `change` and `applied` frames and `synced.lastChangeSeq` (docs/protocol.md §13.4).
   */
  changeAware = false;
  /**
   * The capabilities of the first `auth` frame this node accepted (docs/protocol.md §1.8), echoed
   * in each `ready`; undefined when the client announced none (its `ready` is v1's).
   */
  capabilities: readonly string[] | undefined;
  /** The session accepted `receipt-batch`: its receipts go out in `receipts` frames (§5.3). */
  batchesReceipts = false;
  /** The session accepted `sent-batch`: answers to its sends may wait in its `receipts` batch (§5.3). */
  batchesSent = false;
  /**
   * Set while `sent` answers wait for this session (in the receipts batcher): any other frame
   * to the session releases them first, so an answer never arrives after a later frame of the
   * same conversation (the client orders a conversation by seq, its own sends included).
   */
  heldBy: HeldAnswers | undefined;
  rateLimitStrikes = 0;
  /** Start of the current window of the engine's own frame limiter (ms). */
  rateWindowStart = 0;
  /** Frames counted in that window. */
  rateWindowCount = 0;
  /** The close for too many refused frames is scheduled. */
  rateLimitClosing = false;
  /** The tail of this session's `sync` answers: one at a time, so pages never pile up. */
  syncChain: Promise<void> = Promise.resolve();
  /** `sync` frames received and not answered yet. */
  syncsQueued = 0;
  /** The tail of this session's inbound frame chain (keeps frames in order). */
  frameChain: Promise<void> = Promise.resolve();
  /** Questions to the host's rate limiter not answered yet. */
  limiterAsks = 0;
  authTimer: ReturnType<typeof setTimeout> | undefined;
  expiringTimer: ReturnType<typeof setTimeout> | undefined;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;

  /** Globally unique session id (sent in `ready`). */
  readonly id = newId("s");

  constructor(readonly connection: TransportConnection) {}

  /** True once the connection closed (a getter, so checks after an `await` are not narrowed away). */
  get isClosed(): boolean {
    return this.state === "closed";
  }

  get userId(): string | undefined {
    return this.principal?.userId;
  }

  /** Sends a serialized frame unless the session is closed; false when it was dropped. */
  send(data: string): boolean {
    if (this.state === "closed") return false;
    this.releaseHeldAnswers();
    return this.connection.send(data);
  }

  /**
   * Closes the connection from the server's side. Answers held for it go out first: a `sent`
   * frame written before a close would have reached the client too.
   */
  close(code: number, reason: string): void {
    this.releaseHeldAnswers();
    this.connection.close(code, reason);
  }

  /** Sends the answers held for this session, if any (once: the holder is forgotten first). */
  private releaseHeldAnswers(): void {
    const holder = this.heldBy;
    if (holder === undefined) return;
    this.heldBy = undefined;
    holder.release(this);
  }

  /** Remembers a push until an ack covers it. */
  track(conversationId: string, push: PendingPush): void {
    let list = this.pending.get(conversationId);
    if (!list) {
      list = [];
      this.pending.set(conversationId, list);
    }
    list.push(push);
    this.pendingCount++;
  }

  /** Forgets every push of the conversation up to `seq`; returns them. */
  acknowledge(conversationId: string, seq: number): PendingPush[] {
    if ((this.acked.get(conversationId) ?? 0) < seq) this.acked.set(conversationId, seq);
    const list = this.pending.get(conversationId);
    if (!list) return [];
    const acked: PendingPush[] = [];
    const kept: PendingPush[] = [];
    for (const push of list) (push.seq <= seq ? acked : kept).push(push);
    if (kept.length === 0) this.pending.delete(conversationId);
    else this.pending.set(conversationId, kept);
    this.pendingCount -= acked.length;
    return acked;
  }

  clearTimers(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.expiringTimer);
    clearTimeout(this.expiryTimer);
  }
}
