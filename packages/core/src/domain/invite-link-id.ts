import { createHash } from "node:crypto";

/**
 * A non-secret name of an invite link, for events that leave the server (webhooks): the first
 * 16 hex digits of the SHA-256 of its code. The code itself is a bearer secret (whoever holds
 * it may join), so it is never sent; a host that knows the code can compute the same id to
 * tell which link was used.
 */
export function inviteLinkId(code: string): string {
  return createHash("sha256").update(code).digest("hex").slice(0, 16);
}
