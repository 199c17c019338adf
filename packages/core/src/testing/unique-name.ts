import { randomBytes } from "node:crypto";

/**
 * A name no other test or run picks: `prefix`, then the time and a random
 * suffix, joined by `_` (no `:`, `.` nor whitespace, so it fits a schema,
 * key prefix, queue prefix or id).
 *
 * @example
 * ```ts
 * const schema = uniqueName("conformance"); // "conformance_m1x2y3z4_9f3a1c2b"
 * ```
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}
