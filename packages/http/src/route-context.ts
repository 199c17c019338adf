import type { AuthService } from "@lucky-im/auth";
import type { ImServer, RateLimiter } from "@lucky-im/core";
import type { FileStore, UploadQuotaStore } from "@lucky-im/files";
import type { FastifyReply, FastifyRequest } from "fastify";
import { httpError } from "./http-errors.js";
import type { ImHttpFileAccess, ImHttpLimits, ImHttpUserDirectory } from "./options.js";

/**
 * What the route modules share.
 * @internal
 */
export interface RouteContext {
  /** The limits, defaults filled in. */
  config: ImHttpLimits;
  im: ImServer;
  /** Where user ids are looked up (the auth routes get the whole `AuthService`). */
  auth: ImHttpUserDirectory;
  /** The file store, when files are mounted. */
  files?: FileStore;
  /** Which storage holds the files: S3 can redirect downloads to presigned URLs. */
  filesKind: "s3" | "disk";
  /** Members-only file access, when configured (else capability URLs). */
  fileAccess?: ImHttpFileAccess;
  /** Where upload quotas are counted, when the application shares one between nodes. */
  uploadQuotaStore?: UploadQuotaStore;
  /** Limits registrations per client IP. */
  registerLimiter: RateLimiter;
  /** Limits searches per user (`GET /search`). */
  searchLimiter: RateLimiter;
  /** True while the server drains (readiness answers 503). */
  draining(): boolean;
  /** Called after `POST /auth/logout-all`. */
  onLogoutAll?(userId: string): unknown;
  /**
   * The user of the request (by default its `Authorization: Bearer` token); rejects with
   * `unauthorized`. Checked once per request: an `onRequest` hook ({@link authenticateBeforeBody})
   * and the handler share the answer.
   */
  authenticate(request: FastifyRequest): Promise<string>;
}

/** The context of the auth routes: the whole auth service. @internal */
export type AuthRouteContext = RouteContext & { auth: AuthService };

/** The context of the file routes: a file store. @internal */
export type FileRouteContext = RouteContext & { files: FileStore };

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

/**
 * An `authenticate` function over `@lucky-im/auth`'s service: the request's
 * `Authorization: Bearer <accessToken>`, checked once per request (401 `unauthorized` when
 * missing or invalid). With the engine, a suspended or banned user's token is refused with
 * 403 `forbidden` ("this account is suspended"), as their WebSocket is with 4403: the
 * engine's suspension cache answers (`caches.suspension.ttlMs`), not a store read per request.
 *
 * @param auth - verifies the access token
 * @param im - the engine whose suspensions are enforced (`im.admin.suspensionOf`); without it, none are
 */
export function bearerAuthenticator(
  auth: Pick<AuthService, "authenticator">,
  im?: Pick<ImServer, "admin">,
): (request: FastifyRequest) => Promise<string> {
  const verify = async (request: FastifyRequest): Promise<string> => {
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
  return oncePerRequest(im ? refusingSuspended(verify, im) : verify);
}

/**
 * Wraps an `authenticate` function so that a suspended or banned user is refused with 403
 * `forbidden` (the engine's cached `im.admin.suspensionOf`). A failed lookup fails the request
 * (503): access is not granted when the answer is unknown.
 */
export function refusingSuspended(
  authenticate: (request: FastifyRequest) => Promise<string>,
  im: Pick<ImServer, "admin">,
): (request: FastifyRequest) => Promise<string> {
  return async (request) => {
    const userId = await authenticate(request);
    if (await im.admin.suspensionOf(userId)) {
      throw httpError("forbidden", "this account is suspended");
    }
    return userId;
  };
}

/** Wraps an `authenticate` function so a request is checked once, whoever asks. */
export function oncePerRequest(
  check: (request: FastifyRequest) => Promise<string>,
): (request: FastifyRequest) => Promise<string> {
  const checked = new WeakMap<FastifyRequest, Promise<string>>();
  return (request) => {
    let userId = checked.get(request);
    if (!userId) {
      userId = check(request);
      checked.set(request, userId);
    }
    return userId;
  };
}
