import type { EventEmitter } from "eventemitter3";
import type { Broker } from "../contracts/broker.js";
import type { ImHooks } from "../contracts/hooks.js";
import type { Presence } from "../contracts/presence.js";
import type { Storage } from "../contracts/storage.js";
import type { Message } from "../domain/message.js";
import type { ImError } from "../errors.js";
import type { MessageBodyType, ServerFrame } from "../protocol/schemas.js";
import type { Batcher } from "./batcher.js";
import type { Delivery } from "./delivery.js";
import type { ImServerEvents } from "./events.js";
import type { GroupCache } from "./group-cache.js";
import type { ImLimits, ImLogger, MultiDevicePolicy } from "./options.js";
import type { Session } from "./session.js";
import type { SessionRegistry } from "./session-registry.js";
import type { ImServerStats } from "./stats.js";
import type { UnsolicitedLimits } from "./unsolicited-limits.js";

/** A cursor write waiting in a batch: the highest seq for one (user, conversation). */
export interface CursorWrite {
  /** A write with no receipt (the sender reading their own message). */
  silent?: boolean;
  userId: string;
  conversationId: string;
  seq: number;
}

/**
 * The engine's internals, shared by the frame handlers and the group service.
 * Not public API.
 */
export interface EngineCore {
  readonly nodeId: string;
  readonly limits: ImLimits;
  readonly storage: Storage;
  readonly presence: Presence;
  readonly broker: Broker;
  readonly hooks: ImHooks;
  readonly delivery: Delivery;
  readonly registry: SessionRegistry;
  readonly groupCache: GroupCache;
  readonly stats: ImServerStats;
  readonly logger: ImLogger;
  readonly events: EventEmitter<ImServerEvents>;
  readonly heartbeatMs: number;
  readonly multiDevice: MultiDevicePolicy;
  readonly presenceEvents: boolean;
  readonly deliveryReceipts: "direct" | "all" | "none";
  readonly allowedBodyTypes: ReadonlySet<MessageBodyType>;
  /** Per-sender budgets on first messages to strangers, calls and stranger group adds. */
  readonly unsolicited: UnsolicitedLimits;
  /** Coalesced delivered-cursor writes (key `user\u0000conversation`). */
  readonly deliveredWrites: Batcher<string, CursorWrite>;
  /** Coalesced read-cursor writes. */
  readonly readWrites: Batcher<string, CursorWrite>;
  /** Coalesced "outbox entry published" marks. */
  readonly sentMarks: Batcher<string, true>;
  /** Sends a frame to one session. */
  sendFrame(session: Session, frame: ServerFrame): void;
  /** Sends an `error` frame built from any thrown value. */
  sendError(session: Session, error: unknown, cid?: string): void;
  /** Reports a background failure (event `error`, or the logger). */
  reportError(error: unknown, context: string): void;
  /**
   * Delivers a stored message and settles its outbox entry; never throws or rejects.
   * Synchronous (no promise) when every recipient is on this node and no lookup is needed.
   */
  dispatchMessage(
    message: Message,
    participants: readonly string[],
    outboxId: string | undefined,
    exceptSessionId?: string,
  ): boolean | Promise<boolean>;
  /** Tracks a background task so `close()` can wait for it. */
  track<T>(task: Promise<T>): Promise<T>;
  /** Turns an error into an ImError for a client. */
  toClientError(error: unknown): ImError;
}
