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
  mediaDuration,
} from "@lucky-im/files";

/** A mono 8 kHz 16-bit PCM WAV of one second of silence. */
function oneSecondWav(): Buffer {
  const wav = Buffer.alloc(44 + 16_000);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + 16_000, 4);
  wav.write("WAVEfmt ", 8, "ascii");
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(16_000, 40);
  return wav;
}

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
    // music-metadata is ESM-only, loaded by a dynamic import: it must load from CJS too.
    const duration = await mediaDuration(oneSecondWav(), "audio/wav");
    if (duration !== 1000) throw new Error(`unexpected duration ${duration}`);
    console.log("@lucky-im/files ok");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
