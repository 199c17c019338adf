import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { type ErrorCode, ImError, isImError } from "@lucky-im/core";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** The HTTP status of each protocol error code. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = Object.freeze({
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
});

/** The body of every error answer: `{ error: { code, message } }`. */
export interface ErrorBody {
  /** What went wrong. */
  error: {
    /** The protocol's error code (its HTTP status: {@link STATUS_OF}). */
    code: ErrorCode;
    /** A sentence for people; never a stack or an internal detail. */
    message: string;
    /** Why a join link or ticket was refused (`expired`, `revoked`, `used_up`, ...). */
    reason?: string;
  };
}

/** The protocol code of an HTTP status Fastify chose itself (bad JSON, body too large, ...). */
function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 413) return "too_large";
  if (status === 429) return "rate_limited";
  if (status === 503) return "unavailable";
  if (status >= 400 && status < 500) return "bad_request";
  return "internal";
}

/** Protocol errors carry "[lucky-im] [pkg]" prefixes meant for logs; clients get the sentence. */
function clientMessage(message: string): string {
  return message.replace(/^(\[[^\]]+\]\s*)+/, "");
}

/** Sends `{ error: { code, message } }` with the status of `code`. */
export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  reason?: string,
): FastifyReply {
  const body: ErrorBody = { error: { code, message, ...(reason !== undefined && { reason }) } };
  return reply.status(STATUS_OF[code]).type("application/json; charset=utf-8").send(body);
}

/** Sends `{ error: { code, message } }` with a status of its own (414, 415, 431 ...). */
export function sendErrorStatus(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
): FastifyReply {
  const body: ErrorBody = { error: { code, message } };
  return reply.status(status).type("application/json; charset=utf-8").send(body);
}

/**
 * Answers what Node's HTTP parser refused before Fastify saw a request (a head over
 * `maxHeaderSize`, a malformed request line) in the API's error shape, then closes.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  let status = 400;
  const code: ErrorCode = "bad_request";
  let message = "malformed HTTP request";
  if (error.code === "HPE_HEADER_OVERFLOW") {
    status = 431;
    message = "the request head (URL and headers) is too large";
  } else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    status = 408;
    message = "the request took too long";
  } else if (error.code === "HPE_URI_TOO_LONG") {
    status = 414;
    message = "the URL is too long";
  }
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Fastify's error handler: an `ImError` answers with its code's status,
 * a validation failure with 400 `bad_request`, Fastify's own errors with
 * their status; anything else is logged and answered 500 `internal` without
 * details.
 */
export function handleError(
  error: FastifyError | ImError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isImError(error)) {
    if (error.code === "internal" || error.code === "unavailable") {
      request.log.error({ err: error }, "request failed");
    }
    const message = error.code === "internal" ? "internal error" : clientMessage(error.message);
    if (error.code === "unauthorized") reply.header("www-authenticate", "Bearer");
    // Limits (rate limits, a full password-hash pool) say when to come back.
    const retryAfterMs = error.details?.retryAfterMs;
    if (
      (error.code === "rate_limited" || error.code === "unavailable") &&
      typeof retryAfterMs === "number"
    ) {
      reply.header("retry-after", Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
    // Why a join link or ticket was refused (expired, revoked, used_up, ...).
    const reason = error.details?.reason;
    return sendError(reply, error.code, message, typeof reason === "string" ? reason : undefined);
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return sendError(reply, "bad_request", fastifyError.message);
  }
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return reply
      .status(status)
      .type("application/json; charset=utf-8")
      .send({ error: { code: codeOfStatus(status), message: fastifyError.message } });
  }
  request.log.error({ err: error }, "request failed");
  return sendError(reply, "internal", "internal error");
}

/** Shorthand for throwing a protocol error from a route. */
export function httpError(code: ErrorCode, message: string): ImError {
  return new ImError(code, message);
}
