import { randomBytes } from "node:crypto";

/** A file or upload id: 16 random bytes in base64url. Anything else is never looked up. */
const ID = /^[A-Za-z0-9_-]{22}$/;

/** A SHA-256 in lower-case hex. */
const SHA256 = /^[0-9a-f]{64}$/;

/** True when `id` has the shape of a file or upload id this package makes. */
export function isFileId(id: string): boolean {
  return ID.test(id);
}

/** True when `hash` is a SHA-256 in lower-case hex. */
export function isSha256(hash: string): boolean {
  return SHA256.test(hash);
}

/** A fresh random id (128 bits, base64url). */
export function newFileId(): string {
  return randomBytes(16).toString("base64url");
}

/** Keeps a display name harmless: no path separators, no control characters, bounded. */
export function cleanFileName(name: string | undefined): string {
  const cleaned = (name ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
    .replace(/[\u0000-\u001f\u007f/\\]/g, "_")
    .trim()
    .slice(0, 255);
  return cleaned && cleaned !== "." && cleaned !== ".." ? cleaned : "file";
}
