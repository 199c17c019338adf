import { Readable } from "node:stream";
import { checkOption } from "@lucky-im/core";
import {
  createFileUrlSigner,
  createMemoryUploadQuotaStore,
  createUploadGuard,
  type FileMeta,
  type FileStore,
  FileStoreError,
  fileResponse,
  isFileId,
  mediaDuration,
  PROCESSED_IMAGE_TYPES,
  processImage,
  UploadRejectedError,
} from "@lucky-im/files";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { httpError, sendErrorStatus } from "../http-errors.js";
import {
  authenticateBeforeBody,
  type FileRouteContext,
  rejectOversizeBody,
} from "../route-context.js";
import { FileParams, FileQuery, UploadConversationId, UploadQuery } from "../schemas.js";
import { isConversationMember } from "./conversation-membership.js";

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
  conversationId: UploadConversationId,
});
type NewUploadBody = { name: string; mime: string; size: number; conversationId?: string };
const InstantBody = Type.Object({
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  mime: Type.String({ minLength: 1, maxLength: 255 }),
  conversationId: UploadConversationId,
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

/** JSON Schema of the answer to a successful upload (documents it in the OpenAPI document). */
const StoredFile = Type.Object({
  fileId: Type.String(),
  url: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  mime: Type.String(),
  sha256: Type.String(),
  conversationId: Type.Optional(Type.String()),
  width: Type.Optional(Type.Integer({ minimum: 0, description: "An image's width in pixels" })),
  height: Type.Optional(Type.Integer({ minimum: 0, description: "An image's height in pixels" })),
  thumbnailUrl: Type.Optional(Type.String({ description: "An image's WebP thumbnail" })),
  durationMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: "An audio or video file's duration in milliseconds, when its headers say",
    }),
  ),
});
const storedResponse = { 201: StoredFile };

/** The answer to every successful upload. */
const stored = (meta: FileMeta) => ({
  fileId: meta.fileId,
  url: fileUrl(meta.fileId),
  size: meta.size,
  mime: meta.mime,
  sha256: meta.sha256,
  ...(meta.conversationId !== undefined ? { conversationId: meta.conversationId } : {}),
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
 * Purges uploads left unfinished for `staleSec` (abandoned multipart or direct uploads keep
 * staged bytes otherwise), every quarter of that and at most hourly, until the app closes.
 * Several nodes may purge at once: forgetting an upload twice is harmless.
 */
function purgeStaleUploadsNowAndThen(app: FastifyInstance, files: FileStore, staleSec: number) {
  checkOption("http", "limits.staleUploadSec", staleSec, {
    min: 0,
    max: MAX_STALE_SEC,
    integer: true,
  });
  // A file store written against the contract before the purge existed has no such method.
  if (staleSec === 0 || typeof files.purgeStaleUploads !== "function") return;
  const staleMs = staleSec * 1000;
  const timer = setInterval(
    () => {
      // Inside a promise: whatever the store throws, even synchronously, is logged, not fatal.
      Promise.resolve()
        .then(() => files.purgeStaleUploads(Date.now() - staleMs))
        .catch((error: unknown) => {
          app.log.error({ err: error }, "purging stale uploads failed");
        });
    },
    Math.min(staleMs / 4, 3_600_000),
  );
  timer.unref();
  app.addHook("onClose", async () => clearInterval(timer));
}

/** Longest `limits.staleUploadSec`: a year. */
const MAX_STALE_SEC = 31_536_000;

/** `Cache-Control` of a members-only file: cached, but checked again on every use. */
const MEMBERS_ONLY_CACHE_CONTROL = "private, no-cache";

/**
 * The file routes (docs/protocol.md §11 Files): `POST /files` (raw body), `POST /files/instant`
 * (known bytes by hash), resumable multipart uploads under `/files/uploads`, direct uploads to
 * a presigned URL under `/files/direct` (S3), and `GET /files/:fileId` with Range, ETag and, on
 * S3, a redirect to a presigned URL. Every upload may name the `conversationId` it is for (the
 * uploader must be in it, else 404). Downloads need no token (the 128-bit random id is the
 * capability) unless `fileAccess` is members-only: then a file uploaded for a conversation is
 * served to its members and uploader only (a bearer token, or a signed URL from
 * `GET /files/:fileId/url`), 404 to anyone else.
 */
export async function registerFileRoutes(
  app: FastifyInstance,
  ctx: FileRouteContext,
): Promise<void> {
  const { config, files } = ctx;
  const signer = ctx.fileAccess
    ? createFileUrlSigner({
        secret: ctx.fileAccess.secret,
        ...(ctx.fileAccess.urlTtlSeconds !== undefined
          ? { ttlSeconds: ctx.fileAccess.urlTtlSeconds }
          : {}),
      })
    : undefined;

  /**
   * The `conversationId` field of an upload by `userId`, after checking they are in it: a
   * conversation they are not in is 404, like one that does not exist.
   */
  const uploadFor = async (
    userId: string,
    conversationId: string | undefined,
  ): Promise<{ conversationId?: string }> => {
    if (conversationId === undefined) return {};
    if (!(await isConversationMember(ctx.im, userId, conversationId))) {
      throw httpError("not_found", "no such conversation");
    }
    return { conversationId };
  };

  /**
   * Whether the request may read the file: always with capability URLs and for a file of no
   * conversation; else a valid signed URL, or the uploader or a member of its conversation.
   */
  const mayRead = async (
    request: FastifyRequest<{ Querystring: FileQuery }>,
    meta: FileMeta,
  ): Promise<boolean> => {
    if (!signer || meta.conversationId === undefined) return true;
    const { expires, sig } = request.query;
    if (expires !== undefined || sig !== undefined) return signer.verify(meta.fileId, expires, sig);
    let userId: string;
    try {
      userId = await ctx.authenticate(request);
    } catch {
      return false;
    }
    return (
      userId === meta.ownerId || (await isConversationMember(ctx.im, userId, meta.conversationId))
    );
  };
  purgeStaleUploadsNowAndThen(app, files, config.staleUploadSec);
  const guard = createUploadGuard({
    allowedTypes: config.allowedFileTypes,
    maxBytes: config.maxFileBytes,
    // Per node unless the application shares a store between nodes (`uploadQuotaStore`).
    quotaStore: ctx.uploadQuotaStore ?? createMemoryUploadQuotaStore(),
    quota: {
      bytesPerDay: config.filesQuotaBytesPerDay,
      filesPerDay: config.filesQuotaFilesPerDay,
    },
  });

  /**
   * Checks bytes already stored (multipart, direct, instant); deletes the file when refused.
   * `quota: false` for uploads whose declared size was charged when they started.
   */
  const checkStored = async (
    meta: FileMeta,
    ownerId: string,
    checks: { quota?: boolean } = {},
  ): Promise<void> => {
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
      await guard.checkContent(
        {
          ownerId,
          name: meta.name,
          mime: meta.mime,
          size: meta.size,
          data: Buffer.concat(chunks),
        },
        checks,
      );
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
      { ...beforeBody, schema: { querystring: UploadQuery, response: storedResponse } },
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
          const target = await uploadFor(userId, request.query.conversationId);
          await guard.checkContent({ ownerId: userId, name, mime, size: data.length, data });
          if (!PROCESSED_IMAGE_TYPES.includes(mime)) {
            // Audio and video: their duration when the headers say it (for a message's `durationMs`).
            const durationMs = await mediaDuration(data, mime);
            const meta = await files.put({ name, mime, ownerId: userId, data, ...target });
            request.log.info({ fileId: meta.fileId, size: meta.size, mime }, "file stored");
            return reply
              .status(201)
              .send({ ...stored(meta), ...(durationMs !== undefined ? { durationMs } : {}) });
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
          const meta = await files.put({
            name,
            mime,
            ownerId: userId,
            data: image.data,
            ...target,
          });
          const thumb = await files.put({
            name: `${meta.name}.thumb.webp`,
            mime: "image/webp",
            ownerId: userId,
            data: image.thumbnail,
            ...target,
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

  app.post<{ Body: { sha256: string; name: string; mime: string; conversationId?: string } }>(
    "/files/instant",
    { ...authed, schema: { body: InstantBody, response: storedResponse } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const { sha256, name } = request.body;
      const mime = baseType(request.body.mime);
      try {
        guard.checkDeclared({ mime });
        const target = await uploadFor(userId, request.body.conversationId);
        // Members-only access: a SHA-256 must not be a capability (it shows in ETags, S3 keys and
        // every upload answer), nor may the answer tell a stranger that someone stored these
        // bytes. So instant upload answers as for unknown bytes, and the client uploads them; the
        // storage still keeps one copy of the bytes.
        const meta = signer
          ? undefined
          : await files.putExisting({ sha256, name, mime, ownerId: userId, ...target });
        if (!meta) throw httpError("not_found", "no stored file has these bytes: upload them");
        await checkStored(meta, userId);
        return reply.status(201).send(stored(meta));
      } catch (error) {
        return handleRejections(reply, error);
      }
    },
  );

  app.post<{ Body: NewUploadBody }>(
    "/files/uploads",
    { ...authed, schema: { body: NewUploadBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const mime = baseType(request.body.mime);
      try {
        guard.checkDeclared({ mime, size: request.body.size });
        const target = await uploadFor(userId, request.body.conversationId);
        await guard.reserveQuota(userId, request.body.size);
        const { uploadId } = await files.createUpload({
          name: request.body.name,
          mime,
          ownerId: userId,
          size: request.body.size,
          ...target,
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
    { ...authed, schema: { params: UploadParams, body: CompleteBody, response: storedResponse } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      try {
        const meta = await files.completeUpload(request.params.uploadId, request.body.parts);
        await checkStored(meta, userId, { quota: false });
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

  app.post<{ Body: NewUploadBody }>(
    "/files/direct",
    { ...authed, schema: { body: NewUploadBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const mime = baseType(request.body.mime);
      try {
        guard.checkDeclared({ mime, size: request.body.size });
        const target = await uploadFor(userId, request.body.conversationId);
        const upload = await files.createDirectUpload({
          name: request.body.name,
          mime,
          ownerId: userId,
          size: request.body.size,
          ...target,
        });
        // Charged once the storage can take it (not for a refused `unsupported`); refused, the
        // client gets no URL and the empty record goes with the next purge of stale uploads.
        await guard.reserveQuota(userId, request.body.size);
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
    { ...authed, schema: { params: UploadParams, response: storedResponse } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      try {
        const meta = await files.completeDirectUpload(request.params.uploadId);
        await checkStored(meta, userId, { quota: false });
        return reply.status(201).send(stored(meta));
      } catch (error) {
        return handleRejections(reply, error);
      }
    },
  );

  // HEAD is declared, not derived from GET: Fastify's derived HEAD answers Content-Length 0 to a stream-less reply.
  app.get<{ Params: FileParams }>(
    "/files/:fileId/url",
    { ...authed, schema: { params: FileParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { fileId } = request.params;
      const meta = isFileId(fileId) ? await files.head(fileId) : undefined;
      const member =
        meta !== undefined &&
        (meta.conversationId === undefined ||
          userId === meta.ownerId ||
          (await isConversationMember(ctx.im, userId, meta.conversationId)));
      if (!meta || !member) throw httpError("not_found", "no such file");
      if (!signer || meta.conversationId === undefined) {
        return { url: fileUrl(fileId), expiresAt: null };
      }
      const grant = signer.sign(fileId);
      return { url: `${fileUrl(fileId)}?${grant.query}`, expiresAt: grant.expires };
    },
  );

  app.route<{ Params: FileParams; Querystring: FileQuery }>({
    method: ["GET", "HEAD"],
    url: "/files/:fileId",
    schema: { params: FileParams, querystring: FileQuery },
    handler: async (request, reply) => {
      const { fileId } = request.params;
      if (!isFileId(fileId)) throw httpError("not_found", "no such file");
      let membersOnly = false;
      if (signer) {
        // Members-only: a refused reader gets the answer of a file that does not exist.
        const meta = await files.head(fileId);
        if (!meta || !(await mayRead(request, meta))) throw httpError("not_found", "no such file");
        membersOnly = meta.conversationId !== undefined;
      }
      const answer = await fileResponse(
        files,
        fileId,
        {
          method: request.method,
          range: request.headers.range,
          ifNoneMatch: request.headers["if-none-match"],
        },
        {
          ...(ctx.filesKind === "s3" && config.filesRedirectSec > 0
            ? { redirectSeconds: config.filesRedirectSec }
            : {}),
          // A browser must ask again (a cheap 304 after the check), so a member who left, or the
          // next account on the same browser, is not served a cached copy.
          ...(membersOnly ? { cacheControl: MEMBERS_ONLY_CACHE_CONTROL } : {}),
        },
      );
      if (membersOnly) reply.header("vary", "authorization");
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
