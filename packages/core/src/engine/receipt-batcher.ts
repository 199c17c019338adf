import { encodeFrame } from "../protocol/codec.js";
import type { ReceiptEntry, ReceiptFrame } from "../protocol/schemas.js";
import type { Session } from "./session.js";
import type { ImServerStats } from "./stats.js";

/** What {@link ReceiptBatcher} works with. */
export interface ReceiptBatcherOptions {
  /** How long the first receipt of a batch waits for others, in ms (above 0). */
  windowMs: number;
  /** Most receipts in one `receipts` frame: a session's batch that reaches it goes out at once. */
  maxPerFrame: number;
  /** The node's counters (`framesOut`). */
  stats: ImServerStats;
}

/**
 * Coalesces the receipts for sessions that announced `receipt-batch` (docs/protocol.md §5.3):
 * per session, only the highest seq per (conversation, user, kind) is kept (receipts are
 * cumulative), and what is waiting goes out as one `receipts` frame when the window ends or
 * the batch is full. One timer for the whole node, none per session or per receipt; sessions
 * without the capability never reach it.
 */
export class ReceiptBatcher {
  /** Waiting receipts per session, by `kind\u0000conversation\u0000user`, in arrival order. */
  private readonly waiting = new Map<Session, Map<string, ReceiptEntry>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** @param options - the window, the frame bound and the counters */
  constructor(private readonly options: ReceiptBatcherOptions) {}

  /** Queues a receipt for the session (a later, lower or equal seq of the same key is dropped). */
  add(session: Session, receipt: ReceiptFrame): void {
    let batch = this.waiting.get(session);
    if (!batch) {
      batch = new Map();
      this.waiting.set(session, batch);
    }
    const key = `${receipt.kind}\u0000${receipt.conversationId}\u0000${receipt.userId}`;
    const queued = batch.get(key);
    if (queued) {
      if (receipt.seq > queued.seq) queued.seq = receipt.seq;
      return;
    }
    batch.set(key, {
      conversationId: receipt.conversationId,
      userId: receipt.userId,
      seq: receipt.seq,
      kind: receipt.kind,
    });
    if (batch.size >= this.options.maxPerFrame) {
      this.waiting.delete(session);
      this.send(session, batch);
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.windowMs);
      this.timer.unref?.();
    }
  }

  /** Sends every waiting batch now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [session, batch] of this.waiting) this.send(session, batch);
    this.waiting.clear();
  }

  /** Drops what is waiting and the timer (the node stops; its sessions are closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.clear();
  }

  private send(session: Session, batch: Map<string, ReceiptEntry>): void {
    const data = encodeFrame({ type: "receipts", receipts: [...batch.values()] });
    if (session.send(data)) this.options.stats.framesOut++;
  }
}
