import { encodeFrame } from "../protocol/codec.js";
import type { ReceiptEntry, ReceiptFrame, ReceiptsFrame, SentEntry } from "../protocol/schemas.js";
import { monotonicNow } from "../util/monotonic-now.js";
import type { HeldAnswers, Session } from "./session.js";
import type { ImServerStats } from "./stats.js";

/** What {@link ReceiptBatcher} works with. */
export interface ReceiptBatcherOptions {
  /** How long the first receipt of a batch waits for others, in ms (above 0). */
  windowMs: number;
  /**
   * How long a held `sent` answer that expects a `delivered` receipt waits for it, in ms
   * (`sent-batch`); 0 when the node does not hold answers.
   */
  sentHoldMs: number;
  /** Most entries (receipts and answers) in one `receipts` frame: a fuller batch goes out at once. */
  maxPerFrame: number;
  /** The node's counters (`framesOut`). */
  stats: ImServerStats;
}

/** Receipts a batch searches linearly before it indexes them by key. */
const LINEAR_MAX = 8;

const receiptKey = (kind: string, conversationId: string, userId: string): string =>
  `${kind}\u0000${conversationId}\u0000${userId}`;

/** The batch's receipt for (kind, conversation, user), if any. */
function findReceipt(
  batch: Batch,
  kind: string,
  conversationId: string,
  userId: string,
): ReceiptEntry | undefined {
  if (batch.index === undefined && batch.receipts.length > LINEAR_MAX) {
    batch.index = new Map(
      batch.receipts.map((r) => [receiptKey(r.kind, r.conversationId, r.userId), r]),
    );
  }
  if (batch.index !== undefined) return batch.index.get(receiptKey(kind, conversationId, userId));
  return batch.receipts.find(
    (r) => r.kind === kind && r.conversationId === conversationId && r.userId === userId,
  );
}

/** What waits for one session. */
interface Batch {
  /**
   * Receipts, at most one per (kind, conversation, user), in arrival order. An array searched
   * linearly: a batch holds one or two entries almost always, and at most `maxPerFrame`.
   */
  readonly receipts: ReceiptEntry[];
  /** The receipts by key, built once the batch outgrows a linear search (see `LINEAR_MAX`). */
  index: Map<string, ReceiptEntry> | undefined;
  /** Held `sent` answers (`sent-batch`), in the order the sends were stored. */
  readonly sent: SentEntry[];
  /** The held answers still waiting for a receipt that covers them; undefined when none. */
  awaiting: SentEntry[] | undefined;
  /** When the batch goes out at the latest (ms, {@link monotonicNow}). */
  dueAt: number;
}

/**
 * Coalesces what goes to sessions in `receipts` frames (docs/protocol.md §5.3): the receipts of
 * sessions that announced `receipt-batch` (per session, only the highest seq per (conversation,
 * user, kind): receipts are cumulative) and, for sessions that announced `sent-batch`, the
 * answers to their sends. A direct send's answer waits up to `sentHoldMs` for the recipient's
 * receipt, so "stored" and "delivered" reach the sender as one frame instead of two; the batch
 * goes out as soon as that receipt joins it. Each batch goes out when its earliest deadline
 * passes, when it is full, or (with held answers) before any other frame to its session. One
 * timer for the whole node, set for the earliest deadline; sessions without the capabilities
 * never reach it. A batch lives tens of milliseconds, so it allocates little (arrays, no keys).
 */
export class ReceiptBatcher implements HeldAnswers {
  private readonly waiting = new Map<Session, Batch>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (ms, {@link monotonicNow}); meaningful while `timer` is set. */
  private timerAt = 0;
  /** Deadlines are multiples of this (ms). */
  private readonly tickMs: number;

  /** @param options - the windows, the frame bound and the counters */
  constructor(private readonly options: ReceiptBatcherOptions) {
    const shortest =
      options.sentHoldMs > 0 ? Math.min(options.windowMs, options.sentHoldMs) : options.windowMs;
    this.tickMs = Math.max(1, Math.floor(shortest / 4));
  }

  /** Queues a receipt for the session (a later, lower or equal seq of the same key is dropped). */
  add(session: Session, receipt: ReceiptFrame): void {
    const batch = this.batchOf(session, monotonicNow() + this.options.windowMs);
    const { conversationId, userId, seq, kind } = receipt;
    const queued = findReceipt(batch, kind, conversationId, userId);
    if (queued) {
      if (seq > queued.seq) queued.seq = seq;
    } else {
      const entry: ReceiptEntry = { conversationId, userId, seq, kind };
      batch.receipts.push(entry);
      batch.index?.set(receiptKey(kind, conversationId, userId), entry);
    }
    // The receipt a held answer waited for: when none waits any more, nothing is worth waiting for.
    const { awaiting } = batch;
    if (awaiting !== undefined) {
      const still = awaiting.filter((a) => a.conversationId !== conversationId || a.seq > seq);
      if (still.length === 0) {
        this.release(session);
        return;
      }
      batch.awaiting = still;
    }
    this.sendIfFull(session, batch);
  }

  /**
   * Holds the answer to a session's `send` (`sent-batch`). `awaitsReceipt`: a `delivered` receipt
   * from the other participant is expected (a direct conversation), so the answer may wait
   * `sentHoldMs` for it; otherwise it waits the receipt window at most (and never past the hold).
   */
  addSent(session: Session, answer: SentEntry, awaitsReceipt: boolean): void {
    const { sentHoldMs, windowMs } = this.options;
    const holdMs = awaitsReceipt ? sentHoldMs : Math.min(windowMs, sentHoldMs);
    const batch = this.batchOf(session, monotonicNow() + holdMs);
    batch.sent.push(answer);
    if (awaitsReceipt) {
      batch.awaiting ??= [];
      batch.awaiting.push(answer);
    }
    session.heldBy = this;
    this.sendIfFull(session, batch);
  }

  /** Sends the session's batch now, if it has one. */
  release(session: Session): void {
    const batch = this.waiting.get(session);
    if (batch === undefined) return;
    this.waiting.delete(session);
    this.send(session, batch);
  }

  /** Sends every waiting batch now (the node is stopping: held answers still reach their senders). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.waiting];
    this.waiting.clear();
    for (const [session, batch] of batches) this.send(session, batch);
  }

  /** Drops what is waiting and the timer (the node stopped; its sessions are closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const session of this.waiting.keys()) session.heldBy = undefined;
    this.waiting.clear();
  }

  /** The session's batch, created if needed, due no later than `latest`; the timer covers it. */
  private batchOf(session: Session, latest: number): Batch {
    // Deadlines fall on ticks of a quarter window, so the timer fires a few hundred times a
    // second at most however many batches wait (each waits up to a tick less, never more).
    const dueAt = latest - (latest % this.tickMs);
    let batch = this.waiting.get(session);
    if (batch === undefined) {
      batch = { receipts: [], index: undefined, sent: [], awaiting: undefined, dueAt };
      this.waiting.set(session, batch);
    } else if (dueAt < batch.dueAt) {
      batch.dueAt = dueAt;
    }
    this.schedule(batch.dueAt);
    return batch;
  }

  private sendIfFull(session: Session, batch: Batch): void {
    if (batch.receipts.length + batch.sent.length >= this.options.maxPerFrame)
      this.release(session);
  }

  /** Makes the timer fire by `dueAt` (it only ever moves earlier here). */
  private schedule(dueAt: number): void {
    if (this.timer !== undefined && this.timerAt <= dueAt) return;
    clearTimeout(this.timer);
    this.timerAt = dueAt;
    this.timer = setTimeout(() => this.sendDue(), Math.max(0, dueAt - monotonicNow()));
    this.timer.unref?.();
  }

  /** Sends the batches whose deadline passed and sets the timer for the next one. */
  private sendDue(): void {
    this.timer = undefined;
    const now = monotonicNow();
    let next = Number.POSITIVE_INFINITY;
    for (const [session, batch] of this.waiting) {
      if (batch.dueAt <= now) {
        this.waiting.delete(session);
        this.send(session, batch);
      } else if (batch.dueAt < next) {
        next = batch.dueAt;
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.schedule(next);
  }

  private send(session: Session, batch: Batch): void {
    if (batch.sent.length > 0) session.heldBy = undefined;
    const frame: ReceiptsFrame =
      batch.sent.length > 0
        ? { type: "receipts", sent: batch.sent, receipts: batch.receipts }
        : { type: "receipts", receipts: batch.receipts };
    if (session.send(encodeFrame(frame))) this.options.stats.framesOut++;
  }
}
