/** HS256 access tokens with exactly the claims PROTOCOL.md requires: sub, iss, aud, iat, exp. */
import { SignJWT } from "jose";

export async function mintTokens(
  userIds: readonly string[],
  secret: string,
  ttlSec = 3600,
): Promise<Map<string, string>> {
  const key = new TextEncoder().encode(secret);
  const tokens = new Map<string, string>();
  const now = Math.floor(Date.now() / 1000);
  for (const sub of userIds) {
    const token = await new SignJWT({
      sub,
      iss: "lucky-im",
      aud: "lucky-im",
      iat: now,
      exp: now + ttlSec,
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(key);
    tokens.set(sub, token);
  }
  return tokens;
}
