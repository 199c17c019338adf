import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe } from "vitest";
import { dockerAvailable } from "../../../test/services.js";
import { createS3Client, createS3FileStore } from "../src/index.js";
import { fileStoreConformance } from "../src/testing/index.js";

// MinIO runs only where a Docker engine answers (Testcontainers): machines without one
// (this project's CI) cover S3 with s3rver (s3-file-store.test.ts), so this file runs only with `npm run test:docker`. Set
// LUCKY_IM_TEST_MINIO_ENDPOINT (credentials minioadmin/minioadmin) to use a running MinIO.
const endpointFromEnv = process.env.LUCKY_IM_TEST_MINIO_ENDPOINT;
const enabled = endpointFromEnv !== undefined || (await dockerAvailable());

describe.runIf(enabled)("MinIO", () => {
  let endpoint = endpointFromEnv ?? "";
  let stop = async () => {};
  beforeAll(async () => {
    if (!endpoint) {
      const { GenericContainer, Wait } = await import("testcontainers");
      const container = await new GenericContainer("minio/minio:latest")
        .withCommand(["server", "/data"])
        .withExposedPorts(9000)
        .withWaitStrategy(Wait.forHttp("/minio/health/live", 9000))
        .start();
      endpoint = `http://${container.getHost()}:${container.getMappedPort(9000)}`;
      stop = async () => void (await container.stop());
    }
    const client = createS3Client(connection());
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
      if ((error as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw error;
    });
  });
  afterAll(() => stop());

  const bucket = "lucky-im-conformance";
  const connection = () => ({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    accessKeyId: "minioadmin",
    secretAccessKey: "minioadmin",
  });

  fileStoreConformance({
    name: "S3 (MinIO)",
    create: () => createS3FileStore({ bucket, prefix: "im/", connection: connection() }),
    capabilities: { presign: true, abortMultipart: true },
    // MinIO enforces the S3 minimum part size.
    partSize: 5 * 1024 * 1024,
  });
});
