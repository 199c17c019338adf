import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

// The key comes from the presented refresh token itself (in a domain of its own, so the
// stored SHA-256 of the token does not open it): only a holder of that token can read its
// successor back, and the store never holds a usable token.
const keyOf = (token: string) =>
  createHash("sha256").update("lucky-im/auth/refresh-successor\0").update(token).digest();

/** Encrypts `successor` (AES-256-GCM) under a key derived from `token`. */
export function sealSuccessor(token: string, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(token), iv);
  const body = Buffer.concat([cipher.update(successor, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** Opens what {@link sealSuccessor} sealed for `token`; undefined when it does not open. */
export function openSuccessor(token: string, sealed: string): string | undefined {
  try {
    const bytes = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", keyOf(token), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
