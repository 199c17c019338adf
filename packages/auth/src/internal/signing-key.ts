import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { ConfigError } from "@lucky-im/core";
import type { Jwk } from "../jwk.js";
import type { JwtVerificationKey } from "../jwt-authenticator.js";

/**
 * The key the auth service signs access tokens with: an HMAC secret (at least
 * 32 bytes) shared with whoever verifies, or a private key (PEM PKCS#8, JWK or
 * `KeyObject`) whose public half verifies.
 */
export type JwtSigningKey =
  | {
      /** The HMAC secret, at least 32 bytes (a string counts its UTF-8 bytes). */
      secret: string | Uint8Array;
      /**
       * The HMAC algorithm.
       * @default "HS256"
       */
      alg?: "HS256" | "HS384" | "HS512";
    }
  | {
      /** The private key: PEM (PKCS#8), a private JWK, or a `KeyObject`. */
      privateKey: string | Jwk | KeyObject;
      /** The signature algorithm; it must fit the key's type (RSA, P-256 or Ed25519). */
      alg: "RS256" | "PS256" | "ES256" | "EdDSA";
      /** Put in the token header, for verifiers that pick keys from a JWKS. */
      kid?: string;
    };

export interface ResolvedSigningKey {
  key: Uint8Array | KeyObject;
  alg: string;
  kid: string | undefined;
  verification: JwtVerificationKey;
}

export function resolveSigningKey(signing: JwtSigningKey): ResolvedSigningKey {
  if ("secret" in signing) {
    const key =
      typeof signing.secret === "string"
        ? new TextEncoder().encode(signing.secret)
        : signing.secret;
    if (key.length < 32) throw new ConfigError("auth", "a JWT secret must be at least 32 bytes");
    return { key, alg: signing.alg ?? "HS256", kid: undefined, verification: { secret: key } };
  }
  const k = signing.privateKey;
  const key =
    typeof k === "string"
      ? createPrivateKey(k)
      : "kty" in k
        ? // biome-ignore lint/suspicious/noExplicitAny: node's JsonWebKey and jose's JWK are the same shape.
          createPrivateKey({ key: k as any, format: "jwk" })
        : (k as KeyObject);
  if (key.type !== "private") throw new ConfigError("auth", "privateKey must be a private key");
  return {
    key,
    alg: signing.alg,
    kid: signing.kid,
    verification: { publicKey: createPublicKey(key) },
  };
}
