import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FileStore, StoredFileMeta } from "./file-store.js";

/** Options of {@link createLocalDiskFileStore}. */
export interface LocalDiskFileStoreOptions {
  /** The folder holding the files (created when missing). */
  dir: string;
}

/** A file id: 16 random bytes in base64url. Anything else is never looked up on disk. */
const FILE_ID = /^[A-Za-z0-9_-]{22}$/;

/** True when `fileId` has the shape of an id this store makes. */
export function isFileId(fileId: string): boolean {
  return FILE_ID.test(fileId);
}

/** Keeps a display name harmless: no path separators, no control characters, bounded. */
export function cleanFileName(name: string | undefined): string {
  const cleaned = (name ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
    .replace(/[\u0000-\u001f\u007f/\\]/g, "_")
    .trim()
    .slice(0, 255);
  return cleaned && cleaned !== "." && cleaned !== ".." ? cleaned : "file";
}

/**
 * A {@link FileStore} on the local disk: each file is `<dir>/<fileId>` with a
 * JSON sidecar `<dir>/<fileId>.json` holding its name and type. Names given
 * by uploaders are never used as paths. Writes go to a temporary name first,
 * so a reader never sees half a file.
 */
export function createLocalDiskFileStore(options: LocalDiskFileStoreOptions): FileStore {
  const { dir } = options;
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => {
    ready ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  return {
    async put(file) {
      await ensureDir();
      const fileId = randomBytes(16).toString("base64url");
      const meta: StoredFileMeta = {
        fileId,
        name: cleanFileName(file.name),
        mime: file.mime,
        size: file.data.length,
        ownerId: file.ownerId,
        createdAt: Date.now(),
      };
      const path = join(dir, fileId);
      const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        await writeFile(temp, file.data, { flag: "wx" });
        // The sidecar is written last: a file without one is invisible to `get`.
        await rename(temp, path);
        await writeFile(`${path}.json`, JSON.stringify(meta), { flag: "wx" });
      } catch (error) {
        await rm(temp, { force: true });
        await rm(path, { force: true });
        throw error;
      }
      return meta;
    },

    async get(fileId) {
      if (!isFileId(fileId)) return undefined;
      const path = join(dir, fileId);
      let meta: StoredFileMeta;
      try {
        meta = JSON.parse(await readFile(`${path}.json`, "utf8")) as StoredFileMeta;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
      return { meta, open: () => createReadStream(path) };
    },
  };
}
