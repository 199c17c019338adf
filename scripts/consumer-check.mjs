#!/usr/bin/env node
// The packaging gate: packs every package (prepack builds a stale dist), installs the tarballs
// into throwaway projects in four module setups (ESM node16, ESM nodenext, CJS node16, bundler),
// type-checks each package's test/consumer/smoke.ts there without skipLibCheck, and runs it.
// One npm install serves all four setups (they are subfolders of one project).
import { execFile as execFileCb } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";

const execFile = promisify(execFileCb);
const root = join(import.meta.dirname, "..");
const keep = process.argv.includes("--keep");
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line) => console.log(`[consumer-check] ${line}`);

/** The module setups a consumer may use, as tsconfig options plus the package.json `type`. */
const setups = {
  "esm-node16": {
    type: "module",
    compilerOptions: { module: "node16", moduleResolution: "node16" },
  },
  "esm-nodenext": {
    type: "module",
    compilerOptions: { module: "nodenext", moduleResolution: "nodenext" },
  },
  "cjs-node16": {
    type: "commonjs",
    compilerOptions: { module: "node16", moduleResolution: "node16" },
  },
  bundler: {
    type: "module",
    compilerOptions: { module: "esnext", moduleResolution: "bundler", lib: ["ES2022", "DOM"] },
  },
};

const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const packageDirs = rootManifest.workspaces.filter((w) => w.startsWith("packages/"));
const versionOf = (name) =>
  JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;

async function run(command, args, cwd) {
  try {
    return await execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: process.env });
  } catch (error) {
    error.message = `${command} ${args.join(" ")} (in ${cwd}) failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`;
    throw error;
  }
}

const work = mkdtempSync(join(tmpdir(), "lucky-im-consumer-"));
const failures = [];
try {
  // 1. Pack, in workspace order (a package's dependencies are built first).
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  const packages = [];
  for (const dir of packageDirs) {
    const { stdout } = await run(
      "npm",
      ["pack", "--json", "--pack-destination", tarballs],
      join(root, dir),
    );
    const [info] = JSON.parse(stdout.slice(stdout.lastIndexOf("\n[\n") + 1));
    packages.push({ dir, name: info.name, tarball: join(tarballs, info.filename) });
  }
  say(`packed ${packages.length} packages (${elapsed()})`);

  // 2. One install for every setup.
  const project = join(work, "project");
  mkdirSync(project);
  const dependencies = Object.fromEntries(packages.map((p) => [p.name, `file:${p.tarball}`]));
  for (const name of ["ws", "@types/ws", "@types/node"]) dependencies[name] = versionOf(name);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "consumer",
        private: true,
        dependencies,
        overrides: Object.fromEntries(packages.map((p) => [p.name, `$${p.name}`])),
      },
      null,
      2,
    ),
  );
  await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
    project,
  );
  say(`installed the tarballs (${elapsed()})`);

  // 3. Per setup: type-check and compile every smoke test, then run each.
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const checkSetup = async ([setup, { type, compilerOptions }]) => {
    const dir = join(project, setup);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: `consumer-${setup}`, private: true, type }),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022"],
          strict: true,
          skipLibCheck: false,
          types: ["node"],
          outDir: "dist",
          rootDir: "src",
          ...compilerOptions,
        },
        include: ["src"],
      }),
    );
    for (const p of packages) {
      cpSync(
        join(root, p.dir, "test/consumer/smoke.ts"),
        join(dir, "src", `${basename(p.dir)}.ts`),
      );
    }
    try {
      await run(process.execPath, [tsc, "-p", dir], dir);
    } catch (error) {
      failures.push(`${setup}: type-check\n${error.message}`);
      return;
    }
    for (const p of packages) {
      try {
        const { stdout } = await run(
          process.execPath,
          [join(dir, "dist", `${basename(p.dir)}.js`)],
          dir,
        );
        if (!stdout.includes(`${p.name} ok`)) throw new Error(`no "${p.name} ok" in: ${stdout}`);
      } catch (error) {
        failures.push(`${setup}: ${p.name}\n${error.message}`);
      }
    }
    say(`${setup}: type-checked and ran ${packages.length} smoke programs (${elapsed()})`);
  };
  // Two at a time: tsc is CPU-bound and CI machines have two cores.
  const queue = Object.entries(setups);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await checkSetup(next);
  };
  await Promise.all([worker(), worker()]);
} catch (error) {
  failures.push(error.message);
} finally {
  if (keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  for (const failure of failures) console.error(`[consumer-check] FAILED ${failure}\n`);
  say(`${failures.length} failure(s) in ${elapsed()}`);
  process.exit(1);
}
say(`all setups passed in ${elapsed()}`);
