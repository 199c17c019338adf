import { describe, expect, it } from "vitest";
import { createFileUrlSigner } from "../src/index.js";

const secret = "a-file-url-secret-of-at-least-32-bytes!";

describe("createFileUrlSigner", () => {
  it("verifies its own grant until it expires", () => {
    let clock = 1_000_000;
    const signer = createFileUrlSigner({ secret, ttlSeconds: 60, now: () => clock });
    const grant = signer.sign("fileA");
    expect(grant.expires).toBe(1_060_000);
    expect(grant.query).toBe(`expires=1060000&sig=${grant.signature}`);
    expect(signer.verify("fileA", String(grant.expires), grant.signature)).toBe(true);
    clock = 1_059_999;
    expect(signer.verify("fileA", grant.expires, grant.signature)).toBe(true);
    clock = 1_060_000;
    expect(signer.verify("fileA", String(grant.expires), grant.signature)).toBe(false);
  });

  it("refuses a grant for another file, a moved expiry, a changed signature, another key", () => {
    const clock = 5_000;
    const signer = createFileUrlSigner({ secret, now: () => clock });
    const grant = signer.sign("fileA");
    expect(signer.verify("fileB", String(grant.expires), grant.signature)).toBe(false);
    expect(signer.verify("fileA", String(grant.expires + 1000), grant.signature)).toBe(false);
    const flipped = `${grant.signature[0] === "A" ? "B" : "A"}${grant.signature.slice(1)}`;
    expect(signer.verify("fileA", String(grant.expires), flipped)).toBe(false);
    expect(signer.verify("fileA", String(grant.expires), grant.signature.slice(1))).toBe(false);
    const other = createFileUrlSigner({ secret: `${secret}-other`, now: () => clock });
    expect(other.verify("fileA", String(grant.expires), grant.signature)).toBe(false);
    for (const expires of [undefined, "", "1e9", " 1", "NaN", [String(grant.expires)]]) {
      expect(signer.verify("fileA", expires, grant.signature)).toBe(false);
    }
    expect(signer.verify("fileA", String(grant.expires), undefined)).toBe(false);
  });

  it("takes only the signature's own spelling, not one with stray characters the decoder skips", () => {
    const clock = 5_000;
    const signer = createFileUrlSigner({ secret, now: () => clock });
    const grant = signer.sign("fileA");
    const expires = String(grant.expires);
    expect(signer.verify("fileA", expires, grant.signature)).toBe(true);
    // Each of these decodes to the same bytes with Buffer.from(..., "base64url").
    for (const spelling of [`${grant.signature}=`, `${grant.signature}!`, `.${grant.signature}`]) {
      expect(
        Buffer.from(spelling, "base64url").equals(Buffer.from(grant.signature, "base64url")),
      ).toBe(true);
      expect(signer.verify("fileA", expires, spelling)).toBe(false);
    }
  });

  it("refuses a short secret and a non-positive life", () => {
    expect(() => createFileUrlSigner({ secret: "short" })).toThrow(RangeError);
    expect(() => createFileUrlSigner({ secret, ttlSeconds: 0 })).toThrow(RangeError);
  });
});
