import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createImServer, createMemoryTransport, ImError } from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
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

/** The fields of the upload routes' answers these tests read. */
interface Answer {
  uploadId?: string;
  size?: number;
  partNumber?: number;
  etag?: string;
  error?: { code: string };
}

/** A JSON request as `user`; the status and the parsed answer. */
async function json(node: Node, user: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${node.url}/im${path}`, {
    method,
    headers: { "x-user": user, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Answer };
}

/** Sends one part of a multipart upload. */
async function part(node: Node, user: string, uploadId: string, n: number, bytes: string) {
  const response = await fetch(`${node.url}/im/files/uploads/${uploadId}/parts/${n}`, {
    method: "PUT",
    headers: { "x-user": user, "content-type": "application/octet-stream" },
    body: bytes,
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

describe("unfinished uploads cannot stage more than the quota, nor stay forever", () => {
  let dir: string;
  let files: FileStore;
  const nodes: Node[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lucky-im-upload-staging-"));
    files = createLocalDiskFileStore({ dir });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (options: Partial<ImHttpOptions> = {}) => {
    const node = await startNode(files, options);
    nodes.push(node);
    return node;
  };
  const begin = (node: Node, user: string, size: number) =>
    json(node, user, "POST", "/files/uploads", { name: "big.txt", mime: "text/plain", size });

  it("charges the declared size when an upload starts; completing it charges nothing more", async () => {
    const node = await start({ limits: { filesQuotaFilesPerDay: 2, filesQuotaBytesPerDay: 100 } });
    const user = uniqueName("s");
    const first = await begin(node, user, 6);
    expect(first.status).toBe(201);
    // Abandoned: still counted, so abandoned uploads are bounded by the quota.
    expect((await begin(node, user, 6)).status).toBe(201);
    expect(await begin(node, user, 6)).toMatchObject({
      status: 429,
      json: { error: { code: "rate_limited" } },
    });
    // Declared bytes count too: 60 and 60 more would pass 100.
    const other = uniqueName("t");
    expect((await begin(node, other, 60)).status).toBe(201);
    expect((await begin(node, other, 60)).status).toBe(429);
    const uploadId = first.json.uploadId as string;
    const p1 = await part(node, user, uploadId, 1, "abc");
    const p2 = await part(node, user, uploadId, 2, "def");
    const done = await json(node, user, "POST", `/files/uploads/${uploadId}/complete`, {
      parts: [p1.json, p2.json].map(({ partNumber, etag }) => ({ partNumber, etag })),
    });
    expect([done.status, done.json.size]).toEqual([201, 6]);
  });

  it("refuses parts past the declared size with 400, keeping the upload usable", async () => {
    const node = await start();
    const user = uniqueName("s");
    const { json: started } = await begin(node, user, 4);
    const uploadId = started.uploadId as string;
    expect((await part(node, user, uploadId, 1, "12345")).status).toBe(400);
    expect((await part(node, user, uploadId, 1, "123")).status).toBe(200);
    const refused = await part(node, user, uploadId, 2, "45");
    expect([refused.status, refused.json.error?.code]).toEqual([400, "bad_request"]);
    expect((await part(node, user, uploadId, 2, "4")).status).toBe(200);
  });

  it("refuses a staleUploadSec that is not a whole number of seconds from 0 to a year", async () => {
    for (const staleUploadSec of [-1, Number.NaN, 1.5, 40_000_000]) {
      await expect(startNode(files, { limits: { staleUploadSec } })).rejects.toThrow(
        /staleUploadSec/,
      );
    }
  });

  it("purges an upload left unfinished past staleUploadSec, on its own", async () => {
    const node = await start({ limits: { staleUploadSec: 1 } });
    const user = uniqueName("s");
    const { json: started } = await begin(node, user, 10);
    const uploadId = started.uploadId as string;
    expect((await part(node, user, uploadId, 1, "staged")).status).toBe(200);
    await eventually(
      async () => {
        const listed = await json(node, user, "GET", `/files/uploads/${uploadId}/parts`);
        expect(listed.status).toBe(404);
      },
      { timeoutMs: 10_000 },
    );
  });
});
