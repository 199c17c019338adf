import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
// s3rver (a devDependency) is an S3-compatible server in Node: the tests start it
// themselves, so CI needs no extra service.
import S3rver from "s3rver";
import { createS3Client } from "../src/s3/s3-file-store.js";

/** The credentials s3rver accepts by default. */
const KEY = "S3RVER";

/** A running s3rver with one bucket, on a free loopback port. */
export async function startS3rver(bucket: string) {
  const directory = await mkdtemp(join(tmpdir(), "lucky-im-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const connection = {
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    accessKeyId: KEY,
    secretAccessKey: KEY,
  };
  return {
    endpoint,
    connection,
    client: createS3Client(connection),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
