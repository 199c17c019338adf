import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createImServer, createMemoryTransport, ImError, type ImServer } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import {
  createFileUrlSigner,
  createLocalDiskFileStore,
  createS3FileStore,
  type FileStore,
} from "@lucky-im/files";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3rver } from "../../files/test/s3rver.js";
import { type ImHttpOptions, imHttpPlugin } from "../src/index.js";

/** Members-only file access (`fileAccess: { mode: "members" }`) on disk and on S3 (s3rver). */

const secret = "a-test-file-url-secret-of-32-bytes-or-more";

interface Mounted {
  url: string;
  im: ImServer;
  close(): Promise<void>;
}

/** An engine in memory and the API under `/im`; the `x-user` header is the user. */
async function mount(files: FileStore, options: Partial<ImHttpOptions> = {}): Promise<Mounted> {
  const im = createImServer({
    transport: createMemoryTransport(),
    authenticator: { authenticate: async (token) => ({ userId: token, claims: {} }) },
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  const app: FastifyInstance = Fastify();
  await app.register(imHttpPlugin, {
    prefix: "/im",
    im,
    files,
    authenticate: async (request) => {
      const user = request.headers["x-user"];
      if (typeof user !== "string") throw new ImError("unauthorized", "who are you?");
      return user;
    },
    ...options,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    im,
    async close() {
      await app.close();
      await im.close();
    },
  };
}

/** A request to the API as `user` (anonymous without one). */
async function call(
  base: string,
  method: string,
  path: string,
  user?: string,
  body?: { raw: Buffer; type: string } | Record<string, unknown>,
) {
  const headers: Record<string, string> = user ? { "x-user": user } : {};
  let payload: BodyInit | undefined;
  if (body && Buffer.isBuffer(body.raw)) {
    headers["content-type"] = body.type as string;
    payload = new Uint8Array(body.raw as Buffer);
  } else if (body) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(payload ? { body: payload } : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // a file's bytes
  }
  return { status: response.status, text, json };
}

const stores: Record<
  string,
  () => Promise<{ files: FileStore; kind: "disk" | "s3"; stop(): Promise<void> }>
> = {
  async disk() {
    const dir = await mkdtemp(join(tmpdir(), "lucky-im-file-access-"));
    return {
      files: createLocalDiskFileStore({ dir }),
      kind: "disk",
      stop: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async s3() {
    const s3 = await startS3rver("file-access");
    return {
      files: createS3FileStore({ bucket: "file-access", client: s3.client }),
      kind: "s3",
      stop: () => s3.stop(),
    };
  },
};

/** The bytes' SHA-256 of a download: its ETag, or (a redirect has none) the upload's answer. */
function sha256Of(download: Response, upload: { json: Record<string, unknown> }): string {
  return download.headers.get("etag")?.replaceAll('"', "") ?? (upload.json.sha256 as string);
}

for (const [name, open] of Object.entries(stores)) {
  describe(`members-only file access (${name})`, () => {
    let server: Mounted;
    let stopStore: () => Promise<void>;
    let files: FileStore;
    const [owner, member, outsider] = [uniqueName("o"), uniqueName("m"), uniqueName("x")];
    let conversationId = "";
    let groupId = "";

    beforeAll(async () => {
      const store = await open();
      files = store.files;
      stopStore = store.stop;
      server = await mount(store.files, {
        filesKind: store.kind,
        fileAccess: { mode: "members", secret, urlTtlSeconds: 60 },
      });
      const group = await server.im.groups.create({
        ownerId: owner,
        name: "g",
        memberIds: [member],
      });
      groupId = group.groupId;
      conversationId = `g:${group.groupId}`;
    });
    afterAll(async () => {
      await server?.close();
      await stopStore?.();
    });

    const upload = (user: string, text: string, conversation?: string) =>
      call(
        server.url,
        "POST",
        `/im/files?name=a.txt${conversation ? `&conversationId=${encodeURIComponent(conversation)}` : ""}`,
        user,
        { raw: Buffer.from(text), type: "text/plain" },
      );

    it("serves a conversation's file to its members only; others get 404 as for no file", async () => {
      const stored = await upload(owner, "the plan", conversationId);
      expect(stored.status).toBe(201);
      expect(stored.json.conversationId).toBe(conversationId);
      const path = `/im${stored.json.url as string}`;
      const asMember = await call(server.url, "GET", path, member);
      expect([asMember.status, asMember.text]).toEqual([200, "the plan"]);
      expect((await call(server.url, "GET", path, owner)).text).toBe("the plan");
      const missing = await call(server.url, "GET", "/im/files/AAAAAAAAAAAAAAAAAAAAAA", member);
      expect(missing.status).toBe(404);
      for (const user of [outsider, undefined]) {
        const refused = await call(server.url, "GET", path, user);
        expect(refused.status).toBe(404);
        expect(refused.json).toEqual(missing.json);
        expect((await call(server.url, "HEAD", path, user)).status).toBe(404);
      }
      // A signed URL for <img src>: a member gets one, it works without a token.
      const link = await call(server.url, "GET", `${path}/url`, member);
      expect(link.status).toBe(200);
      expect(link.json.expiresAt).toBeGreaterThan(Date.now());
      const signed = await call(server.url, "GET", `/im${link.json.url as string}`);
      expect([signed.status, signed.text]).toEqual([200, "the plan"]);
      const outsiderLink = await call(server.url, "GET", `${path}/url`, outsider);
      expect(outsiderLink.status).toBe(404);
      expect(outsiderLink.json).toEqual(missing.json);
      expect((await call(server.url, "GET", `${path}/url`)).status).toBe(401);
    });

    it("refuses a tampered, moved or expired signature", async () => {
      const stored = await upload(member, "secret notes", conversationId);
      const fileId = stored.json.fileId as string;
      const link = await call(server.url, "GET", `/im/files/${fileId}/url`, member);
      const url = new URL(`${server.url}/im${link.json.url as string}`);
      const expires = url.searchParams.get("expires")!;
      const sig = url.searchParams.get("sig")!;
      const get = (query: string) => call(server.url, "GET", `/im/files/${fileId}?${query}`);
      expect((await get(`expires=${expires}&sig=${sig}`)).status).toBe(200);
      const tampered = `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
      expect((await get(`expires=${expires}&sig=${tampered}`)).status).toBe(404);
      expect((await get(`expires=${Number(expires) + 60_000}&sig=${sig}`)).status).toBe(404);
      expect((await get(`sig=${sig}`)).status).toBe(404);
      // Signed with the right key an hour ago: expired.
      const old = createFileUrlSigner({
        secret,
        ttlSeconds: 60,
        now: () => Date.now() - 3_600_000,
      });
      expect((await get(old.sign(fileId).query)).status).toBe(404);
      // Another file's signature does not open this one.
      const other = await upload(member, "other", conversationId);
      const otherLink = await call(server.url, "GET", `/im/files/${other.json.fileId}/url`, member);
      const otherQuery = (otherLink.json.url as string).split("?")[1]!;
      expect((await get(otherQuery)).status).toBe(404);
    });

    it("refuses an upload for a conversation the uploader is not in, by every upload route", async () => {
      const refused = await upload(outsider, "sneaky", conversationId);
      expect(refused.status).toBe(404);
      expect(refused.json).toEqual({
        error: { code: "not_found", message: "no such conversation" },
      });
      const stranger = `d:${[member, owner].sort().join(":")}`;
      expect((await upload(outsider, "sneaky", stranger)).status).toBe(404);
      expect((await upload(member, "malformed", "nonsense")).status).toBe(404);
      const first = await upload(member, "known bytes");
      const instant = await call(server.url, "POST", "/im/files/instant", outsider, {
        sha256: (await files.head(first.json.fileId as string))!.sha256,
        name: "copy.txt",
        mime: "text/plain",
        conversationId,
      });
      expect(instant.status).toBe(404);
      const multipart = await call(server.url, "POST", "/im/files/uploads", outsider, {
        name: "big.bin",
        mime: "application/octet-stream",
        size: 10,
        conversationId,
      });
      expect(multipart.status).toBe(404);
      // A direct conversation of the uploader (before its first message) is theirs.
      const direct = `d:${[member, outsider].sort().join(":")}`;
      const ok = await upload(outsider, "hello", direct);
      expect(ok.status).toBe(201);
      expect((await call(server.url, "GET", `/im${ok.json.url as string}`, member)).text).toBe(
        "hello",
      );
      expect((await call(server.url, "GET", `/im${ok.json.url as string}`, owner)).status).toBe(
        404,
      );
    });

    it("does not take a SHA-256 as a capability: instant upload answers as for unknown bytes", async () => {
      const secretFile = await upload(owner, "the members' secret", conversationId);
      const sha256 = secretFile.json.sha256 as string;
      const unknown = await call(server.url, "POST", "/im/files/instant", outsider, {
        sha256: "0".repeat(64),
        name: "x.txt",
        mime: "text/plain",
      });
      expect(unknown.status).toBe(404);
      // Neither a stranger (no conversation: the copy would be readable by anyone) nor a member
      // gets a record from a hash: the same answer as for bytes nobody stored, so no oracle.
      for (const [user, conversation] of [
        [outsider, undefined],
        [member, conversationId],
      ] as const) {
        const copy = await call(server.url, "POST", "/im/files/instant", user, {
          sha256,
          name: "copy.txt",
          mime: "text/plain",
          ...(conversation ? { conversationId: conversation } : {}),
        });
        expect([copy.status, copy.json]).toEqual([404, unknown.json]);
      }
      // Uploading the bytes works as ever.
      const again = await upload(member, "the members' secret", conversationId);
      expect([again.status, again.json.sha256]).toEqual([201, sha256]);
    });

    it("lets a browser keep a members-only file only if it asks again each time", async () => {
      const stored = await upload(owner, "cached?", conversationId);
      const path = `${server.url}/im${stored.json.url as string}`;
      const first = await fetch(path, { headers: { "x-user": member }, redirect: "manual" });
      // On S3 the check ends in a redirect to a short-lived presigned URL, never cached.
      const expected = name === "s3" ? [302, "private, no-store"] : [200, "private, no-cache"];
      expect([first.status, first.headers.get("cache-control")]).toEqual(expected);
      expect(first.headers.get("vary")?.toLowerCase()).toContain("authorization");
      // Revalidation is checked like a download: a member gets 304, anyone else 404.
      const etag = `"${sha256Of(first, stored)}"`;
      const asMember = await fetch(path, {
        headers: { "x-user": member, "if-none-match": etag },
        redirect: "manual",
      });
      expect([asMember.status, asMember.headers.get("cache-control")]).toEqual([
        304,
        "private, no-cache",
      ]);
      const asOutsider = await fetch(path, {
        headers: { "x-user": outsider, "if-none-match": etag },
        redirect: "manual",
      });
      expect(asOutsider.status).toBe(404);
      // A file of no conversation keeps the long cache of an unguessable id.
      const open = await upload(owner, "public avatar");
      const plain = await fetch(`${server.url}/im${open.json.url as string}`, {
        redirect: "manual",
      });
      if (name === "disk") expect(plain.headers.get("cache-control")).toContain("immutable");
      expect(plain.headers.get("vary")?.toLowerCase() ?? "").not.toContain("authorization");
    });

    it("serves a file of no conversation to anyone; the uploader keeps access after leaving", async () => {
      const avatar = await upload(member, "my face");
      expect(avatar.json).not.toHaveProperty("conversationId");
      expect((await call(server.url, "GET", `/im${avatar.json.url as string}`)).text).toBe(
        "my face",
      );
      const leaver = uniqueName("leaver");
      await server.im.groups.addMembers(groupId, owner, [leaver]);
      const mine = await upload(leaver, "my attachment", conversationId);
      const theirs = await upload(owner, "their attachment", conversationId);
      await server.im.groups.leave(groupId, leaver);
      const path = (answer: typeof mine) => `/im${answer.json.url as string}`;
      expect((await call(server.url, "GET", path(mine), leaver)).text).toBe("my attachment");
      expect((await call(server.url, "GET", path(theirs), leaver)).status).toBe(404);
    });
  });
}

describe("capability file URLs (no fileAccess, the default)", () => {
  it("serves a conversation's file to anyone with the URL, and checks the uploader is in it", async () => {
    const store = await stores.disk!();
    const server = await mount(store.files);
    try {
      const [o, x] = [uniqueName("o"), uniqueName("x")];
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [] });
      const conversationId = `g:${group.groupId}`;
      const stored = await call(
        server.url,
        "POST",
        `/im/files?conversationId=${encodeURIComponent(conversationId)}`,
        o,
        { raw: Buffer.from("open"), type: "text/plain" },
      );
      expect(stored.status).toBe(201);
      expect((await call(server.url, "GET", `/im${stored.json.url as string}`)).text).toBe("open");
      // The URL route answers members only, with the plain URL (nothing to sign).
      const link = await call(server.url, "GET", `/im${stored.json.url as string}/url`, o);
      expect(link.json).toEqual({ url: stored.json.url, expiresAt: null });
      expect((await call(server.url, "GET", `/im${stored.json.url as string}/url`, x)).status).toBe(
        404,
      );
      const refused = await call(
        server.url,
        "POST",
        `/im/files?conversationId=${encodeURIComponent(conversationId)}`,
        x,
        { raw: Buffer.from("no"), type: "text/plain" },
      );
      expect(refused.status).toBe(404);
    } finally {
      await server.close();
      await store.stop();
    }
  });

  it("refuses a short fileAccess secret when mounting", async () => {
    const store = await stores.disk!();
    try {
      await expect(
        mount(store.files, { fileAccess: { mode: "members", secret: "short" } }),
      ).rejects.toMatchObject({
        isConfigError: true,
        option: "fileAccess.secret",
        message: expect.stringMatching(/at least 32 bytes/),
      });
    } finally {
      await store.stop();
    }
  });
});
