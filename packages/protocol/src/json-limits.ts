/** Limits on a client frame's JSON, checked before it is parsed. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays, the frame object itself counting as 1. */
  maxDepth: number;
  /** Largest frame, in UTF-8 bytes of its text (so also of every JSON value in it). */
  maxBytes: number;
}

/**
 * The limits the server's decoder applies when given none (the engine's defaults): 32 levels,
 * 64 KiB. `maxBytes` is also the client's default `maxPayloadBytes`.
 */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxDepth: 32,
  maxBytes: 65_536,
});

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in a JSON text, found by one loop over its
 * characters (no recursion, so a hostile depth cannot overflow the stack). Stops as soon
 * as `stopAbove` is exceeded. Malformed JSON gives some number; `JSON.parse` refuses it later.
 */
export function jsonDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/**
 * True when the JSON text may nest deeper than `maxDepth`. The depth cannot exceed the number
 * of `{` and `[` characters (inside strings too), which `indexOf` counts far faster than a loop
 * over every character; only a text with more openers than `maxDepth` is walked by {@link jsonDepth}.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let openers = 0;
  for (const opener of ["{", "["]) {
    let at = text.indexOf(opener);
    while (at !== -1) {
      if (++openers > maxDepth) return jsonDepth(text, maxDepth) > maxDepth;
      at = text.indexOf(opener, at + 1);
    }
  }
  return false;
}

/** UTF-8 byte length of a string, measured only when its length alone cannot settle `limit`. */
export function exceedsBytes(text: string, limit: number): boolean {
  // A UTF-16 code unit takes 1 to 3 UTF-8 bytes.
  if (text.length * 3 <= limit) return false;
  if (text.length > limit) return true;
  return Buffer.byteLength(text, "utf8") > limit;
}

/** True when the string holds a lone surrogate (ill-formed UTF-16, which no store keeps alike). */
export function isIllFormed(text: string): boolean {
  return !(text as string & { isWellFormed(): boolean }).isWellFormed();
}
