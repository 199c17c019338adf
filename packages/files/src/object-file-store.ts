import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { cleanFileName, isFileId, isSha256, newFileId } from "./file-ids.js";
import {
  DEFAULT_PRESIGN_SECONDS,
  type FileMeta,
  type FileStore,
  FileStoreError,
  MAX_PART_NUMBER,
  type NewUpload,
  type UploadedPart,
} from "./file-store.js";
import type { ObjectStorage } from "./object-storage.js";

/** An upload in progress, kept as a JSON object next to the files. */
interface UploadManifest extends NewUpload {
  uploadId: string;
  kind: "multipart" | "direct";
  /** The storage's own multipart id (multipart only). */
  multipartId?: string;
  /** The declared size: exact for direct uploads, a bound on the parts of a multipart one. */
  size?: number;
  createdAt: number;
}

// The layout: bytes once per hash, a small JSON record per file, a marker per (hash, file)
// so the bytes are deleted with the last file sharing them.
const blobKey = (sha256: string) => `blobs/${sha256}`;
const fileKey = (fileId: string) => `files/${fileId}.json`;
const refPrefix = (sha256: string) => `refs/${sha256}/`;
const uploadKey = (uploadId: string) => `uploads/${uploadId}.json`;
const partPrefix = (uploadId: string) => `parts/${uploadId}/`;
const partKey = (uploadId: string, n: number) =>
  `${partPrefix(uploadId)}${String(n).padStart(5, "0")}.json`;
const stagingKey = (uploadId: string) => `staging/${uploadId}`;
/** Parts of a sized multipart upload: all but the last of at least this many bytes suffice. */
const MIN_SIZED_PART_BYTES = 64 * 1024;
/**
 * Most parts of a multipart upload that declared `size` bytes: bounds what checking a part
 * costs (it lists the parts held) and what parallel parts can stage.
 */
const maxPartsFor = (size: number) =>
  Math.min(MAX_PART_NUMBER, Math.ceil(size / MIN_SIZED_PART_BYTES) + 1);
/** How many upload records one purge looks at (the next purge takes the rest). */
const MAX_LISTED_UPLOADS = 10_000;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function badRequest(message: string): never {
  throw new FileStoreError("bad_request", message);
}

/**
 * The {@link FileStore} logic shared by every adapter, over an {@link ObjectStorage}.
 * @internal
 */
export function createObjectFileStore(
  storage: ObjectStorage,
  now: () => number = Date.now,
): FileStore {
  const readJson = async <T>(key: string): Promise<T | undefined> => {
    const stream = await storage.get(key);
    return stream ? (JSON.parse((await readAll(stream)).toString("utf8")) as T) : undefined;
  };
  const writeJson = (key: string, value: unknown) =>
    storage.put(key, Buffer.from(JSON.stringify(value)), "application/json");

  /** Records a new file for stored bytes: the marker first, so the bytes are never orphaned under a live record. */
  const record = async (upload: NewUpload, sha256: string, size: number): Promise<FileMeta> => {
    const meta: FileMeta = {
      fileId: newFileId(),
      name: cleanFileName(upload.name),
      mime: upload.mime,
      size,
      ownerId: upload.ownerId,
      createdAt: now(),
      sha256,
      ...(upload.conversationId !== undefined ? { conversationId: upload.conversationId } : {}),
    };
    await storage.put(`${refPrefix(sha256)}${meta.fileId}`, Buffer.alloc(0));
    await writeJson(fileKey(meta.fileId), meta);
    return meta;
  };

  /** Turns a finished staging object into stored bytes: hashed on the way, kept once. */
  const finishStaging = async (uploadId: string, manifest: UploadManifest): Promise<FileMeta> => {
    const staged = stagingKey(uploadId);
    const stream = await storage.get(staged);
    if (!stream) badRequest("the upload has no bytes yet");
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Uint8Array);
      size += (chunk as Uint8Array).length;
    }
    if (manifest.size !== undefined && size !== manifest.size) {
      await storage.delete(staged);
      badRequest(`the upload has ${size} bytes, ${manifest.size} were declared`);
    }
    if (size === 0) {
      await storage.delete(staged);
      badRequest("the file is empty");
    }
    const sha256 = hash.digest("hex");
    if ((await storage.size(blobKey(sha256))) === undefined) {
      await storage.move(staged, blobKey(sha256));
    } else {
      await storage.delete(staged);
    }
    const meta = await record(manifest, sha256, size);
    await storage.delete(uploadKey(uploadId));
    return meta;
  };

  const manifestOf = async (uploadId: string, kind: UploadManifest["kind"]) => {
    const manifest = isFileId(uploadId)
      ? await readJson<UploadManifest>(uploadKey(uploadId))
      : undefined;
    if (!manifest || manifest.kind !== kind) {
      throw new FileStoreError("not_found", "no such upload");
    }
    return manifest;
  };

  const listParts = async (uploadId: string): Promise<UploadedPart[]> => {
    const keys = await storage.list(partPrefix(uploadId), MAX_PART_NUMBER);
    const parts = await Promise.all(keys.map((key) => readJson<UploadedPart>(key)));
    return parts
      .filter((part): part is UploadedPart => part !== undefined)
      .sort((a, b) => a.partNumber - b.partNumber);
  };

  /** The tail of each upload's part writes on this node (sized uploads take parts one at a time). */
  const partQueues = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(uploadId: string, task: () => Promise<T>): Promise<T> => {
    const previous = partQueues.get(uploadId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => {});
    partQueues.set(uploadId, tail);
    void tail.then(() => {
      if (partQueues.get(uploadId) === tail) partQueues.delete(uploadId);
    });
    return run;
  };

  /** Drops an unfinished upload: the storage's multipart upload or staged object, parts, record. */
  const forget = async (uploadId: string, manifest: UploadManifest, purging = false) => {
    if (manifest.kind === "multipart") {
      try {
        await storage.abortMultipart(stagingKey(uploadId), manifest.multipartId!);
      } catch (error) {
        // A storage that cannot abort (some S3 look-alikes) leaves it to the bucket's
        // lifecycle rule for incomplete uploads; the record and parts still go.
        if (!purging) throw error;
      }
      await deleteParts(uploadId);
    }
    // Also for multipart: joined but not recorded (a crash between the two) leaves it staged.
    await storage.delete(stagingKey(uploadId));
    await storage.delete(uploadKey(uploadId));
  };

  const deleteParts = async (uploadId: string) => {
    for (const key of await storage.list(partPrefix(uploadId), MAX_PART_NUMBER)) {
      await storage.delete(key);
    }
  };

  const head = async (fileId: string) =>
    isFileId(fileId) ? await readJson<FileMeta>(fileKey(fileId)) : undefined;

  return {
    async put(file) {
      if (file.data.length === 0) badRequest("the file is empty");
      const sha256 = createHash("sha256").update(file.data).digest("hex");
      if ((await storage.size(blobKey(sha256))) === undefined) {
        await storage.put(blobKey(sha256), file.data);
      }
      return record(file, sha256, file.data.length);
    },

    async putExisting(file) {
      if (!isSha256(file.sha256)) badRequest("sha256 must be 64 lower-case hex digits");
      const size = await storage.size(blobKey(file.sha256));
      return size === undefined ? undefined : record(file, file.sha256, size);
    },

    head,

    async get(fileId, range) {
      const meta = await head(fileId);
      if (!meta) return undefined;
      if (range) {
        if (
          !Number.isSafeInteger(range.start) ||
          !Number.isSafeInteger(range.end) ||
          range.start < 0 ||
          range.end < range.start ||
          range.start >= meta.size
        ) {
          throw new FileStoreError(
            "range_not_satisfiable",
            `bytes ${range.start}-${range.end} are outside the file (${meta.size} bytes)`,
          );
        }
        range = { start: range.start, end: Math.min(range.end, meta.size - 1) };
      }
      const body = await storage.get(blobKey(meta.sha256), range);
      return body ? { meta, body } : undefined;
    },

    async delete(fileId) {
      const meta = await head(fileId);
      if (!meta) return false;
      await storage.delete(fileKey(fileId));
      await storage.delete(`${refPrefix(meta.sha256)}${fileId}`);
      // A put of the same bytes racing this check keeps its marker first, so it stays readable
      // unless it lands between the list and the delete: the window is two storage calls.
      if ((await storage.list(refPrefix(meta.sha256), 1)).length === 0) {
        await storage.delete(blobKey(meta.sha256));
      }
      return true;
    },

    async createUpload(upload) {
      if (upload.size !== undefined && (!Number.isSafeInteger(upload.size) || upload.size < 1)) {
        badRequest("size must be a positive integer");
      }
      const uploadId = newFileId();
      const multipartId = await storage.createMultipart(stagingKey(uploadId));
      const manifest: UploadManifest = {
        uploadId,
        kind: "multipart",
        multipartId,
        name: cleanFileName(upload.name),
        mime: upload.mime,
        ownerId: upload.ownerId,
        ...(upload.conversationId !== undefined ? { conversationId: upload.conversationId } : {}),
        ...(upload.size !== undefined ? { size: upload.size } : {}),
        createdAt: now(),
      };
      await writeJson(uploadKey(uploadId), manifest);
      return { uploadId };
    },

    async uploadPart(uploadId, partNumber, data) {
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
        badRequest(`partNumber must be an integer from 1 to ${MAX_PART_NUMBER}`);
      }
      if (data.length === 0) badRequest("a part cannot be empty");
      const manifest = await manifestOf(uploadId, "multipart");
      const store = async () => {
        const etag = await storage.uploadPart(
          stagingKey(uploadId),
          manifest.multipartId!,
          partNumber,
          data,
        );
        const part: UploadedPart = { partNumber, etag, size: data.length };
        await writeJson(partKey(uploadId, partNumber), part);
        return part;
      };
      const size = manifest.size;
      if (size === undefined) return store();
      const maxParts = maxPartsFor(size);
      if (partNumber > maxParts) {
        badRequest(`an upload of ${size} bytes has at most ${maxParts} parts`);
      }
      // Bounded staging: the parts held (this number replaced) may not pass the declared size.
      // One part of an upload at a time on this node, so parts sent at once cannot all pass.
      return oneAtATime(uploadId, async () => {
        const others = (await listParts(uploadId)).filter((p) => p.partNumber !== partNumber);
        const held = others.reduce((sum, p) => sum + p.size, 0);
        if (held + data.length > size) {
          badRequest(`the parts would pass the declared size (${size} bytes)`);
        }
        return store();
      });
    },

    async listParts(uploadId) {
      await manifestOf(uploadId, "multipart");
      return listParts(uploadId);
    },

    async completeUpload(uploadId, parts) {
      const manifest = await manifestOf(uploadId, "multipart");
      if (parts.length === 0) badRequest("name at least one part");
      const received = new Map((await listParts(uploadId)).map((p) => [p.partNumber, p]));
      let previous = 0;
      for (const part of parts) {
        if (!(part.partNumber > previous)) {
          badRequest(`parts must be listed in ascending order (part ${part.partNumber})`);
        }
        previous = part.partNumber;
        const got = received.get(part.partNumber);
        if (!got) badRequest(`part ${part.partNumber} was not received`);
        if (got.etag !== part.etag) badRequest(`part ${part.partNumber} has another etag`);
      }
      await storage.completeMultipart(stagingKey(uploadId), manifest.multipartId!, parts);
      const meta = await finishStaging(uploadId, manifest);
      await deleteParts(uploadId);
      return meta;
    },

    async abortUpload(uploadId) {
      await forget(uploadId, await manifestOf(uploadId, "multipart"));
    },

    async purgeStaleUploads(startedBefore) {
      let removed = 0;
      for (const key of await storage.list("uploads/", MAX_LISTED_UPLOADS)) {
        const manifest = await readJson<UploadManifest>(key);
        if (!manifest || manifest.createdAt >= startedBefore) continue;
        await forget(manifest.uploadId, manifest, true);
        removed += 1;
      }
      return removed;
    },

    async createDirectUpload(options) {
      if (!storage.presignPut) {
        throw new FileStoreError("unsupported", "this storage cannot presign uploads");
      }
      if (!Number.isSafeInteger(options.size) || options.size < 1) {
        badRequest("size must be a positive integer");
      }
      const expiresInSeconds = options.expiresInSeconds ?? DEFAULT_PRESIGN_SECONDS;
      const uploadId = newFileId();
      const manifest: UploadManifest = {
        uploadId,
        kind: "direct",
        size: options.size,
        name: cleanFileName(options.name),
        mime: options.mime,
        ownerId: options.ownerId,
        ...(options.conversationId !== undefined ? { conversationId: options.conversationId } : {}),
        createdAt: now(),
      };
      await writeJson(uploadKey(uploadId), manifest);
      const signed = await storage.presignPut(stagingKey(uploadId), {
        contentType: options.mime,
        size: options.size,
        expiresInSeconds,
      });
      return {
        uploadId,
        url: signed.url,
        method: "PUT",
        headers: signed.headers,
        expiresAt: now() + expiresInSeconds * 1000,
      };
    },

    async completeDirectUpload(uploadId) {
      const manifest = await manifestOf(uploadId, "direct");
      return finishStaging(uploadId, manifest);
    },

    async presignGet(fileId, options = {}) {
      if (!storage.presignGet) return undefined;
      const meta = await head(fileId);
      if (!meta) return undefined;
      return storage.presignGet(blobKey(meta.sha256), {
        contentType: meta.mime,
        expiresInSeconds: options.expiresInSeconds ?? DEFAULT_PRESIGN_SECONDS,
        ...(options.contentDisposition ? { contentDisposition: options.contentDisposition } : {}),
        ...(options.signedAt ? { signedAt: options.signedAt } : {}),
      });
    },
  };
}
