import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLocalDiskFileStore,
  createS3FileStore,
  type FileResponseOptions,
  type FileStore,
  fileResponse,
  parseByteRange,
} from "../src/index.js";
import { startS3rver } from "./s3rver.js";

/** A real HTTP server answering `GET/HEAD /files/:id` with `fileResponse`. */
async function serve(store: FileStore, options?: FileResponseOptions) {
  const server: Server = createServer(async (req, res) => {
    const fileId = decodeURIComponent((req.url ?? "").replace(/^\/files\//, ""));
    const answer = await fileResponse(
      store,
      fileId,
      {
        method: req.method ?? "GET",
        range: req.headers.range,
        ifNoneMatch: req.headers["if-none-match"],
      },
      options,
    );
    res.writeHead(answer.status, answer.headers);
    if (answer.error) res.end(JSON.stringify({ error: answer.error }));
    else if (answer.body) answer.body.pipe(res);
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("parseByteRange", () => {
  it("reads first, middle, last, open and suffix ranges", () => {
    expect(parseByteRange("bytes=0-0", 10)).toEqual({ start: 0, end: 0 });
    expect(parseByteRange("bytes=3-6", 10)).toEqual({ start: 3, end: 6 });
    expect(parseByteRange("bytes=9-9", 10)).toEqual({ start: 9, end: 9 });
    expect(parseByteRange("bytes=4-", 10)).toEqual({ start: 4, end: 9 });
    expect(parseByteRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(parseByteRange("bytes=-30", 10)).toEqual({ start: 0, end: 9 });
    expect(parseByteRange("bytes=5-100", 10)).toEqual({ start: 5, end: 9 });
  });

  it("answers invalid for malformed and unsatisfiable ranges, ignores other units and lists", () => {
    for (const header of [
      "bytes=10-12",
      "bytes=5-2",
      "bytes=abc",
      "bytes=-",
      "bytes=-0",
      "bytes=1-2-3",
    ]) {
      expect(parseByteRange(header, 10), header).toBe("invalid");
    }
    expect(parseByteRange(undefined, 10)).toBeUndefined();
    expect(parseByteRange("items=0-1", 10)).toBeUndefined();
    expect(parseByteRange("bytes=0-1,4-5", 10)).toBeUndefined();
  });
});

describe("fileResponse over HTTP (local disk)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lucky-im-serve-"));
  const store = createLocalDiskFileStore({ dir });
  let http: Awaited<ReturnType<typeof serve>>;
  let fileId = "";
  let pdfId = "";
  beforeAll(async () => {
    http = await serve(store);
    fileId = (
      await store.put({
        name: "voix é.webm",
        mime: "audio/webm",
        ownerId: "u",
        data: Buffer.from("0123456789"),
      })
    ).fileId;
    pdfId = (
      await store.put({
        name: 'a"b.pdf',
        mime: "application/pdf",
        ownerId: "u",
        data: Buffer.from("%PDF-1.4 x"),
      })
    ).fileId;
  });
  afterAll(async () => {
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (id: string, headers: Record<string, string> = {}, method = "GET") =>
    fetch(`${http.base}/files/${encodeURIComponent(id)}`, { headers, method });

  it("sends the whole file with safe headers", async () => {
    const res = await get(fileId);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("0123456789");
    expect(res.headers.get("content-type")).toBe("audio/webm");
    expect(res.headers.get("content-length")).toBe("10");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toBe(
      `inline; filename="voix _.webm"; filename*=UTF-8''voix%20%C3%A9.webm`,
    );
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    const pdf = await get(pdfId);
    expect(pdf.headers.get("content-disposition")).toMatch(/^attachment; filename="a_b.pdf"/);
  });

  it("answers ranges: first byte, middle, last byte, suffix", async () => {
    const cases: Array<[string, string, string]> = [
      ["bytes=0-0", "0", "bytes 0-0/10"],
      ["bytes=3-6", "3456", "bytes 3-6/10"],
      ["bytes=9-9", "9", "bytes 9-9/10"],
      ["bytes=-2", "89", "bytes 8-9/10"],
      ["bytes=7-", "789", "bytes 7-9/10"],
    ];
    for (const [range, body, contentRange] of cases) {
      const res = await get(fileId, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(contentRange);
      expect(res.headers.get("content-length")).toBe(String(body.length));
      expect(await res.text()).toBe(body);
    }
  });

  it("answers 416 to a range outside the file or malformed", async () => {
    for (const range of ["bytes=10-", "bytes=5-2", "bytes=x-1"]) {
      const res = await get(fileId, { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get("content-range")).toBe("bytes */10");
      expect((await res.json()).error.code).toBe("range_not_satisfiable");
    }
  });

  it("answers 304 when the ETag matches, and HEAD without a body", async () => {
    const etag = (await get(fileId)).headers.get("etag")!;
    expect((await get(fileId, { "if-none-match": etag })).status).toBe(304);
    expect((await get(fileId, { "if-none-match": `"other", W/${etag}` })).status).toBe(304);
    expect((await get(fileId, { "if-none-match": '"other"' })).status).toBe(200);
    const head = await get(fileId, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10");
    expect(await head.text()).toBe("");
  });

  it("answers 404 to unknown and hostile ids", async () => {
    for (const id of ["AAAAAAAAAAAAAAAAAAAAAA", "../files/x.json", "..%2F..%2Fetc%2Fpasswd"]) {
      const res = await get(id);
      expect(res.status, id).toBe(404);
      expect((await res.json()).error.code).toBe("not_found");
    }
  });

  it("serves through the server when redirects are on but the store cannot presign", async () => {
    const direct = await serve(store, { redirectSeconds: 30 });
    try {
      const res = await fetch(`${direct.base}/files/${fileId}`, { redirect: "manual" });
      expect(res.status).toBe(200);
    } finally {
      await direct.close();
    }
  });
});

describe("fileResponse with S3 (s3rver): redirects to short-lived presigned URLs", () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let http: Awaited<ReturnType<typeof serve>>;
  let fileId = "";
  beforeAll(async () => {
    s3 = await startS3rver("serving");
    const store = createS3FileStore({ bucket: "serving", client: s3.client });
    http = await serve(store, { redirectSeconds: 30 });
    fileId = (
      await store.put({
        name: "clip.webm",
        mime: "video/webm",
        ownerId: "u",
        data: Buffer.from("abcdefghij"),
      })
    ).fileId;
  });
  afterAll(async () => {
    await http?.close();
    await s3?.stop();
  });

  it("redirects, and the storage answers the file and its ranges", async () => {
    const res = await fetch(`${http.base}/files/${fileId}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    expect(location.startsWith(s3.endpoint)).toBe(true);
    expect(new URL(location).searchParams.get("X-Amz-Expires")).toBe("30");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const whole = await fetch(location);
    expect(await whole.text()).toBe("abcdefghij");
    expect(whole.headers.get("content-type")).toBe("video/webm");
    const part = await fetch(location, { headers: { range: "bytes=2-4" } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("cde");
  });
});
