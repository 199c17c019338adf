import { createLocalDiskFileStore, createS3FileStore, type FileStore } from "@lucky-im/files";
import type { ChatServerConfig } from "./config.js";

/** Where uploads live: the S3 bucket when `LUCKY_IM_S3_BUCKET` is set, else the local folder. */
export function selectFileStore(config: ChatServerConfig): {
  files: FileStore;
  kind: "s3" | "disk";
} {
  if (config.s3Bucket) {
    return {
      kind: "s3",
      files: createS3FileStore({
        bucket: config.s3Bucket,
        prefix: config.s3Prefix,
        connection: {
          region: config.s3Region,
          ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
          ...(config.s3AccessKeyId ? { accessKeyId: config.s3AccessKeyId } : {}),
          ...(config.s3SecretAccessKey ? { secretAccessKey: config.s3SecretAccessKey } : {}),
          forcePathStyle: config.s3ForcePathStyle,
        },
      }),
    };
  }
  return { kind: "disk", files: createLocalDiskFileStore({ dir: config.filesDir }) };
}
