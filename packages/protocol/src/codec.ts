import { TypeCompiler } from "@sinclair/typebox/compiler";
import { ImError } from "./errors.js";
import {
  DEFAULT_JSON_LIMITS,
  exceedsBytes,
  isIllFormed,
  type JsonLimits,
  nestsDeeperThan,
} from "./json-limits.js";
import { CLIENT_FRAME_SCHEMAS, type ClientFrame, type ServerFrame } from "./schemas.js";

/** Keys that could reach an object's prototype if merged carelessly. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

import type { TSchema } from "@sinclair/typebox";
import type { TypeCheck } from "@sinclair/typebox/compiler";

// Compiled once at load: validation is then a JIT-generated function per frame type.
const validators = new Map<string, TypeCheck<TSchema>>(
  Object.entries(CLIENT_FRAME_SCHEMAS).map(([type, schema]) => [
    type,
    TypeCompiler.Compile<TSchema>(schema),
  ]),
);

/** What {@link decodeClientFrame} returns. */
export type DecodeResult =
  | {
      /** The frame is valid. */
      ok: true;
      /** The decoded frame. */
      frame: ClientFrame;
    }
  | {
      /** The frame is invalid. */
      ok: false;
      /** Why (`bad_frame`, `unknown_type`, ...). */
      error: ImError;
      /** The frame's `cid`, when one could be read (the `error` frame echoes it). */
      cid?: string;
      /** The frame's `type`, when one could be read. */
      type?: string;
    };

/**
 * Parses JSON; a frame that even mentions a prototype key or an escape is parsed by the
 * slower, checking path. Size and depth are checked on the text first, without recursion:
 * a value nested thousands deep would later overflow the stack of whatever walks it.
 */
function parseJson(text: string, limits: JsonLimits): unknown {
  if (exceedsBytes(text, limits.maxBytes)) {
    throw new ForbiddenContentError(readCid(text), `frame is larger than ${limits.maxBytes} bytes`);
  }
  if (nestsDeeperThan(text, limits.maxDepth)) {
    throw new ForbiddenContentError(
      readCid(text),
      `JSON nested deeper than ${limits.maxDepth} levels`,
    );
  }
  // A lone surrogate is stored differently by every backend (PostgreSQL refuses it in json,
  // turns it into U+FFFD in text): refuse it, raw here or escaped in the reviver below.
  if (isIllFormed(text)) {
    throw new ForbiddenContentError(readCid(text), ILL_FORMED_MESSAGE);
  }
  // NUL cannot be stored by every backend (PostgreSQL text refuses it): refuse it in any frame.
  // In JSON it can only appear escaped.
  if (text.includes("\\u0000")) {
    throw new ForbiddenContentError(readCid(text), "NUL characters are not allowed in frames");
  }
  // A key may be spelled with escapes ("\u005f_proto__"): any escape takes the checking path.
  if (
    text.includes("__proto__") ||
    text.includes("constructor") ||
    text.includes("prototype") ||
    text.includes("\\u")
  ) {
    let forbidden: string | undefined;
    let illFormed = false;
    // The reviver drops the keys (so the rest, such as the cid, can still be read) and remembers
    // them; it also finds the lone surrogates an escape (`"\\ud800"`) made. The depth check above
    // bounds its recursion.
    const value: unknown = JSON.parse(text, (key, v) => {
      if (isIllFormed(key) || (typeof v === "string" && isIllFormed(v))) illFormed = true;
      if (!FORBIDDEN_KEYS.has(key)) return v;
      forbidden ??= key;
      return undefined;
    });
    const rawCid = (value as { cid?: unknown } | null)?.cid;
    const cid = typeof rawCid === "string" && !isIllFormed(rawCid) ? rawCid : undefined;
    if (forbidden !== undefined) throw new ForbiddenKeyError(forbidden, cid);
    if (illFormed) throw new ForbiddenContentError(cid, ILL_FORMED_MESSAGE);
    return value;
  }
  return JSON.parse(text);
}

const ILL_FORMED_MESSAGE = "strings must be well-formed UTF-16 (no lone surrogates)";

/**
 * The frame's `cid`, read without keeping anything else (for an error about the frame).
 * `JSON.parse` without a reviver does not recurse, so a deep frame is safe here; an
 * ill-formed cid is not echoed (it could not be matched anyway).
 */
function readCid(text: string): string | undefined {
  try {
    const cid = (JSON.parse(text) as { cid?: unknown } | null)?.cid;
    return typeof cid === "string" && !isIllFormed(cid) ? cid : undefined;
  } catch {
    return undefined;
  }
}

class ForbiddenContentError extends Error {
  constructor(
    readonly cid: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

class ForbiddenKeyError extends Error {
  constructor(
    readonly key: string,
    readonly cid: string | undefined,
  ) {
    super(`forbidden key "${key}" in frame`);
  }
}

/**
 * Parses and validates one inbound text frame. It never throws: a bad frame
 * comes back as `{ ok: false, error }` with code `bad_request` (and the
 * frame's `cid` when one could be read, so the client can match the error).
 * A frame over `limits` (size, nesting depth) or with a lone surrogate in any
 * string is refused the same way.
 */
export function decodeClientFrame(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): DecodeResult {
  let value: unknown;
  try {
    value = parseJson(text, limits);
  } catch (cause) {
    if (cause instanceof ForbiddenContentError) {
      const error = new ImError("bad_request", cause.message);
      return cause.cid === undefined ? { ok: false, error } : { ok: false, error, cid: cause.cid };
    }
    if (cause instanceof ForbiddenKeyError) {
      const error = new ImError("bad_request", cause.message);
      return cause.cid === undefined ? { ok: false, error } : { ok: false, error, cid: cause.cid };
    }
    return { ok: false, error: new ImError("bad_request", "malformed JSON", { cause }) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: new ImError("bad_request", "a frame must be a JSON object") };
  }
  const record = value as Record<string, unknown>;
  const type = record.type;
  const cid = typeof record.cid === "string" ? record.cid : undefined;
  if (typeof type !== "string") {
    return { ok: false, error: new ImError("bad_request", 'a frame needs a string "type"'), cid };
  }
  const validator = validators.get(type);
  if (!validator) {
    return {
      ok: false,
      error: new ImError("bad_request", `unknown frame type "${type}"`),
      cid,
      type,
    };
  }
  if (!validator.Check(value)) {
    const first = validator.Errors(value).First();
    const where = first ? `${first.path || "/"}: ${first.message}` : "invalid";
    return {
      ok: false,
      error: new ImError("bad_request", `invalid "${type}" frame at ${where}`),
      cid,
      type,
    };
  }
  return { ok: true, frame: value as ClientFrame };
}

/** Serializes a server frame. Serialize once and send the string to many sessions. */
export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** Builds an `error` frame. */
export function errorFrame(error: ImError, cid?: string): ServerFrame {
  return cid === undefined
    ? { type: "error", code: error.code, message: error.message }
    : { type: "error", code: error.code, message: error.message, cid };
}
