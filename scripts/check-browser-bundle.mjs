#!/usr/bin/env node
// The client's single-file browser build (dist/browser/lucky-im-client.js): prints its gzipped size
// and fails when it exceeds the budget or contains TypeBox. The client uses only the constants, codes
// and types of @lucky-im/protocol; if TypeBox shows up, something made the schemas or the decoder
// reachable (a bundled protocol index, a runtime import of a schema), and browsers would download it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_GZIP_BYTES = 10 * 1024;
const file = join(import.meta.dirname, "../packages/client/dist/browser/lucky-im-client.js");
const code = readFileSync(file);
const gzipped = gzipSync(code, { level: 9 }).length;
const problems = [];
// TypeBox tags every schema with this symbol; its compiler names itself.
if (code.includes("TypeBox.Kind") || code.includes("TypeCompiler")) {
  problems.push("it contains TypeBox (the protocol's schemas or decoder were bundled)");
}
if (gzipped > BUDGET_GZIP_BYTES) {
  problems.push(`${gzipped} bytes gzipped is over the budget of ${BUDGET_GZIP_BYTES}`);
}
const size = `${code.length} bytes, ${gzipped} bytes gzipped`;
if (problems.length > 0) {
  console.error(`[check-browser-bundle] lucky-im-client.js (${size}): ${problems.join("; ")}`);
  process.exit(1);
}
console.log(`[check-browser-bundle] lucky-im-client.js: ${size}, no TypeBox`);
