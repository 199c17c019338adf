/**
 * Checks the relative links of the repository's Markdown (READMEs, docs/ and
 * its guides): every linked file or folder must exist, and a `#fragment` into
 * a Markdown file must name one of its headings. External links are not
 * fetched (CI must not depend on other sites); the HTML site built by typedoc
 * is checked by linkinator in `npm run docs:check`.
 *
 * Usage: tsx scripts/check-markdown-links.ts [files...] (default: every README and docs/**.md)
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { globSync } from "tinyglobby";

const DEFAULT_PATTERNS = [
  "README.md",
  "docs/**/*.md",
  "packages/*/README.md",
  "examples/*/README.md",
  "bench/README.md",
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_~[\]()]/g, "")
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const match = inFence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!match) continue;
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The link targets of a Markdown text, outside code blocks and code spans. */
function linksOf(text: string): string[] {
  const links: string[] = [];
  let inFence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    const prose = line.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push(match[1]!);
    }
    for (const match of prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)) links.push(match[1]!);
  }
  return links;
}

const patterns = process.argv.slice(2);
const files = globSync(patterns.length > 0 ? patterns : DEFAULT_PATTERNS, {
  ignore: ["**/node_modules/**", "docs/api/**"],
}).sort();

const broken: string[] = [];
let checked = 0;
for (const file of files) {
  for (const link of linksOf(readFileSync(file, "utf8"))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:, ...
    checked += 1;
    const [path = "", fragment] = link.split("#", 2);
    const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(target)) {
      broken.push(`${file}: ${link} (no such file)`);
      continue;
    }
    if (fragment && statSync(target).isFile() && target.endsWith(".md")) {
      if (!anchorsOf(target).has(fragment.toLowerCase())) {
        broken.push(`${file}: ${link} (no heading #${fragment} in ${relative(".", target)})`);
      }
    }
  }
}

if (broken.length > 0) {
  console.error(`${broken.length} broken link(s) in ${files.length} Markdown files:`);
  for (const line of broken) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`markdown links: ${checked} relative links in ${files.length} files, none broken`);
