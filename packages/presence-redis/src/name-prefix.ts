import { ConfigError } from "@lucky-im/core";

/** The namespace options of the Redis adapters: `prefix`, or its deprecated alias `keyPrefix`. */
export interface PrefixOptions {
  /** The prefix of every key. */
  prefix?: string;
  /** @deprecated Use `prefix`. */
  keyPrefix?: string;
}

/**
 * The key prefix the options give, else `fallback`: `prefix` (the name the broker uses
 * too), or its deprecated alias `keyPrefix`; both with different values is a ConfigError.
 */
export function resolvePrefix(pkg: string, options: PrefixOptions, fallback: string): string {
  const { prefix, keyPrefix } = options;
  if (prefix !== undefined && keyPrefix !== undefined && prefix !== keyPrefix) {
    throw new ConfigError(
      pkg,
      `options prefix and keyPrefix (its deprecated alias) disagree: "${prefix}" and "${keyPrefix}"; set prefix only`,
      { option: "prefix" },
    );
  }
  return prefix ?? keyPrefix ?? fallback;
}
