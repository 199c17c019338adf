// Public API reports: one API Extractor report per package entry point, checked in under
// packages/<name>/api/. `npm run api:update` rewrites them; `npm run api:check` fails when the built
// declarations no longer match the checked-in report, so every public API change shows up as a diff.
//
// Packages come from the root package.json's workspaces (every non-private one with an `exports`
// entry that has types), so a new package gets its report without touching this script. Entry points
// come from each package's `exports`: "." gives <name>.api.md, "./testing" gives <name>-testing.api.md.
// Everything runs in this one process; the packages must be built first (`npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Extractor, ExtractorConfig, ExtractorLogLevel } from "@microsoft/api-extractor";
import { glob } from "tinyglobby";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const mode = process.argv[2];
if (mode !== "update" && mode !== "check") {
  console.error("usage: node scripts/api-report.mjs update|check");
  process.exit(2);
}
const update = mode === "update";

/** The ESM types file of an `exports` entry, or undefined when the entry has none. */
function typesOf(entry) {
  if (typeof entry !== "object" || entry === null) return undefined;
  return entry.import?.types ?? entry.types;
}

async function packages() {
  const { workspaces } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const patterns = (Array.isArray(workspaces) ? workspaces : workspaces.packages).map(
    (w) => `${w}/package.json`,
  );
  const manifests = await glob(patterns, { cwd: root, absolute: true });
  const found = [];
  for (const manifest of manifests.sort()) {
    const pkg = JSON.parse(readFileSync(manifest, "utf8"));
    if (pkg.private || !pkg.exports) continue;
    const dir = path.dirname(manifest);
    const unscoped = pkg.name.replace(/^@[^/]+\//, "");
    const entries = [];
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      const types = typesOf(entry);
      if (!types) continue;
      const suffix = subpath === "." ? "" : `-${subpath.replace(/^\.\//, "").replaceAll("/", "-")}`;
      entries.push({ subpath, types: path.join(dir, types), report: `${unscoped}${suffix}` });
    }
    if (entries.length > 0) found.push({ name: pkg.name, dir, manifest, entries });
  }
  return found;
}

// Check mode writes the fresh reports here (gitignored) so a stale one can be diffed.
const tempRoot = path.join(root, ".out", "api-report");

function configFor(pkg, entry) {
  const configObject = {
    projectFolder: pkg.dir,
    mainEntryPointFilePath: entry.types,
    bundledPackages: [],
    newlineKind: "lf",
    compiler: {
      // The reports describe the published .d.ts files; these options only let the compiler read
      // them (Node and DOM globals appear in the client's and the servers' declarations).
      overrideTsconfig: {
        compilerOptions: {
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2022", "dom"],
          types: ["node"],
          strict: true,
          skipLibCheck: true,
        },
        files: [entry.types],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entry.report,
      reportFolder: path.join(pkg.dir, "api"),
      reportTempFolder: path.join(tempRoot, entry.report),
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: "warning" } },
      extractorMessageReporting: {
        default: { logLevel: "warning", addToApiReportFile: true },
        // Release tags (@public/@beta) are not used here: everything exported is public.
        "ae-missing-release-tag": { logLevel: "none", addToApiReportFile: false },
        // A type reachable from the API but not exported is noted in the report itself.
        // Links use typedoc's resolution (`{@link port}` for a sibling member), checked by typedoc.
        "ae-unresolved-link": { logLevel: "none", addToApiReportFile: false },
        // The report marks an undocumented member "// (undocumented)" already; typedoc is the gate.
        "ae-undocumented": { logLevel: "none", addToApiReportFile: false },
        "ae-forgotten-export": { logLevel: "none", addToApiReportFile: true },
      },
      // TSDoc comments are checked by typedoc (`npm run docs:check`), not here.
      tsdocMessageReporting: { default: { logLevel: "none", addToApiReportFile: false } },
    },
  };
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: path.join(pkg.dir, "api-extractor.json"),
    packageJsonFullPath: pkg.manifest,
  });
}

const stale = [];
const failed = [];
for (const pkg of await packages()) {
  for (const entry of pkg.entries) {
    const label = entry.subpath === "." ? pkg.name : `${pkg.name}/${entry.subpath.slice(2)}`;
    if (!existsSync(entry.types)) {
      failed.push(
        `${label}: ${path.relative(root, entry.types)} is missing; run \`npm run build\``,
      );
      continue;
    }
    mkdirSync(path.join(pkg.dir, "api"), { recursive: true });
    const result = Extractor.invoke(configFor(pkg, entry), {
      localBuild: update,
      showVerboseMessages: false,
      messageCallback(message) {
        // API Extractor's own notes about copying report files assume its CLI workflow; this script
        // prints one line per report instead, and the fix to run when one is stale.
        if (
          (message.messageId.startsWith("console-api-report") &&
            message.messageId !== "console-api-report-diff") ||
          message.logLevel === ExtractorLogLevel.Info ||
          message.logLevel === ExtractorLogLevel.Verbose
        ) {
          message.handled = true;
        }
      },
    });
    const file = path.relative(root, path.join(pkg.dir, "api", `${entry.report}.api.md`));
    if (result.errorCount > 0) {
      failed.push(`${label}: API Extractor reported ${result.errorCount} error(s), see above`);
    } else if (!update && result.apiReportChanged) {
      const fresh = path.relative(
        root,
        path.join(tempRoot, entry.report, `${entry.report}.api.md`),
      );
      stale.push(`${label}: ${file} (what the build exports now: ${fresh})`);
      // Show the change in the log (CI has no other way to see it).
      const diff = spawnSync("git", ["diff", "--no-index", "--no-color", "--", file, fresh], {
        cwd: root,
        encoding: "utf8",
      });
      if (diff.stdout) console.error(diff.stdout);
    } else {
      console.log(`${update && result.apiReportChanged ? "updated" : "ok     "} ${file}`);
    }
  }
}

if (failed.length > 0 || stale.length > 0) {
  for (const line of failed) console.error(`error: ${line}`);
  if (stale.length > 0) {
    console.error("\nThe public API changed, but its API report was not updated:");
    for (const line of stale) console.error(`  ${line}`);
    console.error(
      "\nRun `npm run build && npm run api:update`, review the diff of the report(s), and commit it.",
    );
    console.error("See docs/compatibility.md#api-reports for what counts as a breaking change.");
  }
  process.exit(1);
}
