import { ConfigError } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { createPasswordHasher } from "./password-hasher.js";

describe("createPasswordHasher", () => {
  it("hashes at the OWASP cost by default and verifies", async () => {
    const hasher = createPasswordHasher();
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify("correct horse battery staple", hash)).toBe(true);
    expect(await hasher.verify("correct horse battery stapler", hash)).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it("salts every hash", async () => {
    const hasher = createPasswordHasher({ logN: 10 });
    expect(await hasher.hash("same")).not.toBe(await hasher.hash("same"));
  });

  it("verifies hashes made at another cost and asks for a rehash", async () => {
    const cheap = createPasswordHasher({ logN: 10 });
    const current = createPasswordHasher({ logN: 11 });
    const old = await cheap.hash("pässword");
    expect(await current.verify("pässword", old)).toBe(true);
    expect(current.needsRehash(old)).toBe(true);
    expect(cheap.needsRehash(old)).toBe(false);
    expect(createPasswordHasher({ logN: 10, keyLength: 64 }).needsRehash(old)).toBe(true);
  });

  it("normalises Unicode (NFKC) before hashing", async () => {
    const hasher = createPasswordHasher({ logN: 10 });
    const hash = await hasher.hash("caf\u00e9");
    expect(await hasher.verify("cafe\u0301", hash)).toBe(true);
  });

  it("refuses garbage and out-of-bounds parameters without throwing", async () => {
    const hasher = createPasswordHasher({ logN: 10 });
    const hash = await hasher.hash("pw");
    expect(await hasher.verify("pw", "plain-text")).toBe(false);
    expect(await hasher.verify("pw", hash.replace("ln=10", "ln=30"))).toBe(false);
    expect(await hasher.verify("pw", hash.replace("r=8", "r=999"))).toBe(false);
    expect(hasher.needsRehash("plain-text")).toBe(true);
    expect(() => createPasswordHasher({ logN: 40 })).toThrow(ConfigError);
  });
});
