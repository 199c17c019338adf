import { ConfigError } from "@lucky-im/core";
import {
  calculateJwkThumbprint,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";
import { authError } from "./internal/errors.js";
import type { Jwk } from "./jwk.js";

/** Options of {@link createEncryptionKeyRing}. */
export interface EncryptionKeyRingOptions {
  /**
   * Private RSA JWKs to start with, the current key first; others are kept as
   * previous keys for `graceMs`. Give every node the same keys, or a client may
   * encrypt to a key another node does not hold.
   * @default a fresh 2048-bit key generated on first use
   */
  keys?: Jwk[];
  /**
   * How long a rotated-out key still decrypts: a client that fetched the public
   * key just before a rotation can still log in. After it, the key is refused.
   * @default 900000 (15 minutes)
   */
  graceMs?: number;
  /**
   * Modulus length of generated keys, in bits.
   * @default 2048
   */
  modulusLength?: number;
  /**
   * Longest compact JWE accepted, in characters.
   * @default 8192
   */
  maxJweLength?: number;
  /**
   * The clock, in ms since epoch.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * RSA-OAEP-256 keys that clients encrypt passwords to. The current key is
 * published; rotated-out keys decrypt for a grace period, then are refused.
 */
export interface EncryptionKeyRing {
  /**
   * The current public key: `kty: RSA`, `kid`, `alg: RSA-OAEP-256`, `use: enc`
   * (the body of `GET /auth/public-key`).
   */
  publicJwk(): Promise<Jwk>;
  /**
   * Decrypts a compact JWE (`alg` RSA-OAEP-256; `enc` A256GCM or A128GCM) to
   * its UTF-8 plaintext. Rejects with `ImError("unauthorized")` for an unknown
   * or retired `kid` or a JWE that does not decrypt, `ImError("bad_request")`
   * for a malformed one or one with other algorithms.
   */
  decrypt(jwe: string): Promise<string>;
  /**
   * Makes `key` (a private RSA JWK; default: a new generated key) the current
   * key; the old current key enters its grace period. Resolves with the new
   * public JWK.
   */
  rotate(key?: Jwk): Promise<Jwk>;
  /** The private JWKs still usable, current first: persist them to share them between nodes. */
  exportPrivateJwks(): Promise<Jwk[]>;
}

interface RingKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  key: CryptoKey | Uint8Array;
  /** When the key stopped being current (undefined: it is current). */
  retiredAt?: number;
}

const ALG = "RSA-OAEP-256";

async function toRingKey(jwk: JWK): Promise<RingKey> {
  if (jwk.kty !== "RSA" || typeof jwk.d !== "string") {
    throw new ConfigError("auth", "an encryption key must be a private RSA JWK");
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
  const publicJwk: JWK = { kty: "RSA", n: jwk.n, e: jwk.e, kid, alg: ALG, use: "enc" };
  const privateJwk: JWK = { ...jwk, kid, alg: ALG, use: "enc" };
  const key = await importJWK(privateJwk, ALG);
  return { kid, privateJwk, publicJwk, key };
}

async function generate(modulusLength: number): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { modulusLength, extractable: true });
  return exportJWK(privateKey);
}

/**
 * An {@link EncryptionKeyRing} for encrypted password login.
 *
 * @example
 * ```ts
 * const ring = createEncryptionKeyRing();
 * app.get("/auth/public-key", async () => ring.publicJwk());
 * const password = await ring.decrypt(body.passwordJwe);
 * ```
 */
export function createEncryptionKeyRing(options: EncryptionKeyRingOptions = {}): EncryptionKeyRing {
  const graceMs = options.graceMs ?? 900_000;
  const modulusLength = options.modulusLength ?? 2048;
  const maxJweLength = options.maxJweLength ?? 8192;
  const now = options.now ?? Date.now;
  let ring: RingKey[] = [];

  // Keys are made on first use: key generation is slow, and the factory stays synchronous.
  let ready: Promise<void> | undefined;
  const init = () => {
    ready ??= (async () => {
      const jwks = options.keys?.length ? options.keys : [await generate(modulusLength)];
      const keys = await Promise.all(jwks.map(toRingKey));
      const t = now();
      ring = keys.map((k, i) => (i === 0 ? k : { ...k, retiredAt: t }));
    })();
    // A failed init (a bad key) is retried at the next call rather than cached.
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };

  const live = () => {
    const t = now();
    ring = ring.filter((k) => k.retiredAt === undefined || t - k.retiredAt < graceMs);
    return ring;
  };

  return {
    async publicJwk() {
      await init();
      return { ...ring[0]!.publicJwk };
    },
    async decrypt(jwe) {
      if (typeof jwe !== "string" || jwe.length === 0 || jwe.length > maxJweLength) {
        throw authError("bad_request", "passwordJwe must be a compact JWE string");
      }
      await init();
      const keys = live();
      try {
        const { plaintext } = await compactDecrypt(
          jwe,
          (header) => {
            const kid = header.kid;
            const found = kid === undefined ? keys[0] : keys.find((k) => k.kid === kid);
            if (!found) {
              throw authError(
                "unauthorized",
                `unknown key id "${String(kid).slice(0, 64)}": the login key was rotated; fetch the public key again and re-encrypt`,
              );
            }
            return found.key;
          },
          { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: ["A256GCM", "A128GCM"] },
        );
        return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if ((error as { isImError?: unknown }).isImError === true) throw error;
        if (code === "ERR_JWE_DECRYPTION_FAILED") {
          throw authError("unauthorized", "passwordJwe does not decrypt", { cause: error });
        }
        throw authError("bad_request", `bad passwordJwe: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    async rotate(key) {
      await init();
      const next = await toRingKey(key ?? (await generate(modulusLength)));
      const t = now();
      ring = [
        next,
        ...live()
          .filter((k) => k.kid !== next.kid)
          .map((k) => (k.retiredAt === undefined ? { ...k, retiredAt: t } : k)),
      ];
      return { ...next.publicJwk };
    },
    async exportPrivateJwks() {
      await init();
      return live().map((k) => ({ ...k.privateJwk }));
    },
  };
}
