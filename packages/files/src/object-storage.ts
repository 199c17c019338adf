import type { Readable } from "node:stream";
import type { ByteRange } from "./file-store.js";

/**
 * The few operations the file store needs from a place that keeps objects by key
 * (a folder, an S3 bucket). Keys are made by the file store only, from validated ids
 * and hashes: an adapter never sees a name a client chose.
 * @internal
 */
export interface ObjectStorage {
  put(key: string, data: Uint8Array, contentType?: string): Promise<void>;
  /** Undefined when there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** The object's size, or undefined. */
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix` (at most `limit`). */
  list(prefix: string, limit: number): Promise<string[]>;
  /** Moves an object to another key (replacing it). */
  move(from: string, to: string): Promise<void>;
  createMultipart(key: string): Promise<string>;
  uploadPart(
    key: string,
    multipartId: string,
    partNumber: number,
    data: Uint8Array,
  ): Promise<string>;
  completeMultipart(
    key: string,
    multipartId: string,
    parts: ReadonlyArray<{ partNumber: number; etag: string }>,
  ): Promise<void>;
  abortMultipart(key: string, multipartId: string): Promise<void>;
  presignPut?(
    key: string,
    options: { contentType: string; size: number; expiresInSeconds: number },
  ): Promise<{ url: string; headers: Record<string, string> }>;
  presignGet?(
    key: string,
    options: {
      contentType: string;
      contentDisposition?: string;
      expiresInSeconds: number;
      signedAt?: Date;
    },
  ): Promise<string>;
}
