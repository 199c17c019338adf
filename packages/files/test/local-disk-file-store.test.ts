import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { createLocalDiskFileStore } from "../src/index.js";
import { fileStoreConformance } from "../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "lucky-im-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

fileStoreConformance({
  name: "local disk",
  create: () => createLocalDiskFileStore({ dir }),
  // The disk has no signer of its own: downloads go through the server's handler.
  capabilities: { presign: false, abortMultipart: true },
  partSize: 64 * 1024,
});
