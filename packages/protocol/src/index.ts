/**
 * @packageDocumentation
 * The Lucky IM wire protocol v1, shared by the server (`@lucky-im/core`) and the client
 * (`@lucky-im/client`): the sub-protocol name, the frame schemas (TypeBox) and their types, the
 * server's frame decoder, the error codes and {@link ImError}, the WebSocket close codes, the JSON
 * limits and the reconnect backoff. The constants, error codes and types load no TypeBox: a browser
 * bundle that uses only them stays small (the schemas and the decoder are separate modules).
 * docs/protocol.md is the normative description.
 */

export { backoffDelay } from "./backoff.js";
export {
  CAPABILITIES,
  CAPABILITY_ACK_BATCH,
  CAPABILITY_RECEIPT_BATCH,
  CAPABILITY_SENT_BATCH,
} from "./capabilities.js";
export { CloseCode, type CloseCodeValue } from "./close-codes.js";
export { type DecodeResult, decodeClientFrame, encodeFrame, errorFrame } from "./codec.js";
export * from "./errors.js";
export {
  DEFAULT_JSON_LIMITS,
  exceedsBytes,
  isIllFormed,
  type JsonLimits,
  jsonDepth,
} from "./json-limits.js";
export * from "./schemas.js";
export { SYSTEM_SENDER_ID } from "./system-sender.js";
export { PROTOCOL_NAME } from "./version.js";
