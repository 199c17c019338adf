// The wire protocol lives in @lucky-im/protocol (shared with the client); this path stays so engine imports keep working.
export {
  DEFAULT_JSON_LIMITS,
  type DecodeResult,
  decodeClientFrame,
  encodeFrame,
  errorFrame,
} from "@lucky-im/protocol";
