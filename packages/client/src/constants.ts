/**
 * Runtime constants of the wire protocol, copied from `@lucky-im/core`
 * (`PROTOCOL_NAME`, `CloseCode`) so that the client's bundle never loads core,
 * which pulls in server-side dependencies. Keep them in step with
 * `packages/core/src/protocol/`.
 */

/** Sub-protocol offered on every connection. Copied from core's `PROTOCOL_NAME`. */
export const PROTOCOL_NAME = "lucky-im.v1";

/** Close codes the client reacts to. Copied from core's `CloseCode`. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooLarge: 1009,
  /** The server gave up on a client that read too slowly: reconnect with backoff and sync. */
  tooSlow: 4008,
  unauthorized: 4401,
  authTimeout: 4408,
  sessionReplaced: 4409,
  rateLimited: 4429,
} as const;

/** Default `maxPayload` of the protocol (64 KiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
