import { jwtVerify, SignJWT } from "jose";
import type { AppUser } from "./users.js";

/** The app's own access tokens: HS256 JWTs with `sub` = the user id. */
export interface AppTokens {
  /** The `iss` and `aud` of every token (Lucky IM's authenticator checks both). */
  readonly issuer: string;
  /** The HMAC secret, shared with Lucky IM's authenticator. */
  readonly secret: Uint8Array;
  /** Signs a token for `user`, valid for `ttlSeconds`. */
  issue(user: AppUser): Promise<string>;
  /** The user id of a valid token, or undefined. */
  verify(token: string): Promise<string | undefined>;
}

/** Creates the app's token issuer from its secret (at least 32 bytes for HS256). */
export function createAppTokens(
  secret: string,
  ttlSeconds: number,
  issuer = "express-app",
): AppTokens {
  if (Buffer.byteLength(secret) < 32) throw new Error("APP_JWT_SECRET must be at least 32 bytes");
  const key = new TextEncoder().encode(secret);
  return {
    issuer,
    secret: key,
    issue: (user) =>
      new SignJWT({ name: user.username })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user.id)
        .setIssuer(issuer)
        .setAudience(issuer)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer,
          audience: issuer,
          algorithms: ["HS256"],
        });
        return payload.sub;
      } catch {
        return undefined;
      }
    },
  };
}
