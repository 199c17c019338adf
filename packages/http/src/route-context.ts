import type { AuthService } from "@lucky-im/auth";
import type { ImServer, RateLimiter } from "@lucky-im/core";
import type { FileStore } from "@lucky-im/files";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ChatServerConfig } from "./config.js";
import { httpError } from "./http-errors.js";
import type { ChatMetrics } from "./metrics.js";
import type { ChatPush } from "./push.js";

/** What the route modules share. */
export interface RouteContext {
  config: ChatServerConfig;
  im: ImServer;
  auth: AuthService;
  files: FileStore;
  /** Which storage holds the files: S3 can redirect downloads to presigned URLs. */
  filesKind: "s3" | "disk";
  metrics: ChatMetrics;
  /** Limits registrations per client IP. */
  registerLimiter: RateLimiter;
  /** Limits searches per user (`GET /search`). */
  searchLimiter: RateLimiter;
  /** Push notifications: the device registry and what is on. */
  push: ChatPush;
  /** Limits push device registrations per user. */
  pushDeviceLimiter: RateLimiter;
  /** The page's folder. */
  publicDir: string;
  /** The single-file browser build of `@lucky-im/client`. */
  clientBundlePath: string;
  /** True while the server drains (readiness answers 503). */
  draining(): boolean;
  /**
   * The user of the request's `Authorization: Bearer` token; rejects with `unauthorized`.
   * Checked once per request: an `onRequest` hook ({@link authenticateBeforeBody}) and the
   * handler share the answer.
   */
  authenticate(request: FastifyRequest): Promise<string>;
}

/**
 * An `onRequest` hook for routes with a body: the token is checked before a byte of the
 * body is read, so an anonymous client cannot make the server buffer uploads it will refuse.
 * The answer also closes the connection: Node would otherwise read the unwanted body to its end.
 */
export function authenticateBeforeBody(
  ctx: Pick<RouteContext, "authenticate">,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    try {
      await ctx.authenticate(request);
    } catch (error) {
      if (hasBody(request)) reply.header("connection", "close");
      throw error;
    }
  };
}

/**
 * An `onRequest` hook refusing with 413 `too_large` a body whose `Content-Length` exceeds
 * `maxBytes`, before reading it (a body without a length is cut by Fastify's `bodyLimit`).
 */
export function rejectOversizeBody(
  maxBytes: number,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const length = Number(request.headers["content-length"]);
    if (Number.isFinite(length) && length > maxBytes) {
      reply.header("connection", "close");
      throw httpError("too_large", `the body is larger than ${maxBytes} bytes`);
    }
  };
}

/** Whether the request announces a body (a length above 0, or chunked). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return (
    (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined
  );
}

/** Builds {@link RouteContext.authenticate} over the auth service's authenticator. */
export function bearerAuthenticator(
  auth: AuthService,
): (request: FastifyRequest) => Promise<string> {
  const checked = new WeakMap<FastifyRequest, Promise<string>>();
  const check = async (request: FastifyRequest): Promise<string> => {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw httpError("unauthorized", "missing Authorization: Bearer <accessToken>");
    try {
      return (await auth.authenticator.authenticate(match[1]!)).userId;
    } catch (error) {
      if ((error as { code?: unknown }).code === "unavailable") throw error;
      throw httpError("unauthorized", "invalid or expired access token");
    }
  };
  return (request) => {
    let userId = checked.get(request);
    if (!userId) {
      userId = check(request);
      checked.set(request, userId);
    }
    return userId;
  };
}
