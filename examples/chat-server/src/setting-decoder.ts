import { type TSchema, TypeGuard } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Setting } from "./settings.js";

/** Booleans accept these words only: `on`, `enabled` and friends are refused, not guessed. */
const TRUE_WORDS = new Set(["true", "1", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "no"]);

/** What a value of `schema` looks like, for an error message. */
export function describeSchema(schema: TSchema): string {
  if (TypeGuard.IsInteger(schema)) {
    const min = schema.minimum;
    const max = schema.maximum;
    if (min !== undefined && max !== undefined && max < Number.MAX_SAFE_INTEGER) {
      return `an integer from ${min} to ${max}`;
    }
    return min !== undefined ? `an integer >= ${min}` : "an integer";
  }
  if (TypeGuard.IsBoolean(schema)) return "true or false (also 1/0, yes/no)";
  if (TypeGuard.IsUnion(schema)) {
    const values = schema.anyOf.map((s) =>
      TypeGuard.IsLiteral(s) ? JSON.stringify(s.const) : "?",
    );
    return `one of ${values.join(", ")}`;
  }
  if (TypeGuard.IsArray(schema)) {
    return schema.description
      ? `a comma-separated list of ${schema.description}`
      : "a comma-separated list";
  }
  if (TypeGuard.IsString(schema)) {
    return schema.minLength !== undefined && schema.minLength > 1
      ? `a text of at least ${schema.minLength} characters`
      : "a text";
  }
  return "a valid value";
}

/** Turns the variable's text into the shape of its schema (numbers, booleans, lists). */
function fromText(schema: TSchema, raw: string): unknown {
  if (TypeGuard.IsInteger(schema) || TypeGuard.IsNumber(schema)) {
    return /^[+-]?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  if (TypeGuard.IsBoolean(schema)) {
    const word = raw.toLowerCase();
    return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : raw;
  }
  if (TypeGuard.IsArray(schema)) {
    return raw
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  }
  return raw;
}

/** Decodes and checks one variable's text against its setting's schema. */
export function decodeSetting(
  setting: Setting,
  raw: string,
): { value: unknown } | { problem: string } {
  const value = fromText(setting.schema, raw);
  if (Value.Check(setting.schema, value)) return { value };
  const shown = setting.secret
    ? "(a secret, not shown)"
    : `"${raw.length > 60 ? `${raw.slice(0, 57)}...` : raw}"`;
  return { problem: `${setting.env} must be ${describeSchema(setting.schema)}, got ${shown}` };
}

/** The known name nearest to a misspelt one (at most 3 edits away), for a hint. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
