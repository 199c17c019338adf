import type { ImHooks } from "../contracts/hooks.js";
import type { OutboxStore } from "../contracts/outbox-store.js";
import type { Message } from "../domain/message.js";
import { mentionsUser } from "../domain/message-change.js";
import { Batcher } from "./batcher.js";
import type { Delivery, MessageDeliveryResult } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";

/** Delivers stored messages and settles their outbox entries. */
export interface MessageDispatch {
  /**
   * Delivers a stored message and settles its outbox entry; never throws or rejects.
   * Synchronous (no promise) when every recipient is on this node and no lookup is needed.
   * Resolves true when every node holding a participant took the message.
   *
   * @param outboxId - the entry to mark sent once delivery is complete (none from the relay)
   * @param exceptSessionId - the sending session, which gets `sent` instead
   */
  dispatch(
    message: Message,
    participants: readonly string[],
    outboxId: string | undefined,
    exceptSessionId?: string,
  ): boolean | Promise<boolean>;
}

/** What {@link MessageSettlement} works with. */
export interface MessageSettlementDeps {
  /** Pushes messages to sessions here and on other nodes. */
  delivery: Pick<Delivery, "deliverMessage">;
  /** Where delivered entries are marked sent. */
  outbox: Pick<OutboxStore, "markSent">;
  /** `onOffline` is told who had no session anywhere. */
  hooks: ImHooks;
  /** Failures that reach no client. */
  errors: ErrorReporter;
  /** Of the offline users, those who muted the conversation (for `onOffline`). */
  mutedAmong(conversationId: string, userIds: readonly string[]): Promise<Set<string>>;
  /** Settle an entry with offline recipients only once `onOffline` resolved (see the engine option). */
  settleAfterOffline?: boolean;
}

/**
 * Delivery settlement: after a message is stored (fast path) or claimed (relay),
 * deliver it, mark its outbox entry sent in batches when every node took it,
 * and tell the host who is offline.
 */
export class MessageSettlement implements MessageDispatch {
  /** Coalesced "outbox entry published" marks. */
  private readonly sentMarks: Batcher<string, true>;

  /** @param deps - the collaborators (see {@link MessageSettlementDeps}) */
  constructor(private readonly deps: MessageSettlementDeps) {
    this.sentMarks = new Batcher((items) => deps.outbox.markSent([...items.keys()]), {
      delayMs: 5,
      maxItems: 500,
      onError: (error) => deps.errors.report(error, "marking outbox entries sent"),
    });
  }

  /** {@inheritDoc MessageDispatch.dispatch} */
  dispatch(
    message: Message,
    participants: readonly string[],
    outboxId: string | undefined,
    exceptSessionId?: string,
  ): boolean | Promise<boolean> {
    let result: MessageDeliveryResult | Promise<MessageDeliveryResult>;
    try {
      result = this.deps.delivery.deliverMessage(message, participants, exceptSessionId);
    } catch (error) {
      this.deps.errors.report(error, "delivering a message");
      return false;
    }
    // Delivered on this node only (no presence lookup, no broker): settle without a promise.
    if (!(result instanceof Promise)) return this.settle(message, outboxId, result);
    return result.then(
      (settled) => this.settle(message, outboxId, settled),
      (error: unknown) => {
        this.deps.errors.report(error, "delivering a message");
        return false;
      },
    );
  }

  /** Writes the waiting outbox marks (on close). */
  flush(): Promise<void> {
    return this.sentMarks.flush();
  }

  /**
   * Marks the outbox entry sent when every node took the message (and, with
   * `settleAfterOffline`, the hook resolved); tells the host who is offline.
   */
  private settle(
    message: Message,
    outboxId: string | undefined,
    result: MessageDeliveryResult,
  ): boolean | Promise<boolean> {
    const { hooks, errors } = this.deps;
    const onOffline = hooks.onOffline;
    if (result.offline.length === 0 || !onOffline) {
      if (result.complete && outboxId !== undefined) this.sentMarks.add(outboxId, true);
      return result.complete;
    }
    const offline = result.offline;
    const mentioned = message.mentions
      ? offline.filter((userId) => mentionsUser(message, userId))
      : [];
    // Off the send's path: the mute lookup (cached per node) is awaited by the hook only,
    // and whatever the hook throws, at once or later, is reported, never fails the send.
    const told = this.deps
      .mutedAmong(message.conversationId, offline)
      .then((muted) => onOffline.call(hooks, message, offline, { muted, mentioned }));
    if (!this.deps.settleAfterOffline) {
      if (result.complete && outboxId !== undefined) this.sentMarks.add(outboxId, true);
      told.catch((error: unknown) => errors.report(error, "onOffline hook"));
      return result.complete;
    }
    // The entry is settled once the hook recorded what it must; a failed hook leaves it
    // pending, so the relay delivers again and calls the hook again.
    return told.then(
      () => {
        if (result.complete && outboxId !== undefined) this.sentMarks.add(outboxId, true);
        return result.complete;
      },
      (error: unknown) => {
        errors.report(error, "onOffline hook");
        return false;
      },
    );
  }
}
