/**
 * @packageDocumentation
 * Lucky IM client for browsers and Node.js: one WebSocket speaking the Lucky IM
 * protocol v1, with reconnects, exactly-once sends, ordered and de-duplicated
 * messages, batched acks and resumable cursors.
 */

export type {
  ChangeFrame,
  GroupFrame,
  MessageBody,
  MessageFrame,
  PresenceFrame,
  ReadyFrame,
  RecalledFrame,
  ReceiptFrame,
  SignalNoticeFrame,
  SyncedFrame,
  Target,
  TypingNoticeFrame,
} from "@lucky-im/protocol";
export type { BackoffOptions } from "./backoff.js";
export type { AppliedResult, MessageChangeEvent } from "./change-tracker.js";
export { ImClientError, type ImClientErrorOptions } from "./client-error.js";
export { type ClientCursorStore, createMemoryCursorStore } from "./cursor-store.js";
export type { ForwardedCopy, ForwardResult } from "./forward-waiters.js";
export { createImClient, ImClient } from "./im-client.js";
export type { ImClientEvents, TrimmedHistory } from "./im-client-events.js";
export type {
  ClientState,
  ConnectOptions,
  DeviceInfo,
  DisconnectInfo,
  ImClientOptions,
  SendOptions,
  SentResult,
} from "./im-client-options.js";
export {
  createLocalStorageCursorStore,
  type LocalStorageCursorStoreOptions,
  type StorageLike,
} from "./local-storage-cursor-store.js";
export type {
  WebSocketConstructor,
  WebSocketHandler,
  WebSocketLike,
} from "./websocket-like.js";
