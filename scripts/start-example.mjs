#!/usr/bin/env node
// `npm start`: builds the JavaScript the example chat server runs on (ESM only, no .d.ts: that is
// what made a first start take minutes), only for the packages whose sources changed since their
// last build, then starts the server. A second start with nothing changed skips every build.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "..");
const example = join(root, "examples/chat-server");
const tsup = join(root, "node_modules/tsup/dist/cli-default.js");
const started = Date.now();

/** The newest modification time under `path`, skipping node_modules and dist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry !== "node_modules" && entry !== "dist")
      max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

/** The ESM files a package's `exports` point at: what the example imports at runtime. */
function esmEntries(dir, manifest) {
  const found = [];
  const walk = (value, key) => {
    if (typeof value === "string" && key === "default" && value.endsWith(".js")) found.push(value);
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(
    manifest.exports?.["."] ? manifest.exports : { ".": { import: { default: manifest.main } } },
  );
  return found.map((p) => join(dir, p));
}

/** Packages the server never imports: it serves their browser bundle only. */
const BROWSER_ONLY = new Set(["@lucky-im/client"]);

/** One build step: the outputs it makes and the tsup config that makes them. */
function steps(dir, manifest) {
  if (dir === example) return [{ outputs: [join(dir, "dist/main.js")], config: "tsup.config.ts" }];
  const list = BROWSER_ONLY.has(manifest.name)
    ? []
    : [{ outputs: esmEntries(dir, manifest), config: "tsup.config.ts" }];
  if (existsSync(join(dir, "tsup.browser.config.ts"))) {
    list.push({
      outputs: [join(dir, "dist/browser/lucky-im-client.js")],
      config: "tsup.browser.config.ts",
    });
  }
  return list;
}

const readManifest = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const dirOf = (name) => join(root, "packages", name.slice("@lucky-im/".length));
/** The `@lucky-im/*` packages a manifest depends on. */
const luckyDeps = (manifest) =>
  Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith("@lucky-im/"));

// Every package the example needs, its dependencies' dependencies too (@lucky-im/protocol comes
// through core and the client), built in workspace order: a dependency before its dependents (the
// client's browser build inlines the protocol's dist).
const needed = new Set();
const visit = (manifest) => {
  for (const name of luckyDeps(manifest)) {
    if (needed.has(name)) continue;
    needed.add(name);
    visit(readManifest(dirOf(name)));
  }
};
visit(readManifest(example));
const packageDirs = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
  .workspaces.filter((w) => w.startsWith("packages/"))
  .map((w) => join(root, w))
  .filter((dir) => needed.has(readManifest(dir).name));

// JavaScript-only builds do not read each other's output (dependencies stay external), so they
// run side by side: most of a tsup run is starting Node and esbuild, not compiling.
const pending = [];
for (const dir of [...packageDirs, example]) {
  const manifest = readManifest(dir);
  const sources = Math.max(
    ...["src", "package.json", "tsup.config.ts", "tsup.browser.config.ts"].map((f) =>
      newest(join(dir, f)),
    ),
    newest(join(root, "tsup.library.ts")),
    // A dependency's change matters too: the browser build inlines it.
    ...luckyDeps(manifest).map((name) => newest(join(dirOf(name), "src"))),
  );
  for (const { outputs, config } of steps(dir, manifest)) {
    const fresh = outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources);
    if (!fresh) pending.push({ dir, name: manifest.name, config });
  }
}
const run = promisify(execFile);
const build = async ({ dir, name, config }) => {
  console.log(`[start] building ${name} (${config}, JavaScript only)`);
  try {
    await run(process.execPath, [tsup, "--config", config], {
      cwd: dir,
      env: { ...process.env, LUCKY_IM_BUILD_JS_ONLY: "1" },
    });
  } catch (error) {
    process.stderr.write(error.stderr ?? "");
    throw new Error(`[start] building ${name} failed`, { cause: error });
  }
};
const queue = [...pending];
const workers = Array.from(
  { length: Math.min(queue.length, availableParallelism() + 1) },
  async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await build(next);
  },
);
await Promise.all(workers);
const built = pending.length;
console.log(
  `[start] ${built === 0 ? "everything up to date" : `${built} build(s)`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

// In this process: the server's own SIGINT/SIGTERM handling (drain, exit) applies as it is.
await import(pathToFileURL(join(example, "dist/main.js")).href);
