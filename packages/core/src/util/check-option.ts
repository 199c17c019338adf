import { ConfigError } from "../config-error.js";

/** What {@link checkOption} accepts of a numeric option. */
export interface OptionRule {
  /** The value when the option is `undefined` (checked like a given one). */
  default?: number;
  /** The smallest value allowed (inclusive). */
  min?: number;
  /** A bound the value must exceed (exclusive), for options that must be `> 0`. */
  above?: number;
  /** The largest value allowed (inclusive). */
  max?: number;
  /** Only integers. @default false */
  integer?: boolean;
}

/**
 * The one validator of numeric options, shared by every package: returns the
 * value (or `rule.default` when it is `undefined`), or throws a
 * {@link ConfigError} naming the option, what it must be, and what it got.
 * A finite number is always required.
 *
 * @param pkg - The package whose option it is, without scope (for example `"transport-ws"`).
 * @param name - The option as the caller spells it (for example `"limits.framesPerWindow"`).
 * @param value - The value given.
 * @param rule - What the value must be.
 *
 * @example
 * ```ts
 * const maxConnections = checkOption("store-postgres", "maxConnections", options.maxConnections, {
 *   default: 10,
 *   min: 1,
 *   integer: true,
 * });
 * ```
 */
export function checkOption(
  pkg: string,
  name: string,
  value: number | undefined,
  rule: OptionRule = {},
): number {
  const v = value ?? rule.default;
  const ok =
    typeof v === "number" &&
    Number.isFinite(v) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.above === undefined || v > rule.above) &&
    (rule.max === undefined || v <= rule.max);
  if (!ok) {
    throw new ConfigError(pkg, `option ${name} must be ${describeRule(rule)}, got ${String(v)}`, {
      option: name,
    });
  }
  return v;
}

function describeRule(rule: OptionRule): string {
  const bounds = [
    rule.min !== undefined ? `>= ${rule.min}` : undefined,
    rule.above !== undefined ? `> ${rule.above}` : undefined,
    rule.max !== undefined ? `<= ${rule.max}` : undefined,
  ].filter((b) => b !== undefined);
  const kind = rule.integer ? "an integer" : "a finite number";
  return bounds.length ? `${kind} ${bounds.join(" and ")}` : kind;
}
