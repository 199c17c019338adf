// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLocalDiskFileStore,
  createUploadGuard,
  type FileStore,
  fileResponse,
} from "@lucky-im/files";

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lucky-im-files-consumer-"));
  try {
    const files: FileStore = createLocalDiskFileStore({ dir });
    const guard = createUploadGuard({ allowedTypes: ["text/plain"] });
    const data = Buffer.from("hello, consumer");
    await guard.checkContent({
      ownerId: "u1",
      name: "a.txt",
      mime: "text/plain",
      size: data.length,
      data,
    });
    const meta = await files.put({ name: "a.txt", mime: "text/plain", ownerId: "u1", data });
    const answer = await fileResponse(files, meta.fileId, { method: "GET", range: "bytes=7-" });
    if (answer.status !== 206 || answer.headers["content-range"] !== `bytes 7-14/${data.length}`) {
      throw new Error(`unexpected answer ${answer.status}`);
    }
    // Read the range to the end before the folder goes: a stream still opening would fail.
    const chunks: Buffer[] = [];
    for await (const chunk of answer.body ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
    if (Buffer.concat(chunks).toString() !== "consumer") throw new Error("unexpected range body");
    console.log("@lucky-im/files ok");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
