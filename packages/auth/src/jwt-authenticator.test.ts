import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hasErrorCode, isImError } from "@lucky-im/core";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwtAuthenticator, type TokenVersionSource } from "./jwt-authenticator.js";

const ISS = "https://auth.test";
const AUD = "chat";
const now = () => Math.floor(Date.now() / 1000);

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: Keys;
let other: Keys;
let pem: string;

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  other = await generateKeyPair("RS256", { extractable: true });
  pem = await exportSPKI(rsa.publicKey);
});

function sign(
  payload: JWTPayload,
  key: CryptoKey | Uint8Array = rsa.privateKey,
  header: { alg: string; kid?: string } = { alg: "RS256" },
) {
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

const good = (extra: JWTPayload = {}): JWTPayload => ({
  sub: "u1",
  iss: ISS,
  aud: AUD,
  iat: now(),
  exp: now() + 600,
  ...extra,
});

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the token was accepted").toBeDefined();
  expect(hasErrorCode(error, "unauthorized")).toBe(true);
  return isImError(error) ? error.message : "";
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("createJwtAuthenticator with a public key", () => {
  const auth = () =>
    createJwtAuthenticator({ key: { publicKey: pem }, issuer: ISS, audience: AUD });

  it("accepts a good token and maps its claims", async () => {
    const exp = now() + 600;
    const token = await sign(good({ exp, did: "dev-1", dcl: "mobile", role: "admin" }));
    const principal = await auth().authenticate(token);
    expect(principal).toMatchObject({
      userId: "u1",
      deviceId: "dev-1",
      deviceClass: "mobile",
      expiresAt: exp * 1000,
    });
    expect(principal.claims.role).toBe("admin");
  });

  it("accepts a host-minted token with exactly sub, iss, aud, iat and exp", async () => {
    const token = await new SignJWT()
      .setProtectedHeader({ alg: "RS256" })
      .setSubject("host-user")
      .setIssuer(ISS)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(rsa.privateKey);
    const principal = await auth().authenticate(token);
    expect(principal.userId).toBe("host-user");
    expect(Object.keys(principal.claims).sort()).toEqual(["aud", "exp", "iat", "iss", "sub"]);
    expect(principal.deviceId).toBeUndefined();
  });

  it("accepts a JWK public key", async () => {
    const jwk = await exportJWK(rsa.publicKey);
    const a = createJwtAuthenticator({ key: { publicKey: jwk }, issuer: ISS, audience: AUD });
    expect((await a.authenticate(await sign(good()))).userId).toBe("u1");
  });

  it("refuses a bad signature", async () => {
    await refusal(auth().authenticate(await sign(good(), other.privateKey)));
    const token = await sign(good());
    const [h, p, s] = token.split(".");
    const flipped = `${s![0] === "A" ? "B" : "A"}${s!.slice(1)}`;
    await refusal(auth().authenticate(`${h}.${p}.${flipped}`));
  });

  it("refuses an expired token", async () => {
    const message = await refusal(auth().authenticate(await sign(good({ exp: now() - 60 }))));
    expect(message).toMatch(/expired/);
  });

  it("refuses a token whose nbf is in the future", async () => {
    const message = await refusal(auth().authenticate(await sign(good({ nbf: now() + 120 }))));
    expect(message).toMatch(/nbf/);
  });

  it("refuses a wrong audience and a wrong issuer", async () => {
    expect(await refusal(auth().authenticate(await sign(good({ aud: "other" }))))).toMatch(/aud/);
    expect(
      await refusal(auth().authenticate(await sign(good({ iss: "https://evil.test" })))),
    ).toMatch(/iss/);
  });

  it("refuses alg none", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(good())}.`;
    await refusal(auth().authenticate(token));
  });

  it("refuses an HS256 token signed with the RSA public key as secret (algorithm confusion)", async () => {
    const header = b64({ alg: "HS256", typ: "JWT" });
    const payload = b64(good());
    const mac = createHmac("sha256", pem).update(`${header}.${payload}`).digest("base64url");
    await refusal(auth().authenticate(`${header}.${payload}.${mac}`));
    // The same through jose, with the PEM bytes as the HMAC key.
    const viaJose = await sign(good(), new TextEncoder().encode(pem), { alg: "HS256" });
    await refusal(auth().authenticate(viaJose));
  });

  it("refuses a token without exp, without sub, and garbage", async () => {
    const { exp: _exp, ...noExp } = good();
    expect(await refusal(auth().authenticate(await sign(noExp)))).toMatch(/exp/);
    const { sub: _sub, ...noSub } = good();
    expect(await refusal(auth().authenticate(await sign(noSub)))).toMatch(/sub/);
    await refusal(auth().authenticate("not.a.jwt"));
    await refusal(auth().authenticate(""));
  });

  it("judges time by the injected clock, with the clock tolerance", async () => {
    const exp = now() + 600;
    const token = await sign(good({ exp }));
    const at = (ms: number) =>
      createJwtAuthenticator({
        key: { publicKey: pem },
        issuer: ISS,
        audience: AUD,
        clockToleranceSec: 5,
        now: () => ms,
      });
    await expect(at(exp * 1000 + 4000).authenticate(token)).resolves.toMatchObject({
      userId: "u1",
    });
    await refusal(at(exp * 1000 + 6000).authenticate(token));
  });
});

describe("createJwtAuthenticator with a secret", () => {
  const secret = "s".repeat(32);

  it("accepts HS256 and refuses a token signed with another secret", async () => {
    const a = createJwtAuthenticator({ key: { secret }, issuer: ISS, audience: AUD });
    const key = new TextEncoder().encode(secret);
    expect((await a.authenticate(await sign(good(), key, { alg: "HS256" }))).userId).toBe("u1");
    const wrong = new TextEncoder().encode("t".repeat(32));
    await refusal(a.authenticate(await sign(good(), wrong, { alg: "HS256" })));
    // An RS256 token cannot pass where only HS256 is pinned.
    await refusal(a.authenticate(await sign(good())));
  });

  it("verifies many tokens at once with the key it imported once, per HMAC algorithm", async () => {
    const a = createJwtAuthenticator({
      key: { secret },
      issuer: ISS,
      audience: AUD,
      algorithms: ["HS256", "HS512"],
    });
    const key = new TextEncoder().encode(secret);
    const wrong = new TextEncoder().encode("t".repeat(32));
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sign(good({ sub: `u${i}` }), i % 5 === 4 ? wrong : key, {
          alg: i % 2 ? "HS512" : "HS256",
        }),
      ),
    );
    const answers = await Promise.all(
      tokens.map((token) =>
        a.authenticate(token).then(
          (p) => p.userId,
          () => "refused",
        ),
      ),
    );
    expect(answers).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 5 === 4 ? "refused" : `u${i}`)),
    );
    // HS384 is not pinned: refused even when signed with the secret.
    await refusal(a.authenticate(await sign(good(), key, { alg: "HS384" })));
  });

  it("refuses a secret shorter than 32 bytes", () => {
    expect(() =>
      createJwtAuthenticator({ key: { secret: "short" }, issuer: ISS, audience: AUD }),
    ).toThrow(/32 bytes/);
  });
});

describe("createJwtAuthenticator with a remote JWKS", () => {
  let server: Server;
  let jwksUrl: string;
  let served: JWK[] = [];
  let fetches = 0;
  let keyA: Keys;
  let keyB: Keys;

  beforeAll(async () => {
    keyA = await generateKeyPair("ES256", { extractable: true });
    keyB = await generateKeyPair("ES256", { extractable: true });
    served = [{ ...(await exportJWK(keyA.publicKey)), kid: "a", alg: "ES256", use: "sig" }];
    server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it("picks the key by kid, refuses an unknown kid, and follows a rotation", async () => {
    const a = createJwtAuthenticator({
      key: { jwksUrl, cooldownMs: 0 },
      issuer: ISS,
      audience: AUD,
    });
    const tokenA = await sign(good(), keyA.privateKey, { alg: "ES256", kid: "a" });
    expect((await a.authenticate(tokenA)).userId).toBe("u1");

    const tokenB = await sign(good(), keyB.privateKey, { alg: "ES256", kid: "b" });
    const message = await refusal(a.authenticate(tokenB));
    expect(message).toMatch(/unknown key id "b"/);

    // A token signed by key B but claiming kid "a" does not verify either.
    await refusal(a.authenticate(await sign(good(), keyB.privateKey, { alg: "ES256", kid: "a" })));

    // The issuer rotates: key B is published; the unknown kid makes the set refetch.
    served = [
      ...served,
      { ...(await exportJWK(keyB.publicKey)), kid: "b", alg: "ES256", use: "sig" },
    ];
    const before = fetches;
    expect((await a.authenticate(tokenB)).userId).toBe("u1");
    expect(fetches).toBeGreaterThan(before);
  });

  it("answers unavailable, not unauthorized, when the JWKS cannot be fetched", async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const a = createJwtAuthenticator({
      key: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, timeoutMs: 2000 },
      issuer: ISS,
      audience: AUD,
    });
    const error = await a
      .authenticate(await sign(good(), keyA.privateKey, { alg: "ES256", kid: "a" }))
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, "unavailable")).toBe(true);
  });
});

describe("createJwtAuthenticator token versions", () => {
  function source(initial: number | undefined) {
    const s: TokenVersionSource & { version: number | undefined; calls: number } = {
      version: initial,
      calls: 0,
      async getTokenVersion(userId: string) {
        s.calls += 1;
        return userId === "u1" ? s.version : undefined;
      },
    };
    return s;
  }

  it("refuses a token whose ver is older than the user's, after invalidate", async () => {
    const versions = source(0);
    let clock = Date.now();
    const a = createJwtAuthenticator({
      key: { publicKey: pem },
      issuer: ISS,
      audience: AUD,
      tokenVersions: versions,
      versionCacheTtlMs: 5000,
      now: () => clock,
    });
    const v0 = await sign(good({ ver: 0 }));
    await a.authenticate(v0);
    await a.authenticate(v0);
    expect(versions.calls).toBe(1); // cached

    versions.version = 1;
    // Within the TTL another node's revocation is not seen yet...
    await a.authenticate(v0);
    // ...a token newer than the cache makes it look again...
    await a.authenticate(await sign(good({ ver: 1 })));
    expect(versions.calls).toBe(2);
    expect(await refusal(a.authenticate(v0))).toMatch(/revoked/);

    versions.version = 2;
    clock += 6000; // the TTL passed
    await refusal(a.authenticate(await sign(good({ ver: 1 }))));

    versions.version = 3;
    a.invalidate("u1");
    await refusal(a.authenticate(await sign(good({ ver: 2 }))));
    await a.authenticate(await sign(good({ ver: 3 })));
  });

  it("refuses an unknown user or a malformed ver, and ignores tokens without ver", async () => {
    const a = createJwtAuthenticator({
      key: { publicKey: pem },
      issuer: ISS,
      audience: AUD,
      tokenVersions: source(0),
    });
    await refusal(a.authenticate(await sign(good({ sub: "ghost", ver: 0 }))));
    await refusal(a.authenticate(await sign(good({ ver: "0" }))));
    expect((await a.authenticate(await sign(good({ sub: "ghost" })))).userId).toBe("ghost");
  });

  it("answers unavailable when the version source fails", async () => {
    const a = createJwtAuthenticator({
      key: { publicKey: pem },
      issuer: ISS,
      audience: AUD,
      tokenVersions: {
        getTokenVersion: async () => {
          throw new Error("db down");
        },
      },
    });
    const error = await a.authenticate(await sign(good({ ver: 0 }))).catch((e: unknown) => e);
    expect(hasErrorCode(error, "unavailable")).toBe(true);
  });
});
