#!/usr/bin/env node
// Asserts what every package would publish (`npm pack --dry-run --json`, which runs `prepack` and
// so builds a stale dist): every file its package.json points at (ESM, CJS, .d.ts, .d.cts of each
// entry), README.md, LICENSE and package.json. An empty or half-built package fails here.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const only = process.argv.slice(2);
let failed = 0;

/** Every `dist/` path the manifest names (main, module, types, bin, exports), without `./`. */
function entryFiles(manifest) {
  const found = new Set();
  const walk = (value) => {
    if (typeof value === "string") {
      const path = value.replace(/^\.\//, "");
      if (path.startsWith("dist/")) found.add(path);
    } else if (value && typeof value === "object") {
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk([manifest.main, manifest.module, manifest.types, manifest.bin, manifest.exports]);
  return [...found];
}

for (const dir of workspaces.filter((w) => w.startsWith("packages/"))) {
  const cwd = join(root, dir);
  const manifest = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8"));
  if (only.length > 0 && !only.includes(manifest.name)) continue;
  const out = execFileSync("npm", ["pack", "--dry-run", "--json"], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [info] = JSON.parse(out.slice(out.lastIndexOf("\n[\n") + 1));
  const files = new Set(info.files.map((f) => f.path));
  const required = [...entryFiles(manifest), "README.md", "LICENSE", "package.json"];
  const kinds = { esm: /\.js$/, cjs: /\.cjs$/, types: /\.d\.ts$/, "CJS types": /\.d\.cts$/ };
  const missing = required.filter((f) => !files.has(f));
  // npm publish rewrites a bin path it would normalise ("./dist/cli.js") and reports it
  // "invalid and removed": write bins as npm stores them, so what is checked is what ships.
  for (const [name, path] of Object.entries(manifest.bin ?? {})) {
    if (path.startsWith("./"))
      missing.push(`(bin "${name}": write "${path.slice(2)}", not "${path}")`);
  }
  for (const [kind, pattern] of Object.entries(kinds)) {
    if (!required.some((f) => pattern.test(f))) missing.push(`(no ${kind} entry in package.json)`);
  }
  if (missing.length > 0) {
    failed += 1;
    console.error(`[check-tarballs] ${manifest.name}: the tarball lacks ${missing.join(", ")}`);
  } else {
    console.log(
      `[check-tarballs] ${manifest.name}: ${files.size} files, entries, README.md, LICENSE`,
    );
  }
}
process.exit(failed > 0 ? 1 : 0);
