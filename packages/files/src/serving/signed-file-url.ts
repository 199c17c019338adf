import { createHmac, timingSafeEqual } from "node:crypto";

/** Default life of a signed download URL: 5 minutes. */
export const DEFAULT_SIGNED_URL_SECONDS = 300;

/** Shortest secret {@link createFileUrlSigner} takes, in bytes. */
export const MIN_FILE_URL_SECRET_BYTES = 32;

/** Options of {@link createFileUrlSigner}. */
export interface FileUrlSignerOptions {
  /** The HMAC key (at least {@link MIN_FILE_URL_SECRET_BYTES} bytes); the same on every node. */
  secret: string | Uint8Array;
  /** How long a signed URL works, in seconds. @default {@link DEFAULT_SIGNED_URL_SECONDS} */
  ttlSeconds?: number;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/** A signed download grant for one file: the query of its URL. */
export interface SignedFileAccess {
  /** When it stops working, in ms since the epoch (the `expires` query parameter). */
  expires: number;
  /** HMAC-SHA256 of the file id and `expires`, base64url (the `sig` query parameter). */
  signature: string;
  /** `expires=<expires>&sig=<signature>`, to append to the file's URL after a `?`. */
  query: string;
}

/** Signs and checks short-lived download URLs of files (members-only file access). */
export interface FileUrlSigner {
  /** A grant for `fileId`, working for the signer's `ttlSeconds` from now. */
  sign(fileId: string): SignedFileAccess;
  /**
   * Whether `signature` is the signer's for `fileId` and `expires`, and `expires` has not
   * passed. Any malformed input is false (never throws).
   */
  verify(fileId: string, expires: unknown, signature: unknown): boolean;
}

/**
 * An HMAC signer of download URLs: the server hands a member `/files/<id>?expires=..&sig=..`
 * after checking membership, and the URL works without a token (an `<img src>`) until it
 * expires. A changed id, expiry or signature is refused; comparison is constant-time.
 */
export function createFileUrlSigner(options: FileUrlSignerOptions): FileUrlSigner {
  const key =
    typeof options.secret === "string" ? Buffer.from(options.secret, "utf8") : options.secret;
  if (key.length < MIN_FILE_URL_SECRET_BYTES) {
    throw new RangeError(`the file URL secret needs at least ${MIN_FILE_URL_SECRET_BYTES} bytes`);
  }
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_SIGNED_URL_SECONDS;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError("ttlSeconds must be a positive number");
  }
  const now = options.now ?? Date.now;
  const mac = (fileId: string, expires: number) =>
    createHmac("sha256", key).update(`${fileId}\n${expires}`).digest();

  return {
    sign(fileId) {
      const expires = Math.floor(now() + ttlSeconds * 1000);
      const signature = mac(fileId, expires).toString("base64url");
      return { expires, signature, query: `expires=${expires}&sig=${signature}` };
    },
    verify(fileId, expires, signature) {
      if (typeof expires !== "string" && typeof expires !== "number") return false;
      if (typeof signature !== "string" || signature.length > 64) return false;
      const at = typeof expires === "number" ? expires : Number(expires);
      if (!Number.isSafeInteger(at) || String(at) !== String(expires)) return false;
      if (at <= now()) return false;
      // Compare the canonical text, not decoded bytes: base64url decoding skips stray
      // characters, so two spellings of one signature would otherwise both pass.
      const given = Buffer.from(signature, "utf8");
      const expected = Buffer.from(mac(fileId, at).toString("base64url"), "utf8");
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
