import { Readable } from "node:stream";
import {
  createMemoryUploadQuotaStore,
  createUploadGuard,
  type FileMeta,
  FileStoreError,
  fileResponse,
  isFileId,
  PROCESSED_IMAGE_TYPES,
  processImage,
  UploadRejectedError,
} from "@lucky-im/files";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply } from "fastify";
import { httpError, sendErrorStatus } from "../http-errors.js";
import {
  authenticateBeforeBody,
  type FileRouteContext,
  rejectOversizeBody,
} from "../route-context.js";
import { FileParams, UploadQuery } from "../schemas.js";

/** Where a stored file is served; its id is the unguessable part. */
export function fileUrl(fileId: string): string {
  return `/files/${fileId}`;
}

/** The base type of a Content-Type header, lower-cased, without parameters. */
function baseType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

const NewUploadBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  mime: Type.String({ minLength: 1, maxLength: 255 }),
  size: Type.Integer({ minimum: 1 }),
});
const InstantBody = Type.Object({
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  mime: Type.String({ minLength: 1, maxLength: 255 }),
});
const UploadParams = Type.Object({ uploadId: Type.String({ minLength: 1, maxLength: 64 }) });
const PartParams = Type.Object({
  uploadId: Type.String({ minLength: 1, maxLength: 64 }),
  partNumber: Type.Integer({ minimum: 1, maximum: 10_000 }),
});
const CompleteBody = Type.Object({
  parts: Type.Array(
    Type.Object({
      partNumber: Type.Integer({ minimum: 1, maximum: 10_000 }),
      etag: Type.String({ minLength: 1, maxLength: 200 }),
    }),
    { minItems: 1, maxItems: 10_000 },
  ),
});

/** The answer to every successful upload. */
const stored = (meta: FileMeta) => ({
  fileId: meta.fileId,
  url: fileUrl(meta.fileId),
  size: meta.size,
  mime: meta.mime,
  sha256: meta.sha256,
});

/** A refused upload, as the protocol's error JSON (415 keeps code `bad_request`, 429 is `rate_limited`). */
function sendRejection(reply: FastifyReply, error: UploadRejectedError): FastifyReply {
  const code =
    error.code === "too_large"
      ? "too_large"
      : error.code === "quota_exceeded"
        ? "rate_limited"
        : "bad_request";
  if (error.code === "too_large") reply.header("connection", "close");
  return sendErrorStatus(reply, error.status, code, error.message);
}

/** A file store's refusal of bad input, as the protocol's error JSON. */
function asHttpError(error: unknown): unknown {
  if (!(error instanceof FileStoreError)) return error;
  return httpError(error.code === "not_found" ? "not_found" : "bad_request", error.message);
}

/**
 * The file routes (docs/protocol.md §11 Files): `POST /files` (raw body), `POST /files/instant`
 * (known bytes by hash), resumable multipart uploads under `/files/uploads`, direct uploads to
 * a presigned URL under `/files/direct` (S3), and `GET /files/:fileId` (no token: the 128-bit
 * random id is the capability) with Range, ETag and, on S3, a redirect to a presigned URL.
 */
export async function registerFileRoutes(
  app: FastifyInstance,
  ctx: FileRouteContext,
): Promise<void> {
  const { config, files } = ctx;
  const guard = createUploadGuard({
    allowedTypes: config.allowedFileTypes,
    maxBytes: config.maxFileBytes,
    quotaStore: createMemoryUploadQuotaStore(),
    quota: {
      bytesPerDay: config.filesQuotaBytesPerDay,
      filesPerDay: config.filesQuotaFilesPerDay,
    },
  });

  /** Checks bytes already stored (multipart, direct, instant); deletes the file when refused. */
  const checkStored = async (meta: FileMeta, ownerId: string): Promise<void> => {
    try {
      if (meta.size > guard.maxBytes) {
        throw new UploadRejectedError(
          "too_large",
          `a file can be at most ${guard.maxBytes} bytes`,
          413,
        );
      }
      const head = await files.get(meta.fileId, { start: 0, end: 4099 });
      const chunks: Buffer[] = [];
      for await (const chunk of head?.body ?? Readable.from([])) chunks.push(Buffer.from(chunk));
      await guard.checkContent({
        ownerId,
        name: meta.name,
        mime: meta.mime,
        size: meta.size,
        data: Buffer.concat(chunks),
      });
    } catch (error) {
      await files.delete(meta.fileId);
      throw error;
    }
  };

  const handleRejections = (reply: FastifyReply, error: unknown) => {
    if (error instanceof UploadRejectedError) return sendRejection(reply, error);
    throw asHttpError(error);
  };

  // An encapsulated scope: the raw-body parsers apply to uploads only, JSON stays JSON elsewhere.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: config.maxFileBytes },
      (_request, body, done) => done(null, body),
    );
    const beforeBody = {
      bodyLimit: config.maxFileBytes,
      // Before the body is read: a length over the limit, then the token.
      onRequest: [rejectOversizeBody(config.maxFileBytes), authenticateBeforeBody(ctx)],
    };

    scope.post<{ Querystring: UploadQuery }>(
      "/files",
      { ...beforeBody, schema: { querystring: UploadQuery } },
      async (request, reply) => {
        const userId = await ctx.authenticate(request);
        const mime = baseType(request.headers["content-type"]);
        const data = request.body;
        try {
          guard.checkDeclared({ mime });
          if (!Buffer.isBuffer(data)) {
            throw httpError(
              "bad_request",
              "send the file as the raw body with an allowed Content-Type",
            );
          }
          if (data.length === 0) throw httpError("bad_request", "the file is empty");
          const name = request.query.name ?? "file";
          await guard.checkContent({ ownerId: userId, name, mime, size: data.length, data });
          if (!PROCESSED_IMAGE_TYPES.includes(mime)) {
            const meta = await files.put({ name, mime, ownerId: userId, data });
            request.log.info({ fileId: meta.fileId, size: meta.size, mime }, "file stored");
            return reply.status(201).send(stored(meta));
          }
          // Images lose their EXIF (GPS position, camera) and get a thumbnail and dimensions.
          const image = await processImage(data, { thumbnailSize: config.thumbnailSize }).catch(
            () => {
              throw new UploadRejectedError(
                "type_mismatch",
                `the bytes are not a decodable ${mime}`,
                415,
              );
            },
          );
          const meta = await files.put({ name, mime, ownerId: userId, data: image.data });
          const thumb = await files.put({
            name: `${meta.name}.thumb.webp`,
            mime: "image/webp",
            ownerId: userId,
            data: image.thumbnail,
          });
          request.log.info({ fileId: meta.fileId, size: meta.size, mime }, "image stored");
          return reply.status(201).send({
            ...stored(meta),
            width: image.width,
            height: image.height,
            thumbnailUrl: fileUrl(thumb.fileId),
          });
        } catch (error) {
          return handleRejections(reply, error);
        }
      },
    );

    scope.put<{ Params: { uploadId: string; partNumber: number } }>(
      "/files/uploads/:uploadId/parts/:partNumber",
      { ...beforeBody, schema: { params: PartParams } },
      async (request, reply) => {
        await ctx.authenticate(request);
        const data = request.body;
        if (!Buffer.isBuffer(data) || data.length === 0) {
          throw httpError("bad_request", "send the part as the raw body");
        }
        try {
          return await files.uploadPart(request.params.uploadId, request.params.partNumber, data);
        } catch (error) {
          return handleRejections(reply, error);
        }
      },
    );
  });

  const authed = { onRequest: [authenticateBeforeBody(ctx)] };

  app.post<{ Body: { sha256: string; name: string; mime: string } }>(
    "/files/instant",
    { ...authed, schema: { body: InstantBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const { sha256, name } = request.body;
      const mime = baseType(request.body.mime);
      try {
        guard.checkDeclared({ mime });
        const meta = await files.putExisting({ sha256, name, mime, ownerId: userId });
        if (!meta) throw httpError("not_found", "no stored file has these bytes: upload them");
        await checkStored(meta, userId);
        return reply.status(201).send(stored(meta));
      } catch (error) {
        return handleRejections(reply, error);
      }
    },
  );

  app.post<{ Body: { name: string; mime: string; size: number } }>(
    "/files/uploads",
    { ...authed, schema: { body: NewUploadBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const mime = baseType(request.body.mime);
      try {
        guard.checkDeclared({ mime, size: request.body.size });
        const { uploadId } = await files.createUpload({
          name: request.body.name,
          mime,
          ownerId: userId,
        });
        return reply.status(201).send({ uploadId, maxPartBytes: config.maxFileBytes });
      } catch (error) {
        return handleRejections(reply, error);
      }
    },
  );

  app.get<{ Params: { uploadId: string } }>(
    "/files/uploads/:uploadId/parts",
    { ...authed, schema: { params: UploadParams } },
    async (request) => {
      await ctx.authenticate(request);
      try {
        return { parts: await files.listParts(request.params.uploadId) };
      } catch (error) {
        throw asHttpError(error);
      }
    },
  );

  app.post<{
    Params: { uploadId: string };
    Body: { parts: Array<{ partNumber: number; etag: string }> };
  }>(
    "/files/uploads/:uploadId/complete",
    { ...authed, schema: { params: UploadParams, body: CompleteBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      try {
        const meta = await files.completeUpload(request.params.uploadId, request.body.parts);
        await checkStored(meta, userId);
        return reply.status(201).send(stored(meta));
      } catch (error) {
        return handleRejections(reply, error);
      }
    },
  );

  app.delete<{ Params: { uploadId: string } }>(
    "/files/uploads/:uploadId",
    { ...authed, schema: { params: UploadParams } },
    async (request, reply) => {
      await ctx.authenticate(request);
      try {
        await files.abortUpload(request.params.uploadId);
      } catch (error) {
        throw asHttpError(error);
      }
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { name: string; mime: string; size: number } }>(
    "/files/direct",
    { ...authed, schema: { body: NewUploadBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const mime = baseType(request.body.mime);
      try {
        guard.checkDeclared({ mime, size: request.body.size });
        const upload = await files.createDirectUpload({
          name: request.body.name,
          mime,
          ownerId: userId,
          size: request.body.size,
        });
        return reply.status(201).send(upload);
      } catch (error) {
        if (error instanceof FileStoreError && error.code === "unsupported") {
          throw httpError(
            "bad_request",
            "direct uploads need S3 storage: use POST /files or /files/uploads",
          );
        }
        return handleRejections(reply, error);
      }
    },
  );

  app.post<{ Params: { uploadId: string } }>(
    "/files/direct/:uploadId/complete",
    { ...authed, schema: { params: UploadParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      try {
        const meta = await files.completeDirectUpload(request.params.uploadId);
        await checkStored(meta, userId);
        return reply.status(201).send(stored(meta));
      } catch (error) {
        return handleRejections(reply, error);
      }
    },
  );

  // HEAD is declared, not derived from GET: Fastify's derived HEAD answers Content-Length 0 to a stream-less reply.
  app.route<{ Params: FileParams }>({
    method: ["GET", "HEAD"],
    url: "/files/:fileId",
    schema: { params: FileParams },
    handler: async (request, reply) => {
      const { fileId } = request.params;
      if (!isFileId(fileId)) throw httpError("not_found", "no such file");
      const answer = await fileResponse(
        files,
        fileId,
        {
          method: request.method,
          range: request.headers.range,
          ifNoneMatch: request.headers["if-none-match"],
        },
        ctx.filesKind === "s3" && config.filesRedirectSec > 0
          ? { redirectSeconds: config.filesRedirectSec }
          : {},
      );
      reply.status(answer.status).headers(answer.headers);
      if (answer.error) {
        return sendErrorStatus(
          reply,
          answer.status,
          answer.status === 416 ? "bad_request" : "not_found",
          answer.error.message,
        );
      }
      // No payload for HEAD, 302 and 304: Fastify then keeps the Content-Length of a HEAD.
      return reply.send(answer.body);
    },
  });
}
