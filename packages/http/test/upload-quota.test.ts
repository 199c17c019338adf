import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createImServer, createMemoryTransport, ImError } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import {
  createLocalDiskFileStore,
  createMemoryUploadQuotaStore,
  type FileStore,
  type UploadQuotaStore,
} from "@lucky-im/files";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImHttpOptions, imHttpPlugin } from "../src/index.js";

/**
 * Upload quotas across nodes: two HTTP nodes over one file store count a user's uploads in
 * the store the application shares between them (`uploadQuotaStore`); without one, each node
 * counts its own.
 */

interface Node {
  url: string;
  close(): Promise<void>;
}

/** One node: an engine in memory and the API under `/im`; the `x-user` header is the user. */
async function startNode(files: FileStore, options: Partial<ImHttpOptions>): Promise<Node> {
  const im = createImServer({
    transport: createMemoryTransport(),
    authenticator: { authenticate: async (token) => ({ userId: token, claims: {} }) },
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  const app = Fastify();
  await app.register(imHttpPlugin, {
    prefix: "/im",
    im,
    files,
    authenticate: async (request) => {
      const user = request.headers["x-user"];
      if (typeof user !== "string") throw new ImError("unauthorized", "who are you?");
      return user;
    },
    limits: { filesQuotaFilesPerDay: 2 },
    ...options,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await im.close();
    },
  };
}

/** A small text upload as `user`; the status and the error code, if any. */
async function upload(node: Node, user: string, text: string) {
  const response = await fetch(`${node.url}/im/files?name=a.txt`, {
    method: "POST",
    headers: { "x-user": user, "content-type": "text/plain" },
    body: text,
  });
  const json = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: json.error?.code };
}

describe("upload quotas across nodes", () => {
  let dir: string;
  let files: FileStore;
  const nodes: Node[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lucky-im-upload-quota-"));
    files = createLocalDiskFileStore({ dir });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function twoNodes(options: Partial<ImHttpOptions>): Promise<[Node, Node]> {
    const a = await startNode(files, options);
    const b = await startNode(files, options);
    nodes.push(a, b);
    return [a, b];
  }

  it("counts a user's uploads on every node in the shared store: the third of two per day is refused", async () => {
    const shared: UploadQuotaStore = createMemoryUploadQuotaStore();
    const [a, b] = await twoNodes({ uploadQuotaStore: shared });
    const user = uniqueName("q");
    expect((await upload(a, user, "one")).status).toBe(201);
    expect((await upload(b, user, "two")).status).toBe(201);
    expect(await upload(b, user, "three")).toEqual({ status: 429, code: "rate_limited" });
    expect(await upload(a, user, "three")).toEqual({ status: 429, code: "rate_limited" });
    // Another user has a quota of their own.
    expect((await upload(a, uniqueName("r"), "one")).status).toBe(201);
  });

  it("without a shared store each node counts its own (the default, documented as per node)", async () => {
    const [a, b] = await twoNodes({});
    const user = uniqueName("q");
    expect((await upload(a, user, "one")).status).toBe(201);
    expect((await upload(a, user, "two")).status).toBe(201);
    expect((await upload(a, user, "three")).status).toBe(429);
    expect((await upload(b, user, "three")).status).toBe(201);
  });
});
