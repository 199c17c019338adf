import { defineConfig } from "tsup";

export default defineConfig({
  // Only the example's own code: node_modules (and the @lucky-im/* packages) stay external.
  entry: { main: "src/main.ts", cli: "src/cli.ts" },
  format: ["esm"],
  outDir: "dist",
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  dts: false,
});
