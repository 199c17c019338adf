import type { Readable } from "node:stream";
import type { FileStore } from "../file-store.js";
import { parseByteRange } from "./byte-range.js";

/** Options of {@link fileResponse}. */
export interface FileResponseOptions {
  /**
   * Answer with a redirect (302) to a presigned URL of this life, in seconds, when the
   * store can presign (S3): the bytes then never pass through the server. Default: off.
   */
  redirectSeconds?: number;
  /** Types shown in the page (`<img>`, `<audio>`, `<video>`); others download. Default: images, audio, video. */
  inline?: (mime: string) => boolean;
  /** The `Cache-Control` of a file; default `private, max-age=31536000, immutable` (ids are never reused). */
  cacheControl?: string;
}

/** The request fields {@link fileResponse} reads. */
export interface FileRequest {
  /** `GET` or `HEAD`. */
  method: string;
  /** The `Range` header, if any. */
  range?: string | undefined;
  /** The `If-None-Match` header, if any. */
  ifNoneMatch?: string | undefined;
}

/** What to answer: a status, headers, and the bytes (none for HEAD, 304, 302 and errors). */
export interface FileResponse {
  /** 200, 206, 302, 304, 404 or 416. */
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The bytes to send, when there are any. */
  body?: Readable;
  /** An error for the client (`not_found`, `range_not_satisfiable`), sent as the framework's error JSON. */
  error?: {
    /** The protocol error code. */
    code: string;
    /** What went wrong, for people. */
    message: string;
  };
}

/** `filename` (ASCII fallback) and `filename*` (UTF-8, RFC 5987) of a Content-Disposition. */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const defaultInline = (mime: string) => /^(image|audio|video)\//.test(mime);

/** True when an `If-None-Match` list names `etag` (weak or strong) or is `*`. */
function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

/**
 * How to answer a download of a stored file, independent of the HTTP framework:
 * byte ranges (206; 416 with the size in `Content-Range`), `ETag` (the bytes' SHA-256)
 * and `If-None-Match` (304), `Content-Disposition` with the cleaned name, the stored type
 * with `nosniff` and a sandboxing CSP, and optionally a redirect to a presigned URL.
 */
export async function fileResponse(
  store: FileStore,
  fileId: string,
  request: FileRequest,
  options: FileResponseOptions = {},
): Promise<FileResponse> {
  const meta = await store.head(fileId);
  if (!meta) {
    return { status: 404, headers: {}, error: { code: "not_found", message: "no such file" } };
  }
  const etag = `"${meta.sha256}"`;
  const disposition = contentDisposition(
    (options.inline ?? defaultInline)(meta.mime) ? "inline" : "attachment",
    meta.name,
  );
  const common: Record<string, string> = {
    etag,
    "cache-control": options.cacheControl ?? "private, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
    // Even if a browser rendered it as a document, it could run nothing.
    "content-security-policy": "default-src 'none'; sandbox",
  };
  if (request.ifNoneMatch && matches(request.ifNoneMatch, etag)) {
    return { status: 304, headers: common };
  }
  if (options.redirectSeconds !== undefined) {
    const url = await store.presignGet(fileId, {
      expiresInSeconds: options.redirectSeconds,
      contentDisposition: disposition,
    });
    if (url) {
      // The URL dies soon: the redirect itself must not be cached longer.
      return { status: 302, headers: { location: url, "cache-control": "private, no-store" } };
    }
  }
  const headers: Record<string, string> = {
    ...common,
    "content-type": meta.mime,
    "content-disposition": disposition,
    "accept-ranges": "bytes",
  };
  const range = parseByteRange(request.range, meta.size);
  if (range === "invalid") {
    return {
      status: 416,
      headers: { ...common, "content-range": `bytes */${meta.size}` },
      error: {
        code: "range_not_satisfiable",
        message: `the range is malformed or outside the file (${meta.size} bytes)`,
      },
    };
  }
  const isHead = request.method.toUpperCase() === "HEAD";
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${meta.size}`;
    headers["content-length"] = String(range.end - range.start + 1);
  } else {
    headers["content-length"] = String(meta.size);
  }
  const status = range ? 206 : 200;
  if (isHead) return { status, headers };
  const opened = await store.get(fileId, range);
  if (!opened) {
    return { status: 404, headers: {}, error: { code: "not_found", message: "no such file" } };
  }
  return { status, headers, body: opened.body };
}
