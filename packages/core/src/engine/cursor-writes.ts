import type { CursorMoved } from "../contracts/cursor-store.js";
import { parseConversationId } from "../domain/conversation.js";
import type { RuntimeStorage } from "../runtime/storage-runtime.js";
import { Batcher } from "./batcher.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";
import type { GroupCache } from "./group-cache.js";

/** A cursor write waiting in a batch: the highest seq for one (user, conversation). */
export interface CursorWrite {
  /** A write with no receipt (the sender reading their own message). */
  silent?: boolean;
  /** Whose cursor moves. */
  userId: string;
  /** In which conversation. */
  conversationId: string;
  /** The seq it moves to (never lowers the stored cursor). */
  seq: number;
}

/** Which `delivered` receipts go out (`ImServerOptions.deliveryReceipts`). */
export type DeliveryReceiptPolicy = "direct" | "all" | "none";

/** Batched cursor writes; the receipts they imply go out with each batch. */
export interface CursorWriter {
  /** Raises a delivered cursor (an `ack`). */
  delivered(write: CursorWrite): void;
  /** Raises a read cursor (a `read`, or the sender's own message with `silent`). */
  read(write: CursorWrite): void;
}

/** What {@link CursorWrites} works with. */
export interface CursorWritesDeps {
  /** Where cursors are stored (in the runtime wrapper: `markMany` is always there). */
  cursors: RuntimeStorage["cursors"];
  /** Group members, for group receipts. */
  groupCache: Pick<GroupCache, "get">;
  /** Sends the receipts to every session of the other participants. */
  delivery: Pick<Delivery, "deliverFrame">;
  /** Which `delivered` receipts are sent. */
  deliveryReceipts: DeliveryReceiptPolicy;
  /** How long a write waits for others to share its round trip. */
  batchMs: number;
  /** Failures that reach no client. */
  errors: ErrorReporter;
}

/** Keeps the highest seq of two writes to the same cursor; silent only when both are. */
function maxSeq(a: CursorWrite, b: CursorWrite): CursorWrite {
  return { ...(a.seq >= b.seq ? a : b), silent: Boolean(a.silent && b.silent) };
}

/**
 * Cursor writes and receipts: acks and reads are coalesced per (user,
 * conversation), written in one call per batch, and each cursor that moved is
 * announced to the other participants as a `receipt`.
 */
export class CursorWrites implements CursorWriter {
  /** Waiting delivered-cursor moves, by `user\u0000conversation`. */
  private readonly deliveredWrites: Batcher<string, CursorWrite>;
  /** Waiting read-cursor moves, by `user\u0000conversation`. */
  private readonly readWrites: Batcher<string, CursorWrite>;

  /** @param deps - the collaborators (see {@link CursorWritesDeps}) */
  constructor(private readonly deps: CursorWritesDeps) {
    const batch = (kind: "delivered" | "read") =>
      new Batcher<string, CursorWrite>((items) => this.write(items, kind), {
        delayMs: deps.batchMs,
        maxItems: 500,
        merge: maxSeq,
        onError: (error) => deps.errors.report(error, `writing ${kind} cursors`),
      });
    this.deliveredWrites = batch("delivered");
    this.readWrites = batch("read");
  }

  /** {@inheritDoc CursorWriter.delivered} */
  delivered(write: CursorWrite): void {
    this.deliveredWrites.add(`${write.userId}\u0000${write.conversationId}`, write);
  }

  /** {@inheritDoc CursorWriter.read} */
  read(write: CursorWrite): void {
    this.readWrites.add(`${write.userId}\u0000${write.conversationId}`, write);
  }

  /** Writes what is waiting (on close). */
  async flush(): Promise<void> {
    await Promise.all([this.deliveredWrites.flush(), this.readWrites.flush()]);
  }

  /** Writes a batch of cursor moves, then sends the receipts they imply. */
  private async write(items: Map<string, CursorWrite>, kind: "delivered" | "read"): Promise<void> {
    const { cursors } = this.deps;
    const writes = [...items.values()];
    // The whole batch in one call (a store without its own markMany gets the runtime's).
    const moved = await cursors.markMany(
      writes.map((w) => ({ userId: w.userId, conversationId: w.conversationId, seq: w.seq, kind })),
    );
    const silent = new Set(
      writes.filter((w) => w.silent).map((w) => `${w.userId}\u0000${w.conversationId}`),
    );
    await this.sendReceipts(moved, silent, kind);
  }

  /**
   * Receipts carry what the store holds (capped at the last seq, never lower), and only for
   * cursors that moved: a client's claimed seq is never relayed as is.
   */
  private async sendReceipts(
    moved: readonly CursorMoved[],
    silent: ReadonlySet<string>,
    kind: "delivered" | "read",
  ): Promise<void> {
    const policy = this.deps.deliveryReceipts;
    for (const write of moved) {
      if (silent.has(`${write.userId}\u0000${write.conversationId}`)) continue;
      const parsed = parseConversationId(write.conversationId);
      let others: string[];
      if (parsed.kind === "direct") {
        others = parsed.userIds.filter((u) => u !== write.userId);
      } else {
        if (kind === "delivered" && policy !== "all") continue;
        const group = await this.deps.groupCache.get(parsed.groupId);
        if (!group?.members.has(write.userId)) continue;
        others = group.memberIds.filter((u) => u !== write.userId);
      }
      if (kind === "delivered" && policy === "none") continue;
      void this.deps.delivery.deliverFrame(others, {
        type: "receipt",
        conversationId: write.conversationId,
        userId: write.userId,
        seq: write.seq,
        kind,
      });
    }
  }
}
