/**
 * The Lucky IM HTTP API (docs/protocol.md) as a package: mount it in Fastify
 * ({@link imHttpPlugin}), Express ({@link createImExpressMiddleware}) or any `node:http`
 * server ({@link createImHttpHandler}) under a prefix of your choice. One set of Fastify
 * routes serves all three.
 *
 * @packageDocumentation
 */
export { createImExpressMiddleware, type ImExpressMiddleware } from "./express.js";
export {
  clientErrorHandler,
  type ErrorBody,
  handleError,
  httpError,
  STATUS_OF,
  sendError,
  sendErrorStatus,
} from "./http-errors.js";
export {
  createImMetrics,
  type ImMetrics,
  type ImMetricsOptions,
  type PushCountListener,
} from "./metrics.js";
export {
  createImHttpHandler,
  type ImHttpHandler,
  type ImHttpHandlerOptions,
} from "./node-handler.js";
export {
  DEFAULT_LIMITS,
  type ImHttpFileAccess,
  type ImHttpLimits,
  type ImHttpOptions,
  type ImHttpRateLimiterFactory,
  type ImHttpRoutes,
  type ImHttpUser,
  type ImHttpUserDirectory,
} from "./options.js";
export { imHttpPlugin } from "./plugin.js";
export { bearerAuthenticator, oncePerRequest } from "./route-context.js";
export { registerMetricsRoute } from "./routes/ops-routes.js";
export {
  CONTENT_SECURITY_POLICY,
  type SecurityHeaderOptions,
  securityHeaders,
} from "./security-headers.js";
export { installValidators } from "./validation.js";
