import { authError } from "./internal/errors.js";

// Invisible or direction-changing code points: controls, format characters (bidi
// overrides and isolates, zero-width space/joiners, BOM), other default-ignorables,
// private use, unassigned code points and lone surrogates. None belongs in a name.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;

// Characters that belong to no one script (digits, punctuation, marks) mix with any.
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;

const SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  "Latin",
  "Greek",
  "Cyrillic",
  "Armenian",
  "Georgian",
  "Hebrew",
  "Arabic",
  "Devanagari",
  "Bengali",
  "Tamil",
  "Thai",
  "Han",
  "Hiragana",
  "Katakana",
  "Bopomofo",
  "Hangul",
].map((name) => [name, new RegExp(`\\p{Script=${name}}`, "u")] as const);

// UTS #39 "highly restrictive": one script, or one of these East Asian combinations
// (which may also include Latin).
const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(["Latin", "Han", "Hiragana", "Katakana"]),
  new Set(["Latin", "Han", "Bopomofo"]),
  new Set(["Latin", "Han", "Hangul"]),
];

function scriptOf(char: string): string | undefined {
  if (NEUTRAL.test(char)) return undefined;
  for (const [name, pattern] of SCRIPTS) if (pattern.test(char)) return name;
  // Any other script counts as one more: alone it is fine, mixed with another it is not.
  return "Other";
}

/**
 * The canonical form of a username: NFKC-normalized (so full-width letters,
 * ligatures and other compatibility forms become the plain ones), and refused
 * with `bad_request` when empty or longer than `maxLength` after normalizing,
 * when it contains invisible or direction-changing characters (bidi controls,
 * zero-width characters, controls), or when it mixes scripts (`аlice` with a
 * Cyrillic `а`), except for the Chinese, Japanese and Korean combinations with
 * Latin that UTS #39 calls highly restrictive.
 *
 * @example
 * ```ts
 * normalizeUsername("ａｌｉｃｅ", 64); // "alice"
 * normalizeUsername("\u0430lice", 64); // throws bad_request: mixes Cyrillic and Latin
 * ```
 */
export function normalizeUsername(input: unknown, maxLength: number): string {
  if (typeof input !== "string" || input.length === 0) {
    throw authError("bad_request", `username must be 1 to ${maxLength} characters`);
  }
  // Check before normalizing too: NFKC would need the time of a longer string.
  if (input.length > maxLength * 4) {
    throw authError("bad_request", `username must be 1 to ${maxLength} characters`);
  }
  if (INVISIBLE.test(input)) {
    throw authError(
      "bad_request",
      "username must not contain control, invisible or text-direction characters",
    );
  }
  const username = input.normalize("NFKC");
  if (username.length === 0 || username.length > maxLength) {
    throw authError("bad_request", `username must be 1 to ${maxLength} characters`);
  }
  if (INVISIBLE.test(username)) {
    throw authError(
      "bad_request",
      "username must not contain control, invisible or text-direction characters",
    );
  }
  // "alice " or "al ice" beside "alice": spaces (NFKC makes a no-break space a space) only confuse.
  if (/\p{Zs}/u.test(username)) {
    throw authError("bad_request", "username must not contain spaces");
  }
  const scripts = new Set<string>();
  for (const char of username) {
    const script = scriptOf(char);
    if (script !== undefined) scripts.add(script);
  }
  if (scripts.size > 1 && !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)))) {
    throw authError(
      "bad_request",
      `username must not mix scripts (found ${[...scripts].sort().join(", ")})`,
    );
  }
  return username;
}
