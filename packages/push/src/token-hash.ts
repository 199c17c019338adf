import { createHash } from "node:crypto";

/**
 * @internal The key a token is unique by in SQL: tokens may be longer than an
 * index entry allows, so tables index their SHA-256 instead.
 */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
