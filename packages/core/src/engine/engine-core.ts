import type { EventEmitter } from "eventemitter3";
import type { Broker } from "../contracts/broker.js";
import type { ImHooks } from "../contracts/hooks.js";
import type { Presence } from "../contracts/presence.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import type { Storage } from "../contracts/storage.js";
import type { MessageBodyType } from "../protocol/schemas.js";
import type { ChangeDispatch } from "./change-settlement.js";
import type { ConversationSettingsService } from "./conversation-settings-service.js";
import type { CursorWriter } from "./cursor-writes.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";
import type { ImServerEvents } from "./events.js";
import type { GroupCache } from "./group-cache.js";
import type { TaskTracker } from "./inflight-tasks.js";
import type { MessageDispatch } from "./message-settlement.js";
import type { ImLimits, ImLogger, MultiDevicePolicy } from "./options.js";
import type { PresenceAudience } from "./presence-audience.js";
import type { PresenceSubscriptions } from "./presence-subscriptions.js";
import type { RelationCache } from "./relation-cache.js";
import type { Replies } from "./replies.js";
import type { SessionRegistry } from "./session-registry.js";
import type { ImServerStats } from "./stats.js";
import type { UnsolicitedLimits } from "./unsolicited-limits.js";

export type { CursorWrite } from "./cursor-writes.js";

/**
 * What the frame handlers and the group service work with: settings, adapters and
 * collaborators, each behind a narrow interface. The composition root
 * (im-server.ts) builds it once; nothing in it calls back into `ImServer`, so a
 * frame travels one way: connection lifecycle, frame dispatch, handler,
 * collaborators, delivery. Not public API.
 *
 * @internal
 */
export interface EngineCore {
  /** This node's id. */
  readonly nodeId: string;
  /** The limits in force. */
  readonly limits: ImLimits;
  /** The storage adapter. */
  readonly storage: Storage;
  /** The presence adapter. */
  readonly presence: Presence;
  /** The broker adapter. */
  readonly broker: Broker;
  /** The host's hooks. */
  readonly hooks: ImHooks;
  /** Pushes frames and messages to sessions here and on other nodes. */
  readonly delivery: Delivery;
  /** The authenticated sessions on this node. */
  readonly registry: SessionRegistry;
  /** Group membership, cached per node and invalidated by broadcasts. */
  readonly groupCache: GroupCache;
  /** Contacts, blocks and privacy policies between users, cached per node and invalidated by broadcasts. */
  readonly relations: RelationCache;
  /** The node's counters. */
  readonly stats: ImServerStats;
  /** The host's logger. */
  readonly logger: ImLogger;
  /** The node's typed events (`message`, `connection`, ...). */
  readonly events: EventEmitter<ImServerEvents>;
  /** The heartbeat interval announced in `ready`. */
  readonly heartbeatMs: number;
  /** `ImServerOptions.multiDevice`. */
  readonly multiDevice: MultiDevicePolicy;
  /** The body types `send` accepts. */
  readonly allowedBodyTypes: ReadonlySet<MessageBodyType>;
  /** Per-sender budgets on first messages to strangers, calls and stranger group adds. */
  readonly unsolicited: UnsolicitedLimits;
  /** Answers to the session that sent a frame (`sent`, `error`, `pong`, ...). */
  readonly replies: Replies;
  /** Failures that reach no client. */
  readonly errors: ErrorReporter;
  /** Delivers stored messages and settles their outbox entries. */
  readonly messages: MessageDispatch;
  /** Delivers stored changes (edits, reactions, pins, ...) and settles their outbox entries. */
  readonly changes: ChangeDispatch;
  /** `ImServerOptions.mentionAll === "members"`: plain group members may mention `all`. */
  readonly mentionAllByMembers: boolean;
  /** `ImServerOptions.forwardShowsSender`: forwarded copies name the original sender. */
  readonly forwardShowsSender: boolean;
  /** Per-user budget of forwarded copies (`limits.forwardsPerWindow`). */
  readonly forwardLimiter: RateLimiter;
  /** Batched cursor writes and the receipts they imply. */
  readonly cursorWrites: CursorWriter;
  /** Work `close()` waits for. */
  readonly tasks: TaskTracker;
  /** Who may watch whose presence. */
  readonly presenceAudience: PresenceAudience;
  /** This node's sessions' presence watch lists. */
  readonly presenceSubscriptions: PresenceSubscriptions;
  /** Users' conversation settings (the unread mark a `read` clears). */
  readonly conversationSettings: ConversationSettingsService;
}
