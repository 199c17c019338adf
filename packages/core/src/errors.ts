// The error codes and ImError are part of the wire protocol, in @lucky-im/protocol; this path stays so engine imports keep working.
export {
  ERROR_CODES,
  type ErrorCode,
  hasErrorCode,
  ImError,
  type ImErrorOptions,
  isImError,
  toImError,
} from "@lucky-im/protocol";
