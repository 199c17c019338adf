import type { Broker } from "../contracts/broker.js";
import type { Presence } from "../contracts/presence.js";
import { toChangeFrame } from "../domain/change-frame.js";
import type { Envelope } from "../domain/envelope.js";
import { type Message, toMessageFrame } from "../domain/message.js";
import type { MessageChange } from "../domain/message-change.js";
import { encodeFrame } from "../protocol/codec.js";
import type { ReceiptFrame, SentEntry, SentFrame, ServerFrame } from "../protocol/schemas.js";
import { DedupeCache } from "./dedupe-cache.js";
import { NodesLookup } from "./nodes-lookup.js";
import { ReceiptBatcher } from "./receipt-batcher.js";
import type { Session } from "./session.js";
import type { SessionRegistry } from "./session-registry.js";
import type { ImServerStats } from "./stats.js";

/** What {@link Delivery} needs from the engine. */
export interface DeliveryContext {
  nodeId: string;
  presence: Presence;
  /**
   * True when presence is the engine's own private in-memory one: no other node can
   * hold a session, so delivery skips the presence lookup (it would only name this node).
   */
  localOnly: boolean;
  broker: Broker;
  registry: SessionRegistry;
  stats: ImServerStats;
  ackTimeoutMs: number;
  maxPushAttempts: number;
  maxPendingPerSession: number;
  dedupeCacheSize: number;
  dedupeCacheMs: number;
  presenceBatchMaxUsers: number;
  /**
   * How long receipts for a `receipt-batch` session wait to go out together (docs/protocol.md
   * §5.3), in ms; 0: no batching (the node does not accept the capability).
   */
  receiptBatchMs: number;
  /**
   * How long a direct send's answer for a `sent-batch` session may wait for the recipient's
   * receipt (§5.3), in ms; 0: the node does not hold answers (nor accept the capability).
   */
  sentHoldMs: number;
  /** `delivered` receipts go out in direct conversations (`delivery.receipts` is not `"none"`). */
  deliveredInDirect: boolean;
  /** Most receipts in one `receipts` frame. */
  maxReceiptsPerFrame: number;
  reportError(error: unknown, context: string): void;
  onDelivered(
    message: { messageId: string; conversationId: string; seq: number },
    userId: string,
    latencyMs: number,
  ): void;
}

/** The outcome of delivering one stored message. */
export interface MessageDeliveryResult {
  /** True when every node holding a participant accepted it (the outbox entry can be marked sent). */
  complete: boolean;
  /** Participants (sender excluded) with no online session anywhere. */
  offline: string[];
}

/**
 * Gets frames to sessions: locally without a broker round trip, to other
 * nodes through the broker (once per node, however many participants it
 * holds). Tracks every pushed message until the session's ack covers it and
 * pushes it again until the retry budget ends; what is left then is for `sync`.
 */
export class Delivery {
  private readonly dedupe: DedupeCache;
  private readonly lookup: NodesLookup;
  /** Sessions with un-acked pushes: the retry loop looks only at these. */
  private readonly withPending = new Set<Session>();
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  /** Coalesces receipts for `receipt-batch` sessions; undefined when the node does not batch. */
  private readonly receipts: ReceiptBatcher | undefined;

  constructor(private readonly ctx: DeliveryContext) {
    this.dedupe = new DedupeCache({ maxKeys: ctx.dedupeCacheSize, ttlMs: ctx.dedupeCacheMs });
    this.lookup = new NodesLookup(ctx.presence, ctx.presenceBatchMaxUsers);
    this.receipts =
      ctx.receiptBatchMs > 0
        ? new ReceiptBatcher({
            windowMs: ctx.receiptBatchMs,
            sentHoldMs: ctx.sentHoldMs,
            maxPerFrame: ctx.maxReceiptsPerFrame,
            stats: ctx.stats,
          })
        : undefined;
  }

  /** True when this node batches receipts for sessions that announce `receipt-batch`. */
  get batchesReceipts(): boolean {
    return this.receipts !== undefined;
  }

  /** True when this node may hold `sent` answers for sessions that announce `sent-batch`. */
  get holdsSent(): boolean {
    return this.receipts !== undefined && this.ctx.sentHoldMs > 0;
  }

  /**
   * Answers a session's `send`: in a `sent` frame, or for a `sent-batch` session held in its
   * receipts batch (§5.3). `recipient`: the other user of a direct message, whose `delivered`
   * receipt the answer may wait for, to leave with it in one frame. A recipient this node knows
   * to be offline (no session here, and no other node could hold one) sends no receipt soon,
   * so the answer does not wait for it.
   */
  answerSent(session: Session, answer: SentEntry, recipient: string | undefined): void {
    if (this.receipts !== undefined && session.batchesSent && session.state === "ready") {
      const awaitsReceipt =
        recipient !== undefined &&
        this.ctx.deliveredInDirect &&
        (!this.ctx.localOnly || this.ctx.registry.hasUser(recipient));
      this.receipts.addSent(session, answer, awaitsReceipt);
      return;
    }
    const frame: SentFrame = { type: "sent", ...answer };
    if (session.send(encodeFrame(frame))) this.ctx.stats.framesOut++;
  }

  /** Sends every waiting receipts batch now (before the node closes its connections). */
  flushReceipts(): void {
    this.receipts?.flush();
  }

  start(): void {
    const every = Math.max(50, Math.floor(this.ctx.ackTimeoutMs / 4));
    this.retryTimer = setInterval(() => this.retryDue(), every);
    this.retryTimer.unref?.();
  }

  stop(): void {
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    this.receipts?.stop();
  }

  /**
   * Delivers a stored message to every online session of its participants
   * (`exceptSessionId`: the sending session, which gets `sent` instead).
   */
  deliverMessage(
    message: Message,
    participants: readonly string[],
    exceptSessionId?: string,
  ): MessageDeliveryResult | Promise<MessageDeliveryResult> {
    const { registry } = this.ctx;
    const local = participants.filter((userId) => registry.hasUser(userId));
    if (local.length > 0) this.pushMessageLocally(message, local, exceptSessionId);
    if (this.ctx.localOnly) {
      const offline = participants.filter((u) => u !== message.from && !registry.hasUser(u));
      return { complete: true, offline };
    }
    return this.deliverRemotely(message, participants, local, exceptSessionId);
  }

  private async deliverRemotely(
    message: Message,
    participants: readonly string[],
    local: string[],
    exceptSessionId: string | undefined,
  ): Promise<MessageDeliveryResult> {
    const { nodeId } = this.ctx;

    let nodes: Map<string, string[]>;
    try {
      nodes = await this.lookup.nodesOf(participants);
    } catch (error) {
      this.ctx.reportError(error, "presence lookup for a message");
      return { complete: false, offline: [] };
    }
    const online = new Set(local);
    const publishes: Promise<void>[] = [];
    for (const [targetNode, userIds] of nodes) {
      for (const userId of userIds) online.add(userId);
      if (targetNode === nodeId) continue;
      publishes.push(
        this.publish(targetNode, { kind: "message", message, userIds, exceptSessionId }),
      );
    }
    const results = await Promise.allSettled(publishes);
    const complete = results.every((r) => r.status === "fulfilled");
    const offline = participants.filter((u) => u !== message.from && !online.has(u));
    return { complete, offline };
  }

  /**
   * Delivers a stored change (docs/protocol.md §13) as a `change` frame to the change-aware
   * sessions of `userIds` here and on every other node holding one of them. Resolves (or
   * returns, when nothing left this node) true when every node took it.
   */
  deliverChange(change: MessageChange, userIds: readonly string[]): boolean | Promise<boolean> {
    const local = userIds.filter((userId) => this.ctx.registry.hasUser(userId));
    if (local.length > 0) this.pushChangeLocally(change, local);
    if (this.ctx.localOnly) return true;
    return this.deliverChangeRemotely(change, userIds);
  }

  private async deliverChangeRemotely(
    change: MessageChange,
    userIds: readonly string[],
  ): Promise<boolean> {
    let nodes: Map<string, string[]>;
    try {
      nodes = await this.lookup.nodesOf(userIds);
    } catch (error) {
      this.ctx.reportError(error, "presence lookup for a change");
      return false;
    }
    const publishes: Promise<void>[] = [];
    for (const [targetNode, targets] of nodes) {
      if (targetNode === this.ctx.nodeId) continue;
      publishes.push(this.publish(targetNode, { kind: "change", change, userIds: targets }));
    }
    const results = await Promise.allSettled(publishes);
    return results.every((r) => r.status === "fulfilled");
  }

  /** Pushes a frame that is not stored (receipt, typing, ...) to the users' sessions everywhere. */
  async deliverFrame(
    userIds: readonly string[],
    frame: ServerFrame,
    exceptSessionId?: string,
  ): Promise<void> {
    if (userIds.length === 0) return;
    const local = userIds.filter((userId) => this.ctx.registry.hasUser(userId));
    if (local.length > 0) this.pushLocally(local, frame, exceptSessionId);
    if (this.ctx.localOnly) return;
    let nodes: Map<string, string[]>;
    try {
      nodes = await this.lookup.nodesOf(userIds);
    } catch (error) {
      this.ctx.reportError(error, `presence lookup for a ${frame.type} frame`);
      return;
    }
    const publishes: Promise<void>[] = [];
    for (const [targetNode, targets] of nodes) {
      if (targetNode === this.ctx.nodeId) continue;
      publishes.push(
        this.publish(targetNode, { kind: "frame", frame, userIds: targets, exceptSessionId }).catch(
          (error: unknown) => this.ctx.reportError(error, `publishing a ${frame.type} frame`),
        ),
      );
    }
    await Promise.all(publishes);
  }

  /** Handles an envelope another node (or the relay) sent to this node. */
  handleEnvelope(envelope: Envelope): void {
    switch (envelope.kind) {
      case "message":
        this.pushMessageLocally(envelope.message, envelope.userIds, envelope.exceptSessionId);
        return;
      case "change":
        this.pushChangeLocally(envelope.change, envelope.userIds);
        return;
      case "frame":
        this.pushLocally(envelope.userIds, envelope.frame, envelope.exceptSessionId);
        return;
      case "kick":
        this.kickLocally(envelope.userId, envelope.code, envelope.reason, envelope.sessionId);
        return;
    }
  }

  /** Closes local sessions of a user (one, or all but `exceptSessionId`). */
  kickLocally(
    userId: string,
    code: number,
    reason: string,
    sessionId?: string,
    exceptSessionId?: string,
  ): number {
    const sessions = this.ctx.registry.ofUser(userId);
    if (!sessions) return 0;
    let closed = 0;
    for (const session of [...sessions]) {
      if (sessionId !== undefined && session.id !== sessionId) continue;
      if (session.id === exceptSessionId) continue;
      session.close(code, reason);
      closed++;
    }
    return closed;
  }

  /** The session acked up to `seq`: stop re-pushing what it covers. */
  acknowledge(session: Session, conversationId: string, seq: number): void {
    const acked = session.acknowledge(conversationId, seq);
    if (acked.length === 0) return;
    this.ctx.stats.pendingPushes -= acked.length;
    if (session.pendingCount === 0) this.withPending.delete(session);
    const now = Date.now();
    const userId = session.userId ?? "";
    for (const push of acked) {
      this.ctx.onDelivered(
        { messageId: push.messageId, conversationId, seq: push.seq },
        userId,
        now - push.storedAt,
      );
    }
  }

  /** Forgets a closed session's pushes (they stay available to `sync`). */
  forget(session: Session): void {
    this.ctx.stats.pendingPushes -= session.pendingCount;
    session.pending.clear();
    session.pendingCount = 0;
    this.withPending.delete(session);
  }

  private async publish(targetNode: string, envelope: Envelope): Promise<void> {
    try {
      await this.ctx.broker.publish(targetNode, envelope);
      this.ctx.stats.envelopesPublished++;
    } catch (error) {
      this.ctx.stats.publishFailures++;
      throw error;
    }
  }

  private pushMessageLocally(
    message: Message,
    userIds: readonly string[],
    exceptSessionId: string | undefined,
  ): void {
    if (!this.dedupe.firstSight(message.messageId)) {
      this.ctx.stats.duplicatesDropped++;
      return;
    }
    // Serialized once, whatever the number of recipients.
    const data = encodeFrame(toMessageFrame(message));
    const now = Date.now();
    const { stats, registry } = this.ctx;
    for (const userId of userIds) {
      const sessions = registry.ofUser(userId);
      if (!sessions) continue;
      for (const session of sessions) {
        if (session.id === exceptSessionId || session.state !== "ready") continue;
        // Already covered by this session's ack (it got the message by sync): a re-publish by
        // the relay must not push it again.
        if ((session.acked.get(message.conversationId) ?? 0) >= message.seq) continue;
        session.send(data);
        stats.messagesPushed++;
        stats.framesOut++;
        if (session.pendingCount >= this.ctx.maxPendingPerSession) continue;
        session.track(message.conversationId, {
          messageId: message.messageId,
          seq: message.seq,
          data,
          storedAt: message.ts,
          attempts: 1,
          dueAt: now + this.ctx.ackTimeoutMs,
        });
        stats.pendingPushes++;
        this.withPending.add(session);
      }
    }
  }

  /**
   * Pushes a change once per node: the fast path and the relay (or two relays) may both
   * publish it, so a (conversationId, changeSeq) already pushed here is dropped.
   */
  private pushChangeLocally(change: MessageChange, userIds: readonly string[]): void {
    if (!this.dedupe.firstSight(`change:${change.conversationId}:${change.changeSeq}`)) {
      this.ctx.stats.duplicatesDropped++;
      return;
    }
    let data: string | undefined;
    for (const userId of userIds) {
      const sessions = this.ctx.registry.ofUser(userId);
      if (!sessions) continue;
      for (const session of sessions) {
        // A v1 session never gets a `change` frame (it keeps the `recalled` push).
        if (!session.changeAware || session.state !== "ready") continue;
        data ??= encodeFrame(toChangeFrame(change));
        if (session.send(data)) this.ctx.stats.framesOut++;
      }
    }
  }

  /**
   * Sends a frame to the users' ready sessions here; a `receipt` for a session that batches
   * receipts waits in its batch instead (docs/protocol.md §5.3). The frame is encoded once, and
   * only if some session takes it as is (a receipt to batching sessions only never is).
   */
  private pushLocally(
    userIds: readonly string[],
    frame: ServerFrame,
    exceptSessionId: string | undefined,
  ): void {
    const receipt = receiptOf(frame);
    const batcher = receipt === undefined ? undefined : this.receipts;
    let data: string | undefined;
    for (const userId of userIds) {
      const sessions = this.ctx.registry.ofUser(userId);
      if (!sessions) continue;
      for (const session of sessions) {
        if (session.id === exceptSessionId || session.state !== "ready") continue;
        if (batcher !== undefined && session.batchesReceipts) {
          batcher.add(session, receipt!);
          continue;
        }
        data ??= encodeFrame(frame);
        if (session.send(data)) this.ctx.stats.framesOut++;
      }
    }
  }

  private retryDue(): void {
    const now = Date.now();
    const { stats, maxPushAttempts, ackTimeoutMs } = this.ctx;
    for (const session of this.withPending) {
      if (session.state === "closed") {
        this.forget(session);
        continue;
      }
      for (const [conversationId, list] of session.pending) {
        let kept = list;
        for (const push of list) {
          if (push.dueAt > now) continue;
          if (push.attempts >= maxPushAttempts) {
            stats.pushesAbandoned++;
            kept = kept.filter((p) => p !== push);
            continue;
          }
          push.attempts++;
          push.dueAt = now + ackTimeoutMs;
          session.send(push.data);
          stats.pushRetries++;
          stats.messagesPushed++;
          stats.framesOut++;
        }
        if (kept !== list) {
          const dropped = list.length - kept.length;
          session.pendingCount -= dropped;
          stats.pendingPushes -= dropped;
          if (kept.length === 0) session.pending.delete(conversationId);
          else session.pending.set(conversationId, kept);
        }
      }
      if (session.pendingCount === 0) this.withPending.delete(session);
    }
  }
}

/** The frame when it is a `receipt` (the only frame sessions may get batched). */
function receiptOf(frame: ServerFrame): ReceiptFrame | undefined {
  return frame.type === "receipt" ? frame : undefined;
}
