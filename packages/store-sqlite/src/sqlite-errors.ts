import { type ErrorCode, ImError, isImError } from "@lucky-im/core";

const PREFIX = "[lucky-im] [store-sqlite]";

/** An `ImError` of this package. */
export function storeError(code: ErrorCode, message: string, cause?: unknown): ImError {
  return new ImError(code, `${PREFIX} ${message}`, cause === undefined ? {} : { cause });
}

/** The SQLite extended result code of a better-sqlite3 error (`SQLITE_BUSY`...), if any. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/**
 * Maps a driver error to an `ImError` (an `ImError` passes unchanged):
 * a locked or unreadable database file is `unavailable` (another process
 * holds the write lock past `busyTimeoutMs`, a full disk, a closed
 * connection), a constraint is `conflict`, anything else `internal`.
 */
export function toStoreError(error: unknown, what: string): ImError {
  if (isImError(error)) return error;
  const code = sqliteCode(error) ?? "";
  const text = error instanceof Error ? error.message : String(error);
  let mapped: ErrorCode = "internal";
  if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOTADB|CORRUPT)/.test(code)) {
    mapped = "unavailable";
  } else if (code.startsWith("SQLITE_CONSTRAINT")) {
    mapped = "conflict";
  } else if (error instanceof TypeError && /database connection is not open/.test(text)) {
    mapped = "unavailable";
  }
  return storeError(mapped, `${what}: ${text}`, error);
}
