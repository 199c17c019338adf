import { defineConfig } from "tsup";

/**
 * A single-file ESM build for browsers without a bundler (`<script type="module">`,
 * CDNs): dependencies inlined, minified.
 */
export default defineConfig({
  entry: { "lucky-im-client": "src/index.ts" },
  outDir: "dist/browser",
  format: ["esm"],
  platform: "browser",
  target: "es2022",
  noExternal: ["eventemitter3", "@lucky-im/protocol"],
  minify: true,
  sourcemap: true,
  dts: false,
  clean: true,
});
