import { createPublicKey, type KeyObject, type webcrypto } from "node:crypto";
import type { Authenticator, Principal } from "@lucky-im/core";
import { ConfigError } from "@lucky-im/core";
import {
  type CryptoKey,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { authError, wrapError } from "./internal/errors.js";
import type { Jwk } from "./jwk.js";

/**
 * The key that verifies tokens: a shared secret (HMAC), one public key (PEM
 * SPKI or certificate, JWK, or a `KeyObject`/`CryptoKey`), or a remote JWKS
 * whose keys are picked by `kid` and refetched when an unknown `kid` shows up
 * (key rotation).
 */
export type JwtVerificationKey =
  | {
      /** The HMAC secret the tokens were signed with, at least 32 bytes. */
      secret: string | Uint8Array;
    }
  | {
      /** The public key: PEM (SPKI or an X.509 certificate), a public JWK, a `KeyObject` or a `CryptoKey`. */
      publicKey: string | Jwk | KeyObject | webcrypto.CryptoKey;
    }
  | {
      /** Where the JWKS is fetched from (HTTPS in production). */
      jwksUrl: string | URL;
      /**
       * Minimum time between two fetches of the JWKS (an unknown `kid` within it is refused).
       * @default 30000
       */
      cooldownMs?: number;
      /**
       * How long a fetched JWKS is trusted before it is fetched again.
       * @default 600000
       */
      cacheMaxAgeMs?: number;
      /**
       * Timeout of one JWKS fetch.
       * @default 5000
       */
      timeoutMs?: number;
    };

/**
 * Where the authenticator reads a user's current token version (the `ver`
 * claim). A `CredentialStore` is one.
 */
export interface TokenVersionSource {
  /**
   * Resolves with the user's current token version, or undefined for an unknown user (whose
   * tokens are then refused). A token whose `ver` is lower was revoked (logout everywhere,
   * password change). Called on every authentication, so keep it to one indexed read.
   */
  getTokenVersion(userId: string): Promise<number | undefined>;
}

/** Options of {@link createJwtAuthenticator}. */
export interface JwtAuthenticatorOptions {
  /** The verification key. */
  key: JwtVerificationKey;
  /** The accepted `iss` (one or several). Required: a token without it is refused. */
  issuer: string | string[];
  /** The accepted `aud` (one or several). Required: a token without it is refused. */
  audience: string | string[];
  /**
   * The accepted `alg` values: anything else (`none` included) is refused, so
   * an HMAC token cannot pass for an RSA one.
   * @default ["HS256"] for a secret; ["RS256", "PS256", "ES256", "EdDSA"] otherwise
   */
  algorithms?: string[];
  /**
   * Clock skew tolerated on `exp` and `nbf`, in seconds.
   * @default 5
   */
  clockToleranceSec?: number;
  /**
   * When set, a token with a `ver` claim is refused unless `ver` equals the
   * user's current token version (revocation by logout or password change).
   * Tokens without `ver` (minted by a host application) are not checked.
   * @default undefined (no revocation check)
   */
  tokenVersions?: TokenVersionSource;
  /**
   * How long a user's token version is cached in process. Another node's
   * revocation is seen within this time; this node's at once (see `invalidate`).
   * @default 5000
   */
  versionCacheTtlMs?: number;
  /**
   * Most users whose token version is cached; the oldest entries go first.
   * @default 100000
   */
  versionCacheMaxEntries?: number;
  /**
   * The clock, in ms since epoch (tests inject one).
   * @default Date.now
   */
  now?: () => number;
}

/** An {@link Authenticator} over JWTs, with a token-version cache. */
export interface JwtAuthenticator extends Authenticator {
  /**
   * Resolves with the token's principal: `userId` = `sub`, `deviceId` =
   * `did`, `deviceClass` = `dcl`, `expiresAt` = `exp` * 1000. Rejects with
   * `ImError("unauthorized")` for a refused token, `ImError("unavailable")`
   * when the JWKS or the token-version source cannot be reached.
   */
  authenticate(token: string): Promise<Principal>;
  /**
   * Forgets the cached token version of `userId` (of everyone without an
   * argument). The auth service calls it when it revokes; call it when another
   * node tells you it revoked.
   */
  invalidate(userId?: string): void;
}

const SIGNATURE_FAILURES = new Set([
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JWS_INVALID",
  "ERR_JWT_INVALID",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWK_INVALID",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
]);

function refusal(error: unknown, remote: boolean, kid: string | undefined) {
  const e = error as { code?: string; claim?: string; reason?: string; message?: string };
  const code = typeof e?.code === "string" ? e.code : "";
  if (code === "ERR_JWT_EXPIRED")
    return authError("unauthorized", "token expired", { cause: error });
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    return authError("unauthorized", `token refused: claim "${e.claim}" ${e.reason}`, {
      cause: error,
    });
  }
  if (code === "ERR_JWKS_NO_MATCHING_KEY") {
    return authError(
      "unauthorized",
      `token refused: unknown key id "${(kid ?? "").slice(0, 64)}"`,
      {
        cause: error,
      },
    );
  }
  if (SIGNATURE_FAILURES.has(code)) {
    return authError("unauthorized", `token refused: ${e.message ?? code}`, { cause: error });
  }
  // Anything else from a remote key set is the JWKS endpoint failing, not the token.
  if (remote)
    return authError("unavailable", "cannot fetch the JWKS to verify a token", { cause: error });
  return authError("unauthorized", `token refused: ${e?.message ?? String(error)}`, {
    cause: error,
  });
}

/** The hash of each HMAC algorithm a token may name. */
const HMAC_HASHES: Readonly<Record<string, string>> = {
  HS256: "SHA-256",
  HS384: "SHA-384",
  HS512: "SHA-512",
};

/**
 * The secret as a `CryptoKey` per HMAC algorithm, imported once: given the raw
 * bytes, jose imports them again for every token (half the cost of a check,
 * which a reconnect storm pays per connection).
 */
function hmacKeys(secret: Uint8Array): JWTVerifyGetKey {
  const keys = new Map<string, Promise<CryptoKey>>();
  const raw = new Uint8Array(secret);
  return async ({ alg }) => {
    const hash = typeof alg === "string" ? HMAC_HASHES[alg] : undefined;
    // Not an HMAC algorithm: jose refuses the raw secret for it, as before.
    if (hash === undefined) return secret;
    let key = keys.get(alg!);
    if (!key) {
      key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash }, false, ["verify"]);
      keys.set(alg!, key);
      // A failed import is tried again by the next token.
      key.catch(() => keys.delete(alg!));
    }
    return key;
  };
}

function keyGetter(key: JwtVerificationKey): { get: JWTVerifyGetKey; remote: boolean } {
  if ("secret" in key) {
    const secret =
      typeof key.secret === "string" ? new TextEncoder().encode(key.secret) : key.secret;
    if (secret.length < 32) {
      throw new ConfigError("auth", "a JWT secret must be at least 32 bytes");
    }
    return { get: hmacKeys(secret), remote: false };
  }
  if ("publicKey" in key) {
    const k = key.publicKey;
    const resolved: KeyObject | CryptoKey =
      typeof k === "string"
        ? createPublicKey(k)
        : "kty" in k
          ? // biome-ignore lint/suspicious/noExplicitAny: node's JsonWebKey and jose's JWK are the same shape.
            createPublicKey({ key: k as any, format: "jwk" })
          : (k as KeyObject | CryptoKey);
    if ("type" in resolved && resolved.type === "secret") {
      throw new ConfigError("auth", "publicKey must be an asymmetric key: use { secret } for HMAC");
    }
    return { get: async () => resolved, remote: false };
  }
  const jwks = createRemoteJWKSet(new URL(key.jwksUrl), {
    cooldownDuration: key.cooldownMs ?? 30_000,
    cacheMaxAge: key.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: key.timeoutMs ?? 5_000,
  });
  return { get: jwks, remote: true };
}

/**
 * An {@link Authenticator} that verifies JWTs with `jose`: pinned algorithms,
 * required `iss`, `aud`, `exp` and `sub`, optional revocation through the
 * `ver` claim. A token carrying only `sub`, `iss`, `aud`, `iat` and `exp`
 * (minted by a host application) is accepted.
 *
 * @example
 * ```ts
 * const authenticator = createJwtAuthenticator({
 *   key: { jwksUrl: "https://auth.example.com/.well-known/jwks.json" },
 *   issuer: "https://auth.example.com",
 *   audience: "chat",
 * });
 * const principal = await authenticator.authenticate(token);
 * ```
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): JwtAuthenticator {
  const { get, remote } = keyGetter(options.key);
  const algorithms =
    options.algorithms ??
    ("secret" in options.key ? ["HS256"] : ["RS256", "PS256", "ES256", "EdDSA"]);
  const now = options.now ?? Date.now;
  const ttl = options.versionCacheTtlMs ?? 5_000;
  const maxEntries = options.versionCacheMaxEntries ?? 100_000;
  const source = options.tokenVersions;

  const cache = new Map<string, { version: number | undefined; until: number }>();
  const inflight = new Map<string, Promise<number | undefined>>();
  // Bumped by invalidate(): a lookup that started before it must not fill the cache.
  let epoch = 0;

  async function fetchVersion(userId: string): Promise<number | undefined> {
    const pending = inflight.get(userId);
    if (pending) return pending;
    const started = epoch;
    const p = (async () => {
      try {
        const version = await source!.getTokenVersion(userId);
        if (started === epoch) {
          cache.delete(userId);
          if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
          cache.set(userId, { version, until: now() + ttl });
        }
        return version;
      } catch (error) {
        throw wrapError(error, "unavailable", "cannot read the token version");
      }
    })();
    inflight.set(userId, p);
    p.finally(() => {
      if (inflight.get(userId) === p) inflight.delete(userId);
    }).catch(() => {
      // The caller of fetchVersion handles the rejection.
    });
    return p;
  }

  async function checkVersion(userId: string, ver: unknown): Promise<void> {
    if (typeof ver !== "number") throw authError("unauthorized", "token refused: bad ver claim");
    const hit = cache.get(userId);
    const cached = hit !== undefined && hit.until > now();
    let current = cached ? hit.version : await fetchVersion(userId);
    // A token newer than the cache was issued after a revocation elsewhere: look again.
    if (cached && (current === undefined || ver > current)) current = await fetchVersion(userId);
    if (current === undefined) throw authError("unauthorized", "token refused: unknown user");
    if (ver !== current) throw authError("unauthorized", "token refused: revoked");
  }

  return {
    async authenticate(token) {
      if (typeof token !== "string" || token.length === 0) {
        throw authError("unauthorized", "no token");
      }
      let payload: JWTPayload;
      let kid: string | undefined;
      try {
        const result = await jwtVerify(token, get, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ["exp", "sub"],
          clockTolerance: options.clockToleranceSec ?? 5,
          currentDate: new Date(now()),
        });
        payload = result.payload;
      } catch (error) {
        try {
          kid = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()).kid;
        } catch {
          // Not even a header: the refusal says why without the kid.
        }
        throw refusal(error, remote, kid);
      }
      const userId = payload.sub;
      if (typeof userId !== "string" || userId.length === 0) {
        throw authError("unauthorized", "token refused: empty sub");
      }
      if (source && payload.ver !== undefined) await checkVersion(userId, payload.ver);
      const principal: Principal = {
        userId,
        claims: Object.freeze({ ...payload }),
        expiresAt: (payload.exp as number) * 1000,
      };
      if (typeof payload.did === "string") principal.deviceId = payload.did;
      if (typeof payload.dcl === "string") principal.deviceClass = payload.dcl;
      return principal;
    },
    invalidate(userId) {
      epoch += 1;
      if (userId === undefined) {
        cache.clear();
        inflight.clear();
      } else {
        cache.delete(userId);
        inflight.delete(userId);
      }
    },
  };
}
