import { hasErrorCode, isImError } from "@lucky-im/core";
import { CompactEncrypt, generateKeyPair, importJWK, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { createEncryptionKeyRing } from "./encryption-key-ring.js";

async function encrypt(
  jwk: JWK,
  plaintext: string,
  enc = "A256GCM",
  alg = "RSA-OAEP-256",
  kid: string | undefined = jwk.kid,
) {
  const key = await importJWK({ ...jwk, alg }, alg);
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader(kid === undefined ? { alg, enc } : { alg, enc, kid })
    .encrypt(key);
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe("createEncryptionKeyRing", () => {
  it("publishes an RSA-OAEP-256 public JWK without private members", async () => {
    const ring = createEncryptionKeyRing();
    const jwk = await ring.publicJwk();
    expect(jwk).toMatchObject({ kty: "RSA", alg: "RSA-OAEP-256", use: "enc" });
    expect(typeof jwk.kid).toBe("string");
    expect(Object.keys(jwk).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
  });

  it("decrypts A256GCM and A128GCM, with or without kid", async () => {
    const ring = createEncryptionKeyRing();
    const jwk = await ring.publicJwk();
    expect(await ring.decrypt(await encrypt(jwk, "pässwörd ✓"))).toBe("pässwörd ✓");
    expect(await ring.decrypt(await encrypt(jwk, "pw128", "A128GCM"))).toBe("pw128");
    expect(
      await ring.decrypt(await encrypt(jwk, "no kid", "A256GCM", "RSA-OAEP-256", undefined)),
    ).toBe("no kid");
  });

  it("refuses other algorithms and malformed input as bad_request", async () => {
    const ring = createEncryptionKeyRing();
    const jwk = await ring.publicJwk();
    const sha1 = await failure(ring.decrypt(await encrypt(jwk, "pw", "A256GCM", "RSA-OAEP")));
    expect(sha1.code).toBe("bad_request");
    const cbc = await failure(ring.decrypt(await encrypt(jwk, "pw", "A128CBC-HS256")));
    expect(cbc.code).toBe("bad_request");
    expect((await failure(ring.decrypt("nope"))).code).toBe("bad_request");
    expect((await failure(ring.decrypt("x".repeat(10_000)))).code).toBe("bad_request");
  });

  it("refuses a JWE encrypted to another key with the same kid as unauthorized", async () => {
    const ring = createEncryptionKeyRing();
    const kid = (await ring.publicJwk()).kid;
    const { publicKey } = await generateKeyPair("RSA-OAEP-256", { extractable: true });
    const jwe = await new CompactEncrypt(new TextEncoder().encode("pw"))
      .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", kid })
      .encrypt(publicKey);
    expect((await failure(ring.decrypt(jwe))).code).toBe("unauthorized");
  });

  it("keeps a rotated-out key for the grace period, then refuses it by kid", async () => {
    let clock = 1_000_000;
    const ring = createEncryptionKeyRing({ graceMs: 60_000, now: () => clock });
    const old = await ring.publicJwk();
    const oldJwe = await encrypt(old, "before rotation");
    const fresh = await ring.rotate();
    expect(fresh.kid).not.toBe(old.kid);
    expect((await ring.publicJwk()).kid).toBe(fresh.kid);
    clock += 59_000;
    expect(await ring.decrypt(oldJwe)).toBe("before rotation");
    expect(await ring.decrypt(await encrypt(fresh, "after"))).toBe("after");
    clock += 2_000;
    const error = await failure(ring.decrypt(oldJwe));
    expect(hasErrorCode(error, "unauthorized")).toBe(true);
    expect(error.message).toContain(`unknown key id "${old.kid}"`);
    expect(await ring.exportPrivateJwks()).toHaveLength(1);
  });

  it("shares keys between nodes through exported private JWKs", async () => {
    const a = createEncryptionKeyRing();
    const jwe = await encrypt(await a.publicJwk(), "shared");
    const b = createEncryptionKeyRing({ keys: await a.exportPrivateJwks() });
    expect((await b.publicJwk()).kid).toBe((await a.publicJwk()).kid);
    expect(await b.decrypt(jwe)).toBe("shared");
  });

  it("refuses a public key as a ring key", async () => {
    const ring = createEncryptionKeyRing({
      keys: [{ kty: "RSA", n: "AQAB", e: "AQAB" }],
    });
    await expect(ring.publicJwk()).rejects.toThrow(/private RSA JWK/);
  });
});
