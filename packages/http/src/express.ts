import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createImHttpHandler,
  type ImHttpHandler,
  type ImHttpHandlerOptions,
  NEXT_HANDLER,
  PARSED_BODY,
} from "./node-handler.js";

/**
 * The request fields of Express the middleware reads (it takes any `IncomingMessage`):
 * `originalUrl`, the URL before Express stripped the mount path, and `body`, what a body
 * parser put there.
 */
type ExpressLikeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/**
 * An Express (4 or 5) middleware serving the HTTP API, with the handler's lifecycle.
 * Requests outside {@link ImHttpHandlerOptions.prefix} go on to the next middleware; under it,
 * a path no API route matches answers 404 in the error shape. With no prefix, requests no API
 * route matches go on to the next middleware (their body unread).
 */
export interface ImExpressMiddleware {
  /** The middleware. */
  (
    req: IncomingMessage & { originalUrl?: string; body?: unknown },
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void;
  /** The `node:http` handler it calls. */
  readonly handler: ImHttpHandler;
  /** Settles when the routes are loaded. */
  readonly ready: Promise<void>;
  /** Releases what the routes hold. */
  close(): Promise<void>;
}

/**
 * Mounts the HTTP API in an Express app, on the handler of {@link createImHttpHandler}.
 * Mount it with `app.use(middleware)` or `app.use(prefix, middleware)`: it reads the whole URL
 * (`originalUrl`) either way, so `prefix` is the path the client sees.
 *
 * A body an Express parser already read (`express.json()` before it) is handed over as
 * parsed (re-encoded as JSON) and validated like any other; the API's own body limit still
 * applies to the re-encoded body. Mounting it before the parsers avoids the detour.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(createImExpressMiddleware({ prefix: "/im", im, authenticate }));
 * app.use(express.json());
 * ```
 */
export function createImExpressMiddleware(options: ImHttpHandlerOptions): ImExpressMiddleware {
  const handler = createImHttpHandler(options);
  const prefix = (options.prefix ?? "").replace(/\/$/, "");
  const middleware = (
    req: ExpressLikeRequest,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void => {
    const url = req.originalUrl ?? req.url ?? "/";
    const path = url.split("?")[0]!;
    if (prefix !== "" && path !== prefix && !path.startsWith(`${prefix}/`)) {
      next();
      return;
    }
    req.url = url;
    const adapted = req as ExpressLikeRequest & {
      [PARSED_BODY]?: unknown;
      [NEXT_HANDLER]?: (error?: unknown) => void;
      _body?: boolean;
    };
    // body-parser marks what it read with `_body`; any other reader ended the stream.
    if (adapted.body !== undefined && (adapted._body === true || req.readableEnded)) {
      adapted[PARSED_BODY] = adapted.body;
    }
    // Without a prefix the API owns no path of its own: what it does not know is the app's.
    if (prefix === "") adapted[NEXT_HANDLER] = next;
    handler(req as IncomingMessage, res);
  };
  return Object.assign(middleware, {
    handler,
    ready: handler.ready,
    close: () => handler.close(),
  });
}
