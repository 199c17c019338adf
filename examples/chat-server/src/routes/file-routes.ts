import type { FastifyInstance } from "fastify";
import { isFileId } from "../files/local-disk-file-store.js";
import { httpError } from "../http-errors.js";
import { authenticateBeforeBody, type RouteContext, rejectOversizeBody } from "../route-context.js";
import { FileParams, UploadQuery } from "../schemas.js";

/** Where a stored file is served; its id is the unguessable part. */
export function fileUrl(fileId: string): string {
  return `/files/${fileId}`;
}

/** Types shown in the page (`<img>`, `<audio>`, `<video>`); anything else is downloaded. */
const INLINE = /^(image|audio|video)\//;

/** The base type of a Content-Type header, lower-cased, without parameters. */
function baseType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

/** `filename` (ASCII fallback) and `filename*` (UTF-8, RFC 5987) of a Content-Disposition. */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * `POST /files` (raw body of an allowed type, at most `maxFileBytes`) and
 * `GET /files/:fileId` (no token: the 128-bit random id is the capability).
 */
export async function registerFileRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { config, files } = ctx;
  const allowed = new Set(config.allowedFileTypes);

  // An encapsulated scope: the raw-body parsers apply to uploads only, JSON stays JSON elsewhere.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      [...allowed],
      { parseAs: "buffer", bodyLimit: config.maxFileBytes },
      (_request, body, done) => done(null, body),
    );

    scope.post<{ Querystring: UploadQuery }>(
      "/files",
      {
        bodyLimit: config.maxFileBytes,
        schema: { querystring: UploadQuery },
        // Before the body is read: a length over the limit, then the token.
        onRequest: [rejectOversizeBody(config.maxFileBytes), authenticateBeforeBody(ctx)],
      },
      async (request, reply) => {
        const userId = await ctx.authenticate(request);
        const mime = baseType(request.headers["content-type"]);
        const data = request.body;
        if (!Buffer.isBuffer(data)) {
          throw httpError(
            "bad_request",
            `send the file as the raw body with an allowed Content-Type`,
          );
        }
        if (!allowed.has(mime))
          throw httpError("bad_request", `content type ${mime} is not allowed`);
        if (data.length === 0) throw httpError("bad_request", "the file is empty");
        const stored = await files.put({
          name: request.query.name ?? "file",
          mime,
          ownerId: userId,
          data,
        });
        request.log.info({ fileId: stored.fileId, size: stored.size, mime }, "file stored");
        return reply.status(201).send({
          fileId: stored.fileId,
          url: fileUrl(stored.fileId),
          size: stored.size,
          mime: stored.mime,
        });
      },
    );
  });

  app.get<{ Params: FileParams }>(
    "/files/:fileId",
    { schema: { params: FileParams } },
    async (request, reply) => {
      const { fileId } = request.params;
      const found = isFileId(fileId) ? await files.get(fileId) : undefined;
      if (!found) throw httpError("not_found", "no such file");
      const { meta } = found;
      return (
        reply
          .type(meta.mime)
          .header("content-length", meta.size)
          .header(
            "content-disposition",
            disposition(INLINE.test(meta.mime) ? "inline" : "attachment", meta.name),
          )
          .header("x-content-type-options", "nosniff")
          // Even if a browser rendered it as a document, it could run nothing.
          .header("content-security-policy", "default-src 'none'; sandbox")
          .header("cache-control", "private, max-age=31536000, immutable")
          .send(found.open())
      );
    },
  );
}
