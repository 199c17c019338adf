import { ImError } from "@lucky-im/protocol";

/** Options of {@link ConfigError}. */
export interface ConfigErrorOptions {
  /** The option at fault, as the caller spells it (for example `"limits.framesPerWindow"`). */
  option?: string;
  /** The underlying error, kept for logs. */
  cause?: unknown;
}

/**
 * A configuration error: an option a factory or constructor of any Lucky IM
 * package refused (a number out of range, a missing connection, two options
 * that exclude each other). It is an {@link ImError} with code `bad_request`
 * and `details.option` naming the option, thrown synchronously (or by the
 * returned promise of an async factory) before anything was opened.
 *
 * Recognize it with {@link isConfigError} rather than `instanceof` (a dual
 * ESM/CJS install may load the class twice).
 */
export class ConfigError extends ImError {
  /** The option at fault, when one option is. */
  readonly option: string | undefined;
  /** Marks the object as a ConfigError across duplicated module instances. */
  readonly isConfigError = true as const;

  /**
   * @param pkg - The package that refused it, without scope (for example `"store-postgres"`).
   * @param message - What is wrong, naming the option as the caller spells it.
   */
  constructor(pkg: string, message: string, options: ConfigErrorOptions = {}) {
    super("bad_request", `[lucky-im] [${pkg}] ${message}`, {
      cause: options.cause,
      details: options.option === undefined ? undefined : { option: options.option },
    });
    this.name = "ConfigError";
    this.option = options.option;
  }
}

/** True for a {@link ConfigError}, from any copy of this module. */
export function isConfigError(value: unknown): value is ConfigError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { isConfigError?: unknown }).isConfigError === true
  );
}
