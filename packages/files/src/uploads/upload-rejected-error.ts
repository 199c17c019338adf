/** Why an upload was refused. */
export type UploadRejectedCode =
  | "too_large"
  | "type_not_allowed"
  | "type_mismatch"
  | "quota_exceeded"
  | "rejected";

/** The error {@link UploadGuard} checks throw; `status` is the HTTP status to answer with. */
export class UploadRejectedError extends Error {
  /** What was wrong. */
  readonly code: UploadRejectedCode;
  /** 413, 415 or 429 (400 for `rejected` by a `beforeStore` hook, unless it says otherwise). */
  readonly status: number;

  /** Makes an error with a code, a message for people and an HTTP status. */
  constructor(code: UploadRejectedCode, message: string, status: number) {
    super(message);
    this.name = "UploadRejectedError";
    this.code = code;
    this.status = status;
  }
}
