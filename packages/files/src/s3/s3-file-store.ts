import { S3Client } from "@aws-sdk/client-s3";
import type { FileStore } from "../file-store.js";
import { createObjectFileStore } from "../object-file-store.js";
import { createS3Storage } from "./s3-storage.js";

/** Where and how to reach an S3-compatible service (AWS S3, MinIO, R2, ...). */
export interface S3Connection {
  /** The region (`us-east-1` for MinIO and most S3-compatible servers). */
  region: string;
  /** The service URL for anything but AWS, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** The access key id; default: the AWS SDK's credential chain. */
  accessKeyId?: string;
  /** The secret access key (with `accessKeyId`). */
  secretAccessKey?: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`: MinIO and most self-hosted servers need it. */
  forcePathStyle?: boolean;
}

/** Options of {@link createS3FileStore}. */
export interface S3FileStoreOptions {
  /** The bucket (it must exist). */
  bucket: string;
  /** A key prefix, so one bucket can hold other things too; default `""`. Ends with "/" when set. */
  prefix?: string;
  /** A client of your own; otherwise one is made from `connection`. */
  client?: S3Client;
  /** How to reach the service when no `client` is given. */
  connection?: S3Connection;
  /** The clock, in ms since the epoch (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * An S3 client that S3-compatible servers understand: checksums only where the
 * operation requires them (newer SDKs add CRC32 trailers that many servers refuse).
 */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    region: connection.region,
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(connection.accessKeyId && connection.secretAccessKey
      ? {
          credentials: {
            accessKeyId: connection.accessKeyId,
            secretAccessKey: connection.secretAccessKey,
          },
        }
      : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/**
 * A {@link FileStore} on S3-compatible object storage (AWS SDK v3): bytes once per
 * SHA-256 under `<prefix>blobs/`, a JSON record per file under `<prefix>files/`.
 * Uploads can go straight to the bucket (`createDirectUpload`, a presigned PUT) and
 * downloads can be redirected to a short-lived presigned GET (`presignGet`).
 *
 * @example
 * ```ts
 * const files = createS3FileStore({
 *   bucket: "chat-files",
 *   connection: { region: "us-east-1", endpoint: "http://127.0.0.1:9000", forcePathStyle: true,
 *     accessKeyId: "minioadmin", secretAccessKey: "minioadmin" },
 * });
 * ```
 */
export function createS3FileStore(options: S3FileStoreOptions): FileStore {
  const prefix = options.prefix ?? "";
  if (prefix && !prefix.endsWith("/")) {
    throw new Error('[lucky-im] [files] S3 prefix must end with "/"');
  }
  const client =
    options.client ??
    (options.connection
      ? createS3Client(options.connection)
      : (() => {
          throw new Error("[lucky-im] [files] createS3FileStore needs a client or a connection");
        })());
  return createObjectFileStore(createS3Storage(client, options.bucket, prefix), options.now);
}
