import { type ErrorCode, ImError, isImError } from "@lucky-im/core";

/** Prefix of every message this package produces. */
export const PREFIX = "[lucky-im] [auth]";

/** An {@link ImError} whose message names this package. */
export function authError(
  code: ErrorCode,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): ImError {
  return new ImError(code, `${PREFIX} ${message}`, options);
}

/** Passes an ImError through, wraps anything else as `code` (a store or network failure). */
export function wrapError(error: unknown, code: ErrorCode, message: string): ImError {
  if (isImError(error)) return error;
  return authError(code, message, { cause: error });
}
