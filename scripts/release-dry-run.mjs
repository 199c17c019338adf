#!/usr/bin/env node
// `npm run release:dry-run`: everything `npm run release` does except publishing. Shows the
// changesets release plan (and validates .changeset/config.json: the fixed group must name real
// packages), checks every tarball's contents (prepack builds a stale dist), then runs
// `npm publish --dry-run` for every public package. CI runs it; it needs no npm credentials.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const run = (command, args, cwd = root) =>
  execFileSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
const say = (line) => console.log(`[release:dry-run] ${line}`);

say("release plan (changeset status)");
// `--since=HEAD`: show the plan and validate the config without failing a branch whose commits
// carry no changeset (a test-only change needs none; review asks for the others).
run(process.execPath, [
  join(root, "node_modules/@changesets/cli/bin.js"),
  "status",
  "--verbose",
  "--since=HEAD",
]);

say("tarball contents");
run(process.execPath, [join(root, "scripts/check-tarballs.mjs")]);

const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const dir of workspaces.filter((w) => w.startsWith("packages/"))) {
  const cwd = join(root, dir);
  const manifest = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8"));
  if (manifest.private) continue;
  say(`npm publish --dry-run ${manifest.name}@${manifest.version}`);
  // No provenance here: it needs the CI's OIDC token, which only the real release has.
  run("npm", ["publish", "--dry-run", "--provenance=false", "--loglevel=warn"], cwd);
}
say("passed: nothing was published");
