import type { FileStore } from "../file-store.js";
import { createObjectFileStore } from "../object-file-store.js";
import { createLocalDiskStorage } from "./local-disk-storage.js";

/** Options of {@link createLocalDiskFileStore}. */
export interface LocalDiskFileStoreOptions {
  /** The folder holding the files (created when missing). Several nodes share it as a volume. */
  dir: string;
  /** The clock, in ms since the epoch (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link FileStore} on the local disk: `blobs/<sha256>` holds the bytes once,
 * `files/<fileId>.json` each file's name, type and owner. Names given by uploaders
 * are never used as paths. It cannot presign: `createDirectUpload` rejects with
 * `unsupported` and `presignGet` resolves `undefined` (serve through the server).
 *
 * @example
 * ```ts
 * const files = createLocalDiskFileStore({ dir: "./data/files" });
 * const meta = await files.put({ name: "a.png", mime: "image/png", ownerId: "u1", data });
 * ```
 */
export function createLocalDiskFileStore(options: LocalDiskFileStoreOptions): FileStore {
  return createObjectFileStore(createLocalDiskStorage(options.dir), options.now);
}
