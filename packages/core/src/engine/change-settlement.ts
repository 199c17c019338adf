import type { CursorStore } from "../contracts/cursor-store.js";
import type { OutboxStore } from "../contracts/outbox-store.js";
import type { MessageChange } from "../domain/message-change.js";
import { Batcher } from "./batcher.js";
import { changeAudience } from "./change-audience.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";

/** Delivers stored changes (docs/protocol.md §13) and settles their outbox entries. */
export interface ChangeDispatch {
  /**
   * Delivers a stored change to the nodes holding its audience (a private change: its one
   * user; otherwise `participants`, less the group members who joined after the changed
   * message, from whom it is hidden) and marks `outboxId` sent once every node took it.
   * Never throws or rejects; resolves true when every node took it.
   *
   * @param outboxId - the entry to mark sent (none from the relay, which marks its own)
   */
  dispatch(
    change: MessageChange,
    participants: readonly string[],
    outboxId: string | undefined,
  ): boolean | Promise<boolean>;
}

/** What {@link ChangeSettlement} works with. */
export interface ChangeSettlementDeps {
  /** Pushes changes to sessions here and on other nodes. */
  delivery: Pick<Delivery, "deliverChange">;
  /** Where the members who joined after a changed message are read (they do not get its changes). */
  cursors: Pick<CursorStore, "membersJoinedAfter">;
  /** Where delivered entries are marked sent. */
  outbox: Pick<OutboxStore, "markSent">;
  /** Failures that reach no client. */
  errors: ErrorReporter;
}

/**
 * Change settlement, the counterpart of message settlement for outbox entries of kind
 * `change`: deliver after the write (fast path) or after a relay claim, and mark the entry
 * sent in batches when every node took it.
 */
export class ChangeSettlement implements ChangeDispatch {
  /** Coalesced "outbox entry published" marks. */
  private readonly sentMarks: Batcher<string, true>;

  /** @param deps - the collaborators (see {@link ChangeSettlementDeps}) */
  constructor(private readonly deps: ChangeSettlementDeps) {
    this.sentMarks = new Batcher((items) => deps.outbox.markSent([...items.keys()]), {
      delayMs: 5,
      maxItems: 500,
      onError: (error) => deps.errors.report(error, "marking change outbox entries sent"),
    });
  }

  /** {@inheritDoc ChangeDispatch.dispatch} */
  dispatch(
    change: MessageChange,
    participants: readonly string[],
    outboxId: string | undefined,
  ): boolean | Promise<boolean> {
    // A private change goes to its one user; in a direct conversation nobody joined late.
    if (change.visibleTo !== undefined) return this.deliver(change, [change.visibleTo], outboxId);
    if (change.conversationId.startsWith("d:")) return this.deliver(change, participants, outboxId);
    // The audience is computed here, on the node that publishes to the others: every node
    // pushes only what it is handed, so a late joiner is left out across the cluster.
    return changeAudience(this.deps.cursors, change.conversationId, change.seq, participants).then(
      (audience) => this.deliver(change, audience, outboxId),
      (error: unknown) => {
        // Not delivered (the outbox entry stays unsent; the relay retries): never to everyone.
        this.deps.errors.report(error, "reading the audience of a change");
        return false;
      },
    );
  }

  private deliver(
    change: MessageChange,
    audience: readonly string[],
    outboxId: string | undefined,
  ): boolean | Promise<boolean> {
    let result: boolean | Promise<boolean>;
    try {
      result = this.deps.delivery.deliverChange(change, audience);
    } catch (error) {
      this.deps.errors.report(error, "delivering a change");
      return false;
    }
    if (!(result instanceof Promise)) return this.settle(outboxId, result);
    return result.then(
      (complete) => this.settle(outboxId, complete),
      (error: unknown) => {
        this.deps.errors.report(error, "delivering a change");
        return false;
      },
    );
  }

  /** Writes the waiting outbox marks (on close). */
  flush(): Promise<void> {
    return this.sentMarks.flush();
  }

  private settle(outboxId: string | undefined, complete: boolean): boolean {
    if (complete && outboxId !== undefined) this.sentMarks.add(outboxId, true);
    return complete;
  }
}
