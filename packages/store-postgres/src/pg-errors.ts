import { type ErrorCode, ImError, isImError } from "@lucky-im/core";

const PREFIX = "[lucky-im] [store-postgres]";

/** Node socket errors that mean "the server cannot be reached". */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** `pg` reports a lost connection with these messages and no code. */
const NETWORK_MESSAGES = [
  "Connection terminated",
  "connection error",
  "not queryable",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Connection ended",
];

/** A PostgreSQL SQLSTATE, if `error` carries one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // No SQLSTATE class starts with E; Node socket codes (EPIPE) do.
  return typeof code === "string" && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? code : undefined;
}

/** The constraint a PostgreSQL error names, if any. */
export function constraintOf(error: unknown): string | undefined {
  const c = (error as { constraint?: unknown } | null)?.constraint;
  return typeof c === "string" ? c : undefined;
}

/** True when the error means the server is down or the connection was lost. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  const state = sqlState(error);
  if (state) {
    // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now;
    // 53300: too many connections.
    return state.startsWith("08") || /^57P0[1-3]$/.test(state) || state === "53300";
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === "string" && NETWORK_MESSAGES.some((m) => message.includes(m))) {
    return true;
  }
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isConnectionError(cause);
}

/** True for transient conflicts worth retrying the whole transaction for. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40001" || state === "40P01";
}

function codeFor(error: unknown): ErrorCode {
  if (isConnectionError(error)) return "unavailable";
  const state = sqlState(error);
  if (!state) return "internal";
  if (state === "23505") return "conflict"; // unique_violation
  if (state === "23503") return "not_found"; // foreign_key_violation
  if (state === "54000") return "too_large"; // program_limit_exceeded (e.g. index row too big)
  if (state.startsWith("23") || state.startsWith("22")) return "bad_request";
  if (isRetryable(error) || state === "57014" || state.startsWith("53")) return "unavailable";
  return "internal";
}

/**
 * What a client may read about a failure of each code. PostgreSQL's own text (constraint
 * and table names, the offending bytes) stays in `cause`, for the logs only.
 */
const CLIENT_REASONS: Readonly<Record<ErrorCode, string>> = {
  bad_request: "the database refused a value",
  unauthorized: "not allowed",
  forbidden: "not allowed",
  not_found: "it refers to something that does not exist",
  conflict: "it conflicts with existing data",
  too_large: "a value is too large for the database",
  rate_limited: "too many requests",
  unavailable: "the database is unavailable",
  internal: "database error",
};

/**
 * Maps anything a query threw to an `ImError`: connection failures and a
 * server going down to `unavailable`, constraint violations to fitting codes,
 * the rest to `internal`. The message says what failed and why in general
 * terms (clients see it); the original error stays as `cause` (logs see it).
 */
export function toStoreError(error: unknown, what: string): ImError {
  if (isImError(error)) return error;
  const code = codeFor(error);
  return new ImError(code, `${PREFIX} ${what} failed: ${CLIENT_REASONS[code]}`, { cause: error });
}

/** An `ImError` of this package. */
export function storeError(code: ErrorCode, message: string, cause?: unknown): ImError {
  return new ImError(code, `${PREFIX} ${message}`, cause === undefined ? {} : { cause });
}

/** The innermost `cause` of an error chain (the socket or server error under the wrappers). */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10; depth += 1) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === current) break;
    current = cause;
  }
  return current;
}

/** `postgres://user@host:port/database` of a pool, never its password. */
export function poolTarget(pool: unknown): string {
  const o = (pool as { options?: Record<string, unknown> } | null)?.options ?? {};
  const fromUrl = typeof o.connectionString === "string" ? safeUrl(o.connectionString) : undefined;
  if (fromUrl) return fromUrl;
  const user = typeof o.user === "string" ? `${o.user}@` : "";
  return `postgres://${user}${String(o.host ?? "localhost")}:${String(o.port ?? 5432)}/${String(o.database ?? "")}`;
}

function safeUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    url.password = "";
    url.search = "";
    return url.toString();
  } catch {
    return undefined;
  }
}

/**
 * One line for an operator when PostgreSQL cannot be reached at startup: where (without the
 * password) and the error code; the `cause` is the socket's or server's own error, not the
 * wrappers around it, so a logger that appends causes prints
 * `cannot connect to PostgreSQL at postgres://u@host:5432/db (ECONNREFUSED): connect ECONNREFUSED ...`.
 */
export function cannotConnect(error: unknown, target: string): ImError {
  const root = rootCause(error);
  const code = (root as { code?: unknown } | null)?.code;
  const tag = typeof code === "string" ? ` (${code})` : "";
  return new ImError("unavailable", `${PREFIX} cannot connect to PostgreSQL at ${target}${tag}`, {
    cause: root,
  });
}
