import type { ErrorCode, ForwardedFrame } from "@lucky-im/protocol";
import { ImClientError } from "./client-error.js";

/** One copy a `forward` made (docs/protocol.md §13.2), in the order of its targets. */
export type ForwardedCopy = ForwardedFrame["messages"][number];

/** What {@link ImClient.forward} resolves with. */
export interface ForwardResult {
  /** One copy per target, in the order of the targets. */
  messages: ForwardedCopy[];
}

interface Waiter {
  resolve(result: ForwardResult): void;
  reject(error: ImClientError): void;
}

/** The `forward` frames waiting for their `forwarded` (or `error`), by cid. */
export class ForwardWaiters {
  private readonly waiting = new Map<string, Waiter>();

  /** A promise for the answer to the `forward` with this cid. */
  wait(cid: string): Promise<ForwardResult> {
    return new Promise((resolve, reject) => this.waiting.set(cid, { resolve, reject }));
  }

  /** A `forwarded` arrived; false when no call waits for its cid. */
  onForwarded(frame: ForwardedFrame): boolean {
    const waiter = this.waiting.get(frame.cid);
    if (!waiter) return false;
    this.waiting.delete(frame.cid);
    waiter.resolve({ messages: frame.messages.map((m) => ({ ...m })) });
    return true;
  }

  /** An `error` arrived; false when no forward waits for its cid. */
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
