import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { sendError } from "@lucky-im/http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RouteContext } from "../page-context.js";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** The file under `root` a URL path names, or undefined (no traversal, no dot-files, known types only). */
async function resolvePublicFile(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split("?")[0]!);
  } catch {
    return undefined;
  }
  const relative = decoded === "/" ? "index.html" : decoded.replace(/^\/+/, "");
  if (relative.includes("\0") || relative.split("/").some((part) => part.startsWith("."))) {
    return undefined;
  }
  const path = normalize(join(root, relative));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  if (!(extname(path).toLowerCase() in CONTENT_TYPES)) return undefined;
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function sendFile(reply: FastifyReply, path: string, cacheControl: string): FastifyReply {
  return reply
    .type(CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream")
    .header("cache-control", cacheControl)
    .send(createReadStream(path));
}

/**
 * The web page: `public/` at `/` (any file of a known type, `index.html` for
 * `/`), and the browser build of `@lucky-im/client` at `/client.js`. Every
 * other unknown route answers 404 in the API's error shape.
 */
export function registerStaticRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/client.js", async (_request, reply) => {
    const exists = await stat(ctx.clientBundlePath).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) {
      return sendError(
        reply,
        "not_found",
        "the browser client is not built: run `npm run build -w @lucky-im/client`",
      );
    }
    return sendFile(reply, ctx.clientBundlePath, "no-cache");
  });
  // The bundle names its source map relative to itself: `/lucky-im-client.js.map`.
  app.get("/lucky-im-client.js.map", async (_request, reply) => {
    const map = `${ctx.clientBundlePath}.map`;
    const exists = await stat(map).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) return sendError(reply, "not_found", "no source map");
    return sendFile(reply, map, "no-cache");
  });

  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === "GET" || request.method === "HEAD") {
      const path = await resolvePublicFile(ctx.publicDir, request.url);
      if (path) return sendFile(reply, path, "no-cache");
    }
    return sendError(reply, "not_found", `no route ${request.method} ${request.url.split("?")[0]}`);
  });
}
