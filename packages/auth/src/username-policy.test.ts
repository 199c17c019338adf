import { hasErrorCode } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { normalizeUsername } from "./username-policy.js";

const refused = (input: unknown) => {
  try {
    normalizeUsername(input, 64);
  } catch (error) {
    return hasErrorCode(error, "bad_request");
  }
  return false;
};

describe("normalizeUsername", () => {
  it("normalizes compatibility forms with NFKC", () => {
    expect(normalizeUsername("ａｌｉｃｅ", 64)).toBe("alice");
    expect(normalizeUsername("ﬁona", 64)).toBe("fiona");
    expect(normalizeUsername("e\u0301lodie", 64)).toBe("élodie");
  });

  it("refuses a Cyrillic letter in a Latin name and other script mixes", () => {
    expect(refused("\u0430lice")).toBe(true); // Cyrillic а
    expect(refused("p\u0430ypal")).toBe(true);
    expect(refused("\u03bfmega_o")).toBe(true); // Greek ο
    expect(refused("alice\u05d0")).toBe(true); // Hebrew
  });

  it("refuses bidi controls, zero-width and other invisible characters", () => {
    for (const name of [
      "\u202Eecila", // right-to-left override
      "ali\u200Bce", // zero-width space
      "ali\u200Dce", // zero-width joiner
      "alice\u2066", // left-to-right isolate
      "\uFEFFalice", // BOM
      "al\u00ADice", // soft hyphen
      "nul\u0000name",
      "tab\tname",
      "a\u{E0001}lice", // language tag
    ]) {
      expect(refused(name), JSON.stringify(name)).toBe(true);
    }
  });

  it("refuses spaces, which make lookalikes of a name ('alice ', 'al ice', a no-break space)", () => {
    for (const name of ["alice ", " alice", "al ice", "al\u00A0ice", "al\u3000ice"]) {
      expect(refused(name), JSON.stringify(name)).toBe(true);
    }
  });

  it("accepts single-script names and the East Asian combinations", () => {
    for (const name of [
      "alice",
      "bob_42",
      "Ærøskøbing",
      "Дмитрий",
      "Σωκράτης",
      "山田太郎",
      "やまだ_taro",
      "김민준",
      "محمد",
    ]) {
      expect(normalizeUsername(name, 64)).toBe(name.normalize("NFKC"));
    }
  });

  it("refuses empty, too long (after normalizing) and non-string names", () => {
    expect(refused("")).toBe(true);
    expect(refused(42)).toBe(true);
    expect(refused("a".repeat(65))).toBe(true);
    // U+FDFA expands to 18 characters under NFKC.
    expect(refused("\uFDFA".repeat(4))).toBe(true);
    expect(normalizeUsername("a".repeat(64), 64)).toHaveLength(64);
  });
});
