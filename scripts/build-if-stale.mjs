#!/usr/bin/env node
// Builds the package in the current directory (`npm run build`) unless its dist is up to date:
// every file the package.json points at exists and is newer than every source file. Used by
// `prepack`, so `npm pack`/`npm publish` never ship an empty or stale package.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

/** Every file path the manifest names (main, module, types, bin, exports). */
function entryFiles(manifest) {
  const found = new Set();
  const walk = (value) => {
    if (typeof value === "string") {
      if (value.startsWith("./dist/") || value.startsWith("dist/")) found.add(value);
    } else if (value && typeof value === "object") {
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk([manifest.main, manifest.module, manifest.types, manifest.bin, manifest.exports]);
  return [...found].map((p) => join(dir, p));
}

/** The newest modification time of the files under `path` (a file or a directory). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "dist") continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

const inputs = ["src", "package.json", "tsconfig.json"]
  .concat(readdirSync(dir).filter((f) => /^tsup.*\.config\.ts$/.test(f)))
  .map((f) => join(dir, f))
  .concat([join(dir, "../../tsup.library.ts"), join(dir, "../../tsconfig.base.json")]);
const sourceTime = Math.max(...inputs.map(newest));
const outputs = entryFiles(pkg);
const missing = outputs.filter((f) => !existsSync(f));
const oldest = missing.length ? 0 : Math.min(...outputs.map((f) => statSync(f).mtimeMs));

if (outputs.length > 0 && missing.length === 0 && oldest >= sourceTime) {
  console.error(`[build-if-stale] ${pkg.name}: dist is up to date`);
} else {
  const why = missing.length
    ? `missing ${missing.map((f) => relative(dir, f)).join(", ")}`
    : "sources are newer than dist";
  console.error(`[build-if-stale] ${pkg.name}: building (${why})`);
  execFileSync("npm", ["run", "build"], { cwd: dir, stdio: ["ignore", process.stderr, "inherit"] });
}
