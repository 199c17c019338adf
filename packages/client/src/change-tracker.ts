import type { ChangeFrame, ErrorCode, SyncedFrame } from "@lucky-im/protocol";
import { ImClientError } from "./client-error.js";

/** One entry of a conversation's change log, as the `change` event gives it (docs/protocol.md §13.3). */
export type MessageChangeEvent = ChangeFrame["change"];

/** What a change frame (`edit`, `react`, `pin`, `deleteForMe`, `clear`) resolves with. */
export interface AppliedResult {
  /** The change's place in its conversation's log; absent when nothing changed (a repeated reaction). */
  changeSeq?: number;
}

interface Waiter {
  resolve(result: AppliedResult): void;
  reject(error: ImClientError): void;
}

/**
 * The client's side of changes (docs/protocol.md §13.4): the last changeSeq applied per
 * conversation, named in every `sync`, and the change frames waiting for `applied`.
 */
export class ChangeTracker {
  private readonly applied = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter>();

  /** The `changes` field of the next `sync`. */
  syncField(): Record<string, number> {
    return Object.fromEntries(this.applied);
  }

  /**
   * A `change` arrived. `fromSync`: part of a sync answer (complete up to it). A live change
   * after a gap is given to the application but does not move the conversation's changeSeq,
   * so the next sync fills the gap. Returns false for a change already applied.
   */
  onChange(change: MessageChangeEvent, fromSync: boolean): boolean {
    const known = this.applied.get(change.conversationId);
    if (known !== undefined && change.changeSeq <= known) return false;
    if (fromSync || known === undefined || change.changeSeq === known + 1) {
      this.applied.set(change.conversationId, change.changeSeq);
    }
    return true;
  }

  /** A `synced` arrived: a conversation seen for the first time starts at its `lastChangeSeq`. */
  onSynced(frame: SyncedFrame): void {
    for (const entry of frame.conversations) {
      if (entry.lastChangeSeq !== undefined && !this.applied.has(entry.conversationId)) {
        this.applied.set(entry.conversationId, entry.lastChangeSeq);
      }
    }
  }

  /** Waits for the `applied` (or `error`) answering `cid`. */
  wait(cid: string): Promise<AppliedResult> {
    return new Promise((resolve, reject) => this.waiting.set(cid, { resolve, reject }));
  }

  /** An `applied` arrived; false when no call waits for its cid. */
  onApplied(cid: string | undefined, changeSeq: number | undefined): boolean {
    const waiter = cid === undefined ? undefined : this.waiting.get(cid);
    if (!waiter || cid === undefined) return false;
    this.waiting.delete(cid);
    waiter.resolve(changeSeq === undefined ? {} : { changeSeq });
    return true;
  }

  /** An `error` arrived; false when no change call waits for its cid. */
  onError(cid: string | undefined, error: ImClientError): boolean {
    const waiter = cid === undefined ? undefined : this.waiting.get(cid);
    if (!waiter || cid === undefined) return false;
    this.waiting.delete(cid);
    waiter.reject(error);
    return true;
  }

  /** The connection closed or the client stopped: no answer will come for what waits. */
  failAll(code: ErrorCode, message: string): void {
    for (const [cid, waiter] of this.waiting)
      waiter.reject(new ImClientError(code, message, { cid }));
    this.waiting.clear();
  }
}
