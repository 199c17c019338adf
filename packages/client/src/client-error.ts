import type { ErrorCode } from "@lucky-im/protocol";

/** Options of {@link ImClientError}. */
export interface ImClientErrorOptions {
  /** The underlying error or close event. */
  cause?: unknown;
  /** The `cid` of the send this error is about, when there is one. */
  cid?: string;
  /** The WebSocket close code that caused it, when there is one. */
  closeCode?: number;
}

/**
 * The error type of the client. Like core's `ImError` it carries a protocol
 * {@link ErrorCode} in `code` and the `isImError` marker, so core's
 * `isImError(error)` / `hasErrorCode(error, code)` recognise it. Check errors by
 * `code`, not `instanceof` (a dual ESM/CJS install can load this class twice).
 *
 * @example
 * ```ts
 * try {
 *   await client.send({ type: "group", id: "42" }, { type: "text", text: "hi" });
 * } catch (error) {
 *   if ((error as ImClientError).code === "forbidden") showNotAMember();
 * }
 * ```
 */
export class ImClientError extends Error {
  /** The protocol error code (from the server's `error` frame, or chosen by the client). */
  readonly code: ErrorCode;
  /** The `cid` of the send this error is about, if any. */
  readonly cid: string | undefined;
  /** The WebSocket close code behind this error, if any. */
  readonly closeCode: number | undefined;
  /** Marks the object as a Lucky IM error across duplicated module instances. */
  readonly isImError = true as const;

  constructor(code: ErrorCode, message: string, options: ImClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ImClientError";
    this.code = code;
    this.cid = options.cid;
    this.closeCode = options.closeCode;
  }
}
