import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import { ConfigError, createMemoryRateLimiter } from "@lucky-im/core";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { handleError, sendError } from "./http-errors.js";
import { createImMetrics, type ImMetrics } from "./metrics.js";
import {
  DEFAULT_LIMITS,
  type ImHttpLimits,
  type ImHttpOptions,
  type ImHttpRateLimiterFactory,
  type ImHttpUserDirectory,
} from "./options.js";
import {
  bearerAuthenticator,
  oncePerRequest,
  type RouteContext,
  refusingSuspended,
} from "./route-context.js";
import { registerAccountRoutes } from "./routes/account-routes.js";
import { registerAdminRoutes } from "./routes/admin-routes.js";
import { registerAuthRoutes } from "./routes/auth-routes.js";
import { registerContactRoutes } from "./routes/contact-routes.js";
import { registerConversationRoutes, registerPinRoutes } from "./routes/conversation-routes.js";
import { registerGroupJoinRoutes } from "./routes/group-join-routes.js";
import { registerGroupProfileRoutes } from "./routes/group-profile-routes.js";
import { registerGroupRoutes } from "./routes/group-routes.js";
import { registerMetricsRoute, registerOpsRoutes } from "./routes/ops-routes.js";
import { registerProfileRoutes } from "./routes/profile-routes.js";
import { registerReportRoutes } from "./routes/report-routes.js";
import { registerSearchRoutes } from "./routes/search-routes.js";
import { registerServerSendRoutes } from "./routes/server-send-routes.js";
import { securityHeaders } from "./security-headers.js";
import { installValidators } from "./validation.js";

/** Without a user directory, every id is a user named by its id. */
const EVERY_ID_IS_A_USER: ImHttpUserDirectory = {
  getUser: async (userId) => ({ userId, username: userId }),
};

/** In-process limiters, one per name. */
const inProcessLimiters: ImHttpRateLimiterFactory = ({ name, points, durationMs }) =>
  createMemoryRateLimiter({ points, durationMs, keyPrefix: name });

/** A wrong combination of options: thrown when the plugin loads. */
function optionError(message: string, option: string): ConfigError {
  return new ConfigError("http", message, { option });
}

/**
 * The Lucky IM HTTP API (docs/protocol.md) as a Fastify plugin: mount it under a prefix of
 * your choice. It runs in its own encapsulated context: its validators (the routes' TypeBox
 * schemas), its error handler (every error answers `{ error: { code, message } }`), its body
 * limit, its security headers and its `GET /openapi.json` apply to its routes only.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(imHttpPlugin, { prefix: "/im", im, auth });
 * // POST /im/auth/login, GET /im/conversations, GET /im/openapi.json ...
 * ```
 */
export const imHttpPlugin: FastifyPluginAsync<ImHttpOptions> = async (app, options) => {
  const limits: ImHttpLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const routes = options.routes ?? {};
  const { im, auth } = options;
  if (routes.auth === true && auth === undefined) {
    throw optionError(
      "routes.auth needs the `auth` option (an AuthService of @lucky-im/auth)",
      "auth",
    );
  }
  if (routes.files === true && options.files === undefined) {
    throw optionError(
      "routes.files needs the `files` option (a FileStore of @lucky-im/files)",
      "files",
    );
  }
  const { fileAccess } = options;
  if (fileAccess !== undefined) {
    if (fileAccess.mode !== "members") {
      throw optionError(
        'fileAccess.mode must be "members" (leave fileAccess out for capability URLs)',
        "fileAccess.mode",
      );
    }
    if (typeof fileAccess.secret !== "string" || Buffer.byteLength(fileAccess.secret) < 32) {
      throw optionError("fileAccess.secret needs at least 32 bytes", "fileAccess.secret");
    }
    const ttl = fileAccess.urlTtlSeconds;
    if (ttl !== undefined && !(Number.isSafeInteger(ttl) && ttl > 0)) {
      throw optionError(
        "fileAccess.urlTtlSeconds must be a positive integer",
        "fileAccess.urlTtlSeconds",
      );
    }
  }
  let authenticate: RouteContext["authenticate"];
  // A suspended user is refused on every route, whoever authenticates the request.
  if (options.authenticate) {
    authenticate = oncePerRequest(refusingSuspended(options.authenticate, im));
  } else if (auth) authenticate = bearerAuthenticator(auth, im);
  else throw optionError("give `authenticate(request)` or `auth` (an AuthService)", "authenticate");

  const rateLimiter = options.rateLimiter ?? inProcessLimiters;
  const ctx: RouteContext = {
    config: limits,
    im,
    auth: options.users ?? auth ?? EVERY_ID_IS_A_USER,
    ...(options.files ? { files: options.files } : {}),
    filesKind: options.filesKind ?? "disk",
    ...(fileAccess ? { fileAccess } : {}),
    ...(options.uploadQuotaStore ? { uploadQuotaStore: options.uploadQuotaStore } : {}),
    registerLimiter: rateLimiter({
      name: "http_register_ip",
      points: limits.registerLimitPerHour,
      durationMs: 3_600_000,
    }),
    searchLimiter: rateLimiter({
      name: "http_search_user",
      points: limits.searchLimitPerMinute,
      durationMs: 60_000,
    }),
    draining: options.draining ?? (() => false),
    ...(options.onLogoutAll ? { onLogoutAll: options.onLogoutAll } : {}),
    authenticate,
  };

  installBasics(app, options, limits);
  if (options.securityHeaders !== false) {
    await app.register(helmet, options.securityHeaders ?? securityHeaders());
  }
  const openapi = routes.openapi ?? true;
  if (openapi) {
    await app.register(swagger, {
      openapi: {
        openapi: "3.0.3",
        info: {
          title: "Lucky IM HTTP API",
          version: "1",
          description:
            "The HTTP API of docs/protocol.md; errors answer { error: { code, message } }.",
        },
        components: {
          securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
        },
      },
    });
  }

  if (routes.health ?? true) registerOpsRoutes(app, ctx);
  const metrics = metricsOf(options);
  if (routes.metrics ?? (metrics !== undefined || options.metricsToken !== undefined)) {
    registerMetricsRoute(app, metrics ?? createImMetrics(im), options.metricsToken);
  }
  if (auth && (routes.auth ?? true)) registerAuthRoutes(app, { ...ctx, auth });
  if (auth && (routes.account ?? true)) registerAccountRoutes(app, { ...ctx, auth });
  if (routes.groups ?? true) {
    registerGroupRoutes(app, ctx);
    registerGroupProfileRoutes(app, ctx);
  }
  if (routes.groupJoins ?? true) registerGroupJoinRoutes(app, ctx);
  if (routes.contacts ?? true) registerContactRoutes(app, ctx);
  if (routes.conversations ?? true) {
    registerConversationRoutes(app, ctx);
    registerPinRoutes(app, ctx);
  }
  if (routes.profiles ?? true) registerProfileRoutes(app, ctx);
  if (routes.search ?? true) registerSearchRoutes(app, ctx);
  if (routes.moderation ?? true) {
    registerAdminRoutes(app, { ...ctx, ...(auth ? { authService: auth } : {}) });
    registerReportRoutes(app, ctx);
  }
  if (options.serverApiKey !== undefined) {
    const { serverApiLimitPerMinute, serverApiBodyLimit } = limits;
    const config = {
      serverApiKey: options.serverApiKey,
      serverApiLimitPerMinute,
      serverApiBodyLimit,
    };
    registerServerSendRoutes(app, { im, config }, rateLimiter);
  }
  const files = options.files;
  if (files && (routes.files ?? true)) {
    // The file routes import @lucky-im/files (an optional peer): loaded only when mounted.
    const { registerFileRoutes } = await import("./routes/file-routes.js");
    await registerFileRoutes(app, { ...ctx, files });
  }

  if (openapi) {
    app.get("/openapi.json", { schema: { hide: true }, logLevel: "warn" }, async () =>
      app.swagger(),
    );
  }
};

/** The metrics to render: given, or created in the given registry. */
function metricsOf(options: ImHttpOptions): ImMetrics | undefined {
  if (options.metrics) return options.metrics;
  if (options.metricsRegistry) {
    return createImMetrics(options.im, { registry: options.metricsRegistry });
  }
  return undefined;
}

/** Validators, the error shape, a not-found answer under a prefix, and the body limit. */
function installBasics(app: FastifyInstance, options: ImHttpOptions, limits: ImHttpLimits): void {
  installValidators(app);
  const { onError } = options;
  app.setErrorHandler((error: Error, request, reply) => {
    const answered = handleError(error, request, reply);
    if (onError && reply.statusCode >= 500) onError(error, request);
    return answered;
  });
  // At the root (no prefix) the application keeps its own not-found answer.
  if (app.prefix !== "" && app.prefix !== "/") {
    app.setNotFoundHandler(async (request, reply) =>
      sendError(reply, "not_found", `no route ${request.method} ${request.url.split("?")[0]}`),
    );
  }
  // Every route of the API takes JSON bodies up to the limit (uploads set their own).
  app.addHook("onRoute", (route) => {
    route.bodyLimit ??= limits.bodyLimit;
  });
}
