import type { Readable } from "node:stream";
import { sniffMatches } from "./sniff-type.js";
import {
  DEFAULT_UPLOAD_QUOTA,
  type UploadQuotaLimits,
  type UploadQuotaStore,
} from "./upload-quota.js";
import { UploadRejectedError } from "./upload-rejected-error.js";

/** What a `beforeStore` hook sees: enough to moderate, before anything is stored. */
export interface UploadCandidate {
  /** Who uploads. */
  ownerId: string;
  /** The name given. */
  name: string;
  /** The declared (and sniffed) type. */
  mime: string;
  /** The size in bytes. */
  size: number;
  /** The bytes (server-side uploads), or their first KiB (direct and multipart uploads). */
  data: Uint8Array;
}

/** Options of {@link createUploadGuard}. */
export interface UploadGuardOptions {
  /** Allowed content types (exact, lower case). Default {@link DEFAULT_ALLOWED_TYPES}. */
  allowedTypes?: readonly string[];
  /** Largest upload in bytes; default {@link DEFAULT_MAX_UPLOAD_BYTES}. */
  maxBytes?: number;
  /** Where per-user counts live; no quota is checked without one. */
  quotaStore?: UploadQuotaStore;
  /** Limits per user per day; default {@link DEFAULT_UPLOAD_QUOTA}. */
  quota?: Partial<UploadQuotaLimits>;
  /**
   * Moderation: called last, before the file is stored. Throw (an `UploadRejectedError`
   * or anything: it becomes `rejected`) to refuse it.
   */
  beforeStore?: (candidate: UploadCandidate) => void | Promise<void>;
  /** The clock, in ms since the epoch (quota days); default `Date.now`. */
  now?: () => number;
}

/** Default largest upload: 25 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** Default allowed types: common images (no SVG: it can carry script), audio, video, PDF and plain text. */
export const DEFAULT_ALLOWED_TYPES: readonly string[] = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "audio/webm",
  "audio/ogg",
  "audio/mpeg",
  "audio/mp4",
  "audio/wav",
  "video/webm",
  "video/mp4",
  "application/pdf",
  "text/plain",
];

/** The checks around an upload, in the order a server runs them. */
export interface UploadGuard {
  /** The largest upload in bytes (for a framework's body limit). */
  readonly maxBytes: number;
  /** The allowed types. */
  readonly allowedTypes: readonly string[];
  /** Before the body is read: the declared type and `Content-Length`. Throws {@link UploadRejectedError}. */
  checkDeclared(declared: { mime: string; size?: number | undefined }): void;
  /** Reads a body, refusing it as soon as it passes `maxBytes` (a missing or lying `Content-Length`). */
  readBounded(body: Readable): Promise<Buffer>;
  /**
   * After the bytes arrived: sniffed type, quota, then `beforeStore`. Throws
   * {@link UploadRejectedError}. `quota: false` skips the quota, for an upload whose declared
   * size {@link UploadGuard.reserveQuota} charged when it started.
   */
  checkContent(candidate: UploadCandidate, options?: { quota?: boolean }): Promise<void>;
  /**
   * Charges `size` bytes and one file to `ownerId`'s quota of the day now, before any byte is
   * staged (multipart and direct uploads): an upload that is never completed still counts, so
   * abandoned uploads cannot stage more than the quota. Throws {@link UploadRejectedError} (429).
   */
  reserveQuota(ownerId: string, size: number): Promise<void>;
}

/** Makes the {@link UploadGuard} of a server. */
export function createUploadGuard(options: UploadGuardOptions = {}): UploadGuard {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const allowedTypes = options.allowedTypes ?? DEFAULT_ALLOWED_TYPES;
  const allowed = new Set(allowedTypes);
  const limits: UploadQuotaLimits = { ...DEFAULT_UPLOAD_QUOTA, ...options.quota };
  const now = options.now ?? Date.now;
  const tooLarge = () =>
    new UploadRejectedError("too_large", `a file can be at most ${maxBytes} bytes`, 413);

  return {
    maxBytes,
    allowedTypes,

    checkDeclared({ mime, size }) {
      if (!allowed.has(mime)) {
        throw new UploadRejectedError(
          "type_not_allowed",
          `content type ${mime} is not allowed`,
          415,
        );
      }
      if (size !== undefined && size > maxBytes) throw tooLarge();
    },

    async readBounded(body) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const raw of body) {
        const chunk = Buffer.from(raw as Uint8Array);
        size += chunk.length;
        if (size > maxBytes) {
          body.destroy();
          throw tooLarge();
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },

    async reserveQuota(ownerId, size) {
      if (!options.quotaStore) return;
      const day = new Date(now()).toISOString().slice(0, 10);
      if (!(await options.quotaStore.reserve(ownerId, day, size, limits))) {
        throw new UploadRejectedError(
          "quota_exceeded",
          `daily upload quota reached (${limits.filesPerDay} files, ${limits.bytesPerDay} bytes)`,
          429,
        );
      }
    },

    async checkContent(candidate, checks = {}) {
      this.checkDeclared({ mime: candidate.mime, size: candidate.size });
      const sniffed = await sniffMatches(candidate.mime, candidate.data.subarray(0, 4100));
      if (!sniffed.ok) {
        throw new UploadRejectedError(
          "type_mismatch",
          `the bytes are ${sniffed.detected ?? "of no recognised type"}, not ${candidate.mime}`,
          415,
        );
      }
      if (checks.quota !== false) await this.reserveQuota(candidate.ownerId, candidate.size);
      if (options.beforeStore) {
        try {
          await options.beforeStore(candidate);
        } catch (error) {
          if (error instanceof UploadRejectedError) throw error;
          throw new UploadRejectedError(
            "rejected",
            error instanceof Error ? error.message : "the file was refused",
            400,
          );
        }
      }
    },
  };
}
