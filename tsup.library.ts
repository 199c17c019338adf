import { defineConfig, type Options } from "tsup";

/**
 * The build every published package shares: ESM + CJS + `.d.ts`/`.d.cts`,
 * with sourcemaps, for Node 20+. A package passes its entries and anything
 * it needs on top.
 */
export function libraryConfig(entry: Options["entry"], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    ...extra,
  });
}
