import { defineConfig } from "tsup";

export default defineConfig({
  // cli: the migrations CLI (`bin` in package.json).
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});
