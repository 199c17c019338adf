import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ObjectStorage } from "../object-storage.js";
import { sliceStream } from "./slice-stream.js";

/** True for the errors S3 answers when there is no such key. */
function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
}

/**
 * Objects in an S3 bucket under `prefix`.
 * @internal
 */
export function createS3Storage(client: S3Client, bucket: string, prefix: string): ObjectStorage {
  const Key = (key: string) => `${prefix}${key}`;

  return {
    async put(key, data, contentType) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: Key(key),
          Body: data,
          ...(contentType ? { ContentType: contentType } : {}),
        }),
      );
    },

    async get(key, range) {
      try {
        const out = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: Key(key),
            ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          }),
        );
        const body = out.Body as Readable;
        if (!range) return body;
        // Where the answer really starts (no Content-Range: the server sent the whole object).
        const answered = /^bytes (\d+)-(\d+)\//.exec(out.ContentRange ?? "");
        const from = answered ? Number(answered[1]) : 0;
        const to = answered ? Number(answered[2]) : Number.POSITIVE_INFINITY;
        return from === range.start && to === range.end
          ? body
          : sliceStream(body, range.start - from, range.end - range.start + 1);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async size(key) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: Key(key) }));
        return out.ContentLength ?? 0;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: Key(key) }));
    },

    async list(listPrefix, limit) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: Key(listPrefix),
            MaxKeys: Math.min(1000, limit - keys.length),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const item of out.Contents ?? []) {
          if (item.Key) keys.push(item.Key.slice(prefix.length));
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token && keys.length < limit);
      return keys;
    },

    async move(from, to) {
      // A server-side copy (no bytes through this process; objects up to 5 GiB).
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: Key(to),
          CopySource: `${bucket}/${encodeURIComponent(Key(from)).replace(/%2F/g, "/")}`,
        }),
      );
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: Key(from) }));
    },

    async createMultipart(key) {
      const out = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: Key(key) }),
      );
      if (!out.UploadId) throw new Error("[lucky-im] [files] S3 gave no UploadId");
      return out.UploadId;
    },

    async uploadPart(key, multipartId, partNumber, data) {
      const out = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: Key(key),
          UploadId: multipartId,
          PartNumber: partNumber,
          Body: data,
        }),
      );
      if (!out.ETag) throw new Error("[lucky-im] [files] S3 gave no ETag for a part");
      return out.ETag;
    },

    async completeMultipart(key, multipartId, parts) {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: Key(key),
          UploadId: multipartId,
          MultipartUpload: {
            Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
          },
        }),
      );
    },

    async abortMultipart(key, multipartId) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: Key(key), UploadId: multipartId }),
      );
    },

    async presignPut(key, { contentType, size, expiresInSeconds }) {
      const url = await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: bucket,
          Key: Key(key),
          ContentType: contentType,
          ContentLength: size,
        }),
        {
          expiresIn: expiresInSeconds,
          signableHeaders: new Set(["content-type", "content-length"]),
        },
      );
      return { url, headers: { "content-type": contentType, "content-length": String(size) } };
    },

    async presignGet(key, { contentType, contentDisposition, expiresInSeconds, signedAt }) {
      return getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket: bucket,
          Key: Key(key),
          ResponseContentType: contentType,
          ...(contentDisposition ? { ResponseContentDisposition: contentDisposition } : {}),
        }),
        { expiresIn: expiresInSeconds, ...(signedAt ? { signingDate: signedAt } : {}) },
      );
    },
  };
}
