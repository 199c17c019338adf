import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { type ErrorBody, handleError, sendError } from "./http-errors.js";
import type { ImHttpOptions } from "./options.js";
import { imHttpPlugin } from "./plugin.js";

/** Set by {@link createImExpressMiddleware} on a request whose body a parser already read. */
export const PARSED_BODY: unique symbol = Symbol.for("lucky-im.http.parsedBody");
/** Set by {@link createImExpressMiddleware}: where a request no route matched goes on. */
export const NEXT_HANDLER: unique symbol = Symbol.for("lucky-im.http.next");

/** A request as the adapters hand it over. */
interface AdaptedRequest extends IncomingMessage {
  [PARSED_BODY]?: unknown;
  [NEXT_HANDLER]?: (error?: unknown) => void;
}

/** Options of {@link createImHttpHandler}. */
export interface ImHttpHandlerOptions extends ImHttpOptions {
  /**
   * The path the routes live under, as the request URL shows it (`"/im"` answers
   * `/im/conversations`). Requests outside it answer 404 in the error shape.
   * @default "" (the routes at the root)
   */
  prefix?: string;
  /**
   * Whether `X-Forwarded-For` names the client (behind one proxy you trust): per-address
   * limits then count the client, not the proxy.
   * @default false
   */
  trustProxy?: boolean;
  /** A pino-compatible logger for request lines and failures. @default no logging */
  logger?: FastifyBaseLogger;
}

/**
 * A `node:http` request handler serving the HTTP API, with a handle on its lifecycle.
 * Call it from your server's `request` listener for the requests under its prefix.
 */
export interface ImHttpHandler {
  /** Answers one request. */
  (req: IncomingMessage, res: ServerResponse): void;
  /** Settles when the routes are loaded (requests before wait for it); rejects on bad options. */
  readonly ready: Promise<void>;
  /** The Fastify instance behind it (for `inject()` in tests, or its hooks). */
  readonly fastify: FastifyInstance;
  /** Releases what the routes hold (the HTTP server and the engine are yours to close). */
  close(): Promise<void>;
}

/**
 * Builds a plain `node:http` handler from {@link imHttpPlugin}, through Fastify's
 * `serverFactory`: the same routes, validation, error shape and OpenAPI document as the
 * plugin, for servers that are not Fastify.
 *
 * @example
 * ```ts
 * const api = createImHttpHandler({ prefix: "/im", im, auth });
 * const server = createServer((req, res) => {
 *   if (req.url?.startsWith("/im/")) return api(req, res);
 *   res.end("my app");
 * });
 * ```
 */
export function createImHttpHandler(options: ImHttpHandlerOptions): ImHttpHandler {
  const { prefix = "", trustProxy = false, logger, ...pluginOptions } = options;
  let route: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    // Fastify hands us its request handler; the server it wants back is never listened on.
    serverFactory: (handler) => {
      route = handler;
      return createServer();
    },
    trustProxy,
    ...(logger ? { loggerInstance: logger } : {}),
    // Malformed URLs (`/%zz`) and the like, in the API's error shape.
    frameworkErrors: handleError,
  });
  app.setErrorHandler(handleError);
  // No API route: an Express app goes on to its own routes, the body still unread.
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const next = (request.raw as AdaptedRequest)[NEXT_HANDLER];
    if (request.is404 && next) {
      reply.hijack();
      next();
    }
  });
  app.setNotFoundHandler(async (request, reply) =>
    sendError(reply, "not_found", `no route ${request.method} ${request.url.split("?")[0]}`),
  );
  app.addHook("preParsing", async (request, _reply, payload) =>
    restoreParsedBody(request, payload),
  );
  app.register(imHttpPlugin, { ...pluginOptions, prefix });
  const ready: Promise<void> = Promise.resolve(app.ready()).then(() => undefined);
  // Reported through `ready` and to each request; never an unhandled rejection.
  ready.catch(() => {});
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    ready.then(
      () => route?.(req, res),
      () => {
        const body: ErrorBody = {
          error: { code: "internal", message: "the HTTP API failed to start" },
        };
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(body));
      },
    );
  };
  return Object.assign(handle, { ready, fastify: app, close: () => app.close() });
}

/**
 * A body an Express parser (`express.json()`, `express.raw()`, `express.text()`) already read
 * is given to Fastify again: JSON for a parsed object, as it was for a Buffer or a string.
 */
function restoreParsedBody(
  request: FastifyRequest,
  payload: NodeJS.ReadableStream,
): NodeJS.ReadableStream {
  const raw = request.raw as AdaptedRequest;
  if (!(PARSED_BODY in raw)) return payload;
  const parsed = raw[PARSED_BODY];
  const bytes = Buffer.isBuffer(parsed)
    ? parsed
    : Buffer.from(typeof parsed === "string" ? parsed : JSON.stringify(parsed ?? null));
  request.headers["content-length"] = String(bytes.length);
  return Readable.from([bytes]);
}
