/**
 * @packageDocumentation
 * Lucky IM core: the domain, the wire protocol, the contracts adapters
 * implement, the engine, and in-memory adapters (the embedded default).
 */

// The wire protocol, re-exported whole (a direct re-export keeps every name a static ESM export).
export * from "@lucky-im/protocol";
export * from "./background-error.js";
export * from "./config-error.js";
export type * from "./contracts/authenticator.js";
export type * from "./contracts/broker.js";
export type * from "./contracts/contact-store.js";
export type * from "./contracts/conversation-settings-store.js";
export type * from "./contracts/cursor-store.js";
export type * from "./contracts/domain-event-store.js";
export type * from "./contracts/group-join-store.js";
export type * from "./contracts/group-store.js";
export type * from "./contracts/hooks.js";
export type * from "./contracts/message-change-store.js";
export type * from "./contracts/message-store.js";
export type * from "./contracts/moderation-store.js";
export type * from "./contracts/outbox-store.js";
export type * from "./contracts/presence.js";
export type * from "./contracts/profile-store.js";
export type * from "./contracts/rate-limiter.js";
export type * from "./contracts/storage.js";
export type * from "./contracts/transport.js";
export * from "./domain/contact.js";
export * from "./domain/conversation.js";
export * from "./domain/conversation-settings.js";
export * from "./domain/cursor.js";
export * from "./domain/domain-event.js";
export * from "./domain/domain-event-sources.js";
export * from "./domain/envelope.js";
export * from "./domain/group.js";
export * from "./domain/group-join.js";
export * from "./domain/invite-link-id.js";
export * from "./domain/message.js";
export * from "./domain/message-change.js";
export * from "./domain/message-change-checks.js";
export * from "./domain/moderation.js";
export type * from "./domain/node-stats.js";
export * from "./domain/outbox.js";
export * from "./domain/people-limits.js";
export * from "./domain/profile.js";
export * from "./domain/session.js";
export type * from "./engine/admin-operations.js";
export type * from "./engine/contact-operations.js";
export type * from "./engine/conversation-settings-operations.js";
export type * from "./engine/events.js";
export type * from "./engine/group-join-operations.js";
export type * from "./engine/group-operations.js";
export * from "./engine/im-server.js";
export type { MessageSearchOptions } from "./engine/message-search.js";
export * from "./engine/options.js";
export type * from "./engine/profile-operations.js";
export type {
  BroadcastInput,
  BroadcastOutcome,
  ServerSendInput,
  ServerSendOutcome,
  ServerSendResult,
} from "./engine/server-send.js";
export type * from "./engine/stats.js";
export * from "./errors.js";
export * from "./memory/index.js";
export * from "./observability/open-telemetry.js";
export * from "./protocol/close-codes.js";
export * from "./protocol/codec.js";
export type { JsonLimits } from "./protocol/json-limits.js";
export * from "./runtime/index.js";
export * from "./transport/memory-transport.js";
export * from "./util/address-key.js";
export * from "./util/check-option.js";
export * from "./util/ids.js";
export * from "./util/turn-batch.js";
