import type { Readable } from "node:stream";

/** What is known about a stored file (the JSON sidecar of the disk store). */
export interface StoredFileMeta {
  /** A random 128-bit id (base64url, 22 characters): the unguessable part of the file's URL. */
  fileId: string;
  /** The name the uploader gave, cleaned; never used as a path. */
  name: string;
  /** The content type, checked against the allow-list at upload. */
  mime: string;
  /** Size in bytes. */
  size: number;
  /** Who uploaded it. */
  ownerId: string;
  /** When, in ms since the epoch. */
  createdAt: number;
}

/** What an upload hands to {@link FileStore.put}. */
export interface NewFile {
  name: string;
  mime: string;
  ownerId: string;
  data: Buffer;
}

/**
 * Where uploads live. The example ships a local-disk store; a deployment
 * with several nodes shares its folder (a volume), or implements this
 * contract over object storage (S3 and the like).
 */
export interface FileStore {
  /** Stores a file under a fresh random id. */
  put(file: NewFile): Promise<StoredFileMeta>;
  /** The file's metadata and a stream of its bytes, or undefined when there is none. */
  get(fileId: string): Promise<{ meta: StoredFileMeta; open(): Readable } | undefined>;
}
