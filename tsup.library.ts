import { defineConfig, type Options } from "tsup";

/**
 * The build every published package shares: ESM + CJS + `.d.ts`/`.d.cts`,
 * with sourcemaps, for Node 20+. A package passes its entries and anything
 * it needs on top.
 */
export function libraryConfig(entry: Options["entry"], extra: Options = {}) {
  // `npm start` (scripts/start-example.mjs) needs only the ESM JavaScript: declarations are what
  // make a build slow. It keeps the rest of dist (no clean) so a typecheck still finds the .d.ts.
  const jsOnly = process.env.LUCKY_IM_BUILD_JS_ONLY === "1";
  return defineConfig({
    entry,
    format: jsOnly ? ["esm"] : ["esm", "cjs"],
    dts: !jsOnly,
    sourcemap: true,
    clean: !jsOnly,
    target: "node20",
    platform: "node",
    ...extra,
  });
}
