/**
 * The error codes of the Lucky IM protocol. Every failure the SDK reports to a
 * client or to the host application carries one of them.
 */
export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "too_large"
  | "rate_limited"
  | "conflict"
  | "unavailable"
  | "internal";

/** Every error code, in protocol order. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "too_large",
  "rate_limited",
  "conflict",
  "unavailable",
  "internal",
];

/** Options of {@link ImError}. */
export interface ImErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Extra fields that are safe to show to the client (for example `cid`). */
  details?: Record<string, unknown>;
}

/**
 * The one error type of Lucky IM. It has a stable protocol {@link ErrorCode}
 * and keeps its `cause`.
 *
 * Check errors with {@link isImError} and `code`, not `instanceof`: a dual
 * ESM/CJS install can load this class twice.
 *
 * @example
 * ```ts
 * throw new ImError("forbidden", "[lucky-im] [core] not a member of g:42");
 * ```
 */
export class ImError extends Error {
  /** The protocol error code. */
  readonly code: ErrorCode;
  /** Extra fields that are safe to show to the client. */
  readonly details: Record<string, unknown> | undefined;
  /** Marks the object as an ImError across duplicated module instances. */
  readonly isImError = true as const;

  constructor(code: ErrorCode, message: string, options: ImErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ImError";
    this.code = code;
    this.details = options.details;
  }
}

/** True when `error` is an {@link ImError} (from any copy of this module). */
export function isImError(error: unknown): error is ImError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { isImError?: unknown }).isImError === true &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/** True when `error` is an {@link ImError} with the given code. */
export function hasErrorCode(error: unknown, code: ErrorCode): boolean {
  return isImError(error) && error.code === code;
}

/**
 * Wraps any thrown value into an {@link ImError}; an ImError passes through
 * unchanged, anything else becomes `code` (default `internal`) with the
 * original as `cause`.
 */
export function toImError(error: unknown, code: ErrorCode = "internal", message?: string): ImError {
  if (isImError(error)) return error;
  const text = message ?? (error instanceof Error ? error.message : String(error));
  return new ImError(code, text, { cause: error });
}
