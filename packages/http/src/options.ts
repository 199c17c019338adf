import type { FastifyHelmetOptions } from "@fastify/helmet";
import type { AuthService } from "@lucky-im/auth";
import type { ImServer, RateLimiter } from "@lucky-im/core";
import type { FileStore, UploadQuotaStore } from "@lucky-im/files";
import type { FastifyError, FastifyRequest } from "fastify";
import type { ImMetrics } from "./metrics.js";

/** A user as the routes show one: the id and the name people find them by. */
export interface ImHttpUser {
  /** The user's id (the same id the engine knows). */
  userId: string;
  /** The name shown next to the id in member and contact lists. */
  username: string;
}

/**
 * Where the routes look users up: group and contact routes refuse ids that are not users, and
 * show names next to ids. `@lucky-im/auth`'s `AuthService` is one.
 */
export interface ImHttpUserDirectory {
  /** The user with this id, or `undefined` when there is none. */
  getUser(userId: string): Promise<ImHttpUser | undefined>;
}

/**
 * Which parts of the API to mount. Each is on by default when what it needs is given
 * (`auth` routes need {@link ImHttpOptions.auth}, `files` need {@link ImHttpOptions.files},
 * `metrics` needs {@link ImHttpOptions.metrics} or {@link ImHttpOptions.metricsRegistry}... see
 * each); `false` leaves it out.
 */
export interface ImHttpRoutes {
  /** `/auth/*` and `/users/*` (register, login, refresh, logout, password). Needs `auth`. */
  auth?: boolean;
  /** `/conversations`, their history, settings and pins. @default true */
  conversations?: boolean;
  /** `/groups/*`: create, members, roles, mutes, avatars. @default true */
  groups?: boolean;
  /** Join settings, invite links, join requests and invitations. @default true */
  groupJoins?: boolean;
  /** `/contacts/*`, `/blocks/*` and `/me/privacy`. @default true */
  contacts?: boolean;
  /** `/profile`, `/profiles`, `/users/search`. @default true */
  profiles?: boolean;
  /** `GET /search` (message search). @default true */
  search?: boolean;
  /**
   * Account recovery and QR login: `/auth/recipient`, `/auth/password-reset`, `/auth/code-login`,
   * `/auth/qr`. Needs `auth`. @default true when `auth` is given
   */
  account?: boolean;
  /** `/admin/*` (admins only, see `im.admin`) and `POST /reports`. @default true */
  moderation?: boolean;
  /** `/files/*` (uploads and downloads). Needs `files` (and the `@lucky-im/files` package). */
  files?: boolean;
  /** `/healthz` and `/readyz`. @default true */
  health?: boolean;
  /** `GET /metrics` (Prometheus text). @default true when `metrics` or `metricsRegistry` is given */
  metrics?: boolean;
  /** `GET /openapi.json`: the OpenAPI 3 document of the mounted routes. @default true */
  openapi?: boolean;
}

/** The limits of the routes, each with a default. */
export interface ImHttpLimits {
  /** Largest JSON body, in bytes (413 `too_large` above). @default 65536 */
  bodyLimit: number;
  /** Longest group mute, in seconds. @default 2592000 (30 days) */
  maxGroupMuteSeconds: number;
  /** Largest upload, in bytes. @default 10485760 */
  maxFileBytes: number;
  /** Content types an upload may have (sniffed from its bytes). @default images, audio, video, PDF, zip, plain text */
  allowedFileTypes: readonly string[];
  /** Thumbnail edge, in pixels. @default 320 */
  thumbnailSize: number;
  /** Bytes a user may upload per day. @default 1073741824 */
  filesQuotaBytesPerDay: number;
  /** Files a user may upload per day. @default 500 */
  filesQuotaFilesPerDay: number;
  /** Seconds a redirected (presigned) download URL lives; 0 serves the bytes itself. @default 60 */
  filesRedirectSec: number;
  /**
   * Seconds after which an unfinished multipart or direct upload is purged (its staged bytes,
   * parts and record); every node checks now and then (a quarter of this, at most hourly).
   * 0 turns the purge off. @default 86400 (a day)
   */
  staleUploadSec: number;
  /** Registrations per client address per hour. @default 20 */
  registerLimitPerHour: number;
  /** Message searches per user per minute. @default 30 */
  searchLimitPerMinute: number;
  /** Server API requests (`/server/*`) per client address per minute, wrong keys included. @default 600 */
  serverApiLimitPerMinute: number;
  /** Largest body of a server API request, in bytes. @default 4194304 */
  serverApiBodyLimit: number;
}

/**
 * Members-only file access ({@link ImHttpOptions.fileAccess}): a file uploaded for a
 * conversation (`conversationId` on the upload) is served only to that conversation's members
 * and to its uploader; everyone else gets 404, as for a file that does not exist.
 */
export interface ImHttpFileAccess {
  /** `members`: the only mode besides the default capability URLs (no `fileAccess`). */
  mode: "members";
  /**
   * The HMAC key of signed download URLs (`GET /files/:fileId/url`), at least 32 bytes, the
   * same on every node. Changing it voids the URLs handed out.
   */
  secret: string;
  /** How long a signed download URL works, in seconds. @default 300 */
  urlTtlSeconds?: number;
}

/** Builds a rate limiter from a name, a budget and a window (the Redis or in-memory factory). */
export type ImHttpRateLimiterFactory = (spec: {
  /** The limiter's name (a key prefix). */
  name: string;
  /** Points per window. */
  points: number;
  /** The window, in milliseconds. */
  durationMs: number;
}) => RateLimiter;

/** Options of {@link imHttpPlugin}, {@link createImHttpHandler} and {@link createImExpressMiddleware}. */
export interface ImHttpOptions {
  /** The Lucky IM engine the routes call. */
  im: ImServer;
  /**
   * `@lucky-im/auth`'s service: mounts the auth routes, and is the default of `authenticate`
   * (the request's `Authorization: Bearer` access token) and of `users`. Create it with
   * `isSuspended: (id) => im.admin.suspensionOf(id).then(Boolean)` so that refresh, login by
   * code, QR login and password reset refuse a suspended user too (the bearer check and
   * `POST /auth/login` refuse them either way).
   */
  auth?: AuthService;
  /**
   * The user id of a request, from the application's own login (a session cookie, its own
   * tokens...). Reject with `ImError("unauthorized", ...)` (401) when there is none; any
   * other rejection answers 500. Called at most once per request. A user suspended or banned
   * through `im.admin` is refused with 403 `forbidden` whatever it answers.
   * @default the bearer access token checked by `auth`
   */
  authenticate?: (request: FastifyRequest) => Promise<string>;
  /**
   * Where user ids are looked up (groups and contacts refuse unknown ids and show names).
   * @default `auth`; without it every id is a user named by its id
   */
  users?: ImHttpUserDirectory;
  /** The file store: mounts `/files/*` and lets a profile take an uploaded avatar. */
  files?: FileStore;
  /** Which kind of store `files` is: S3 may redirect downloads to presigned URLs. @default "disk" */
  filesKind?: "s3" | "disk";
  /**
   * Who may download a file uploaded for a conversation. Unset: anyone who has its URL (the
   * random 128-bit id is the capability). `{ mode: "members", secret }`: only the
   * conversation's members and the uploader, with a bearer token or a short-lived signed URL
   * (`GET /files/:fileId/url`); see {@link ImHttpFileAccess}.
   * @default unset (capability URLs)
   */
  fileAccess?: ImHttpFileAccess;
  /**
   * Where the per-user upload quotas (`limits.filesQuotaBytesPerDay`, `filesQuotaFilesPerDay`)
   * are counted. The default counts in this process's memory, so with several nodes each
   * node allows the whole quota: a cluster passes one store every node shares (Redis
   * `INCRBY` on a day key, a SQL row), implementing its atomic `reserve`.
   * @default one in this process's memory (per node)
   */
  uploadQuotaStore?: UploadQuotaStore;
  /** Which parts to mount. */
  routes?: ImHttpRoutes;
  /** Limits; each has a default. */
  limits?: Partial<ImHttpLimits>;
  /**
   * Rate limiters of the routes (registrations per address, searches per user).
   * @default in-process limiters (use `@lucky-im/presence-redis` to share them across nodes)
   */
  rateLimiter?: ImHttpRateLimiterFactory;
  /**
   * The metrics `GET /metrics` renders: pass your own (from {@link createImMetrics}) to share
   * it, or a `metricsRegistry` to have them created in your registry.
   */
  metrics?: ImMetrics;
  /** A prom-client registry to register the metrics in, next to the application's own. */
  metricsRegistry?: import("prom-client").Registry;
  /**
   * When set, `GET /metrics` answers only `Authorization: Bearer <metricsToken>` (401 otherwise).
   * @default unset: no token needed (keep the route off public networks)
   */
  metricsToken?: string;
  /** True while the server drains: readiness answers 503. @default never */
  draining?: () => boolean;
  /**
   * Security headers through `@fastify/helmet`, for the mounted routes; `false` leaves them to
   * the application.
   * @default {@link securityHeaders}`()`
   */
  securityHeaders?: FastifyHelmetOptions | false;
  /** Called after `POST /auth/logout-all` (for example to forget the user's push devices). */
  onLogoutAll?: (userId: string) => unknown;
  /**
   * The key of the server API (`POST /server/messages`, `POST /server/broadcast`, docs/protocol.md
   * §14): the application's backend sends `Authorization: Bearer <key>`, never a user token.
   * Unset: the server API is not mounted.
   */
  serverApiKey?: string;
  /**
   * Called with every error answered 500 (`internal`) or 503 (`unavailable`), after it was
   * logged; the answer stays the documented error JSON.
   */
  onError?: (error: FastifyError | Error, request: FastifyRequest) => void;
}

/** The limits' defaults. */
export const DEFAULT_LIMITS: Readonly<ImHttpLimits> = Object.freeze({
  bodyLimit: 64 * 1024,
  maxGroupMuteSeconds: 2_592_000,
  maxFileBytes: 10 * 1024 * 1024,
  allowedFileTypes: Object.freeze([
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "audio/mpeg",
    "audio/ogg",
    "audio/webm",
    "audio/wav",
    "audio/mp4",
    "video/mp4",
    "video/webm",
    "application/pdf",
    "application/zip",
    "application/octet-stream",
    "text/plain",
  ]),
  thumbnailSize: 320,
  filesQuotaBytesPerDay: 1024 * 1024 * 1024,
  filesQuotaFilesPerDay: 500,
  filesRedirectSec: 60,
  staleUploadSec: 86_400,
  registerLimitPerHour: 20,
  searchLimitPerMinute: 30,
  serverApiLimitPerMinute: 600,
  serverApiBodyLimit: 4 * 1024 * 1024,
});
