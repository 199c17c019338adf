import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3rver } from "../../../packages/files/test/s3rver.js";
import type { ChatServer } from "../src/chat-server.js";
import { api, registerUser, startTestServer, type TestUser } from "./helpers.js";

/** The upload flows and the serving of docs/protocol.md §11 Files, on disk and on S3 (s3rver). */

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const HTML = Buffer.from("<!doctype html><script>alert(document.domain)</script>");

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
};

describe("files on the local disk", () => {
  let server: ChatServer;
  let stop: () => Promise<void>;
  let base: string;
  let user: TestUser;
  beforeAll(async () => {
    ({ server, stop } = await startTestServer({
      maxFileBytes: 64 * 1024,
      filesQuotaFilesPerDay: 12,
    }));
    base = server.url;
    user = await registerUser(base, "uploader");
  });
  afterAll(() => stop());

  const upload = (raw: Buffer, contentType: string, token = user.accessToken) =>
    api(base, "POST", "/files?name=v.webm", { token, raw, contentType });

  it("serves ranges, 416, ETag and 304", async () => {
    const stored = await upload(Buffer.from("0123456789"), "text/plain");
    expect(stored.status).toBe(201);
    const url = `${base}${stored.body.url}`;
    const first = await fetch(url, { headers: { range: "bytes=0-0" } });
    expect([first.status, await first.text(), first.headers.get("content-range")]).toEqual([
      206,
      "0",
      "bytes 0-0/10",
    ]);
    const middle = await fetch(url, { headers: { range: "bytes=4-5" } });
    expect(await middle.text()).toBe("45");
    const last = await fetch(url, { headers: { range: "bytes=-1" } });
    expect([last.status, await last.text()]).toEqual([206, "9"]);
    const outside = await fetch(url, { headers: { range: "bytes=10-20" } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe("bytes */10");
    expect((await outside.json()).error.code).toBe("bad_request");
    const whole = await fetch(url);
    const etag = whole.headers.get("etag")!;
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    const again = await fetch(url, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    const head = await fetch(url, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "10"]);
  });

  it("refuses HTML declared as a PNG (415), and a body over the limit sent without a length", async () => {
    expectError(await upload(HTML, "image/png"), 415, "bad_request");
    const chunked = await fetch(`${base}/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "text/plain" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 80; i += 1) controller.enqueue(new Uint8Array(1024));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it("makes a file from known bytes (instant upload), checked against the declared type", async () => {
    const first = await upload(PNG, "image/png");
    const instant = await api(base, "POST", "/files/instant", {
      token: user.accessToken,
      body: { sha256: first.body.sha256, name: "again.png", mime: "image/png" },
    });
    expect(instant.status).toBe(201);
    expect(instant.body.fileId).not.toBe(first.body.fileId);
    expect(instant.body.sha256).toBe(first.body.sha256);
    const html = await upload(HTML, "text/plain");
    expectError(
      await api(base, "POST", "/files/instant", {
        token: user.accessToken,
        body: { sha256: html.body.sha256, name: "x.png", mime: "image/png" },
      }),
      415,
      "bad_request",
    );
    expectError(
      await api(base, "POST", "/files/instant", {
        token: user.accessToken,
        body: { sha256: "0".repeat(64), name: "x.png", mime: "image/png" },
      }),
      404,
      "not_found",
    );
  });

  it("takes a resumable multipart upload, refusing parts out of order or missing", async () => {
    const created = await api(base, "POST", "/files/uploads", {
      token: user.accessToken,
      body: { name: "long.txt", mime: "text/plain", size: 6 },
    });
    expect(created.status).toBe(201);
    const { uploadId } = created.body;
    const part = (n: number, text: string) =>
      api(base, "PUT", `/files/uploads/${uploadId}/parts/${n}`, {
        token: user.accessToken,
        raw: Buffer.from(text),
        contentType: "application/octet-stream",
      });
    const p2 = await part(2, "def");
    expect(p2.status).toBe(200);
    // After a dropped connection the client asks what arrived.
    const listed = await api(base, "GET", `/files/uploads/${uploadId}/parts`, {
      token: user.accessToken,
    });
    expect(listed.body.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([2]);
    const p1 = (await part(1, "abc")).body;
    const complete = (parts: unknown) =>
      api(base, "POST", `/files/uploads/${uploadId}/complete`, {
        token: user.accessToken,
        body: { parts },
      });
    expectError(await complete([p2.body, p1]), 400, "bad_request");
    expectError(await complete([p1, p2.body, { partNumber: 3, etag: "x" }]), 400, "bad_request");
    const done = await complete([p1, p2.body]);
    expect(done.status).toBe(201);
    expect((await api(base, "GET", done.body.url)).body).toBe("abcdef");
    expectError(await complete([p1, p2.body]), 404, "not_found");
    expectError(
      await api(base, "PUT", "/files/uploads/..%2F..%2Fx/parts/1", {
        token: user.accessToken,
        raw: Buffer.from("x"),
        contentType: "application/octet-stream",
      }),
      404,
      "not_found",
    );
  });

  it("strips EXIF from a JPEG and answers its size and a thumbnail", async () => {
    const { default: sharp } = await import("sharp");
    const jpeg = await sharp({ create: { width: 64, height: 32, channels: 3, background: "#a33" } })
      .jpeg()
      .withExifMerge({ IFD0: { Make: "SecretCam" } })
      .toBuffer();
    const stored = await upload(jpeg, "image/jpeg");
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ width: 64, height: 32, mime: "image/jpeg" });
    const served = await api(base, "GET", stored.body.url);
    expect(served.raw.includes("SecretCam")).toBe(false);
    const thumb = await api(base, "GET", stored.body.thumbnailUrl);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    // A PNG signature followed by garbage passes the sniffing but not the decoder.
    const broken = Buffer.concat([PNG.subarray(0, 33), Buffer.alloc(40, 1)]);
    expectError(await upload(broken, "image/png"), 415, "bad_request");
  });

  it("says direct uploads need S3", async () => {
    expectError(
      await api(base, "POST", "/files/direct", {
        token: user.accessToken,
        body: { name: "a.png", mime: "image/png", size: PNG.length },
      }),
      400,
      "bad_request",
    );
  });

  it("refuses uploads past the daily quota (429)", async () => {
    const other = await registerUser(base, "quota");
    const answers = [];
    for (let i = 0; i < 13; i += 1)
      answers.push((await upload(Buffer.from(`q${i}`), "text/plain", other.accessToken)).status);
    expect(answers.slice(0, 12).every((s) => s === 201)).toBe(true);
    expect(answers[12]).toBe(429);
  });
});

describe("files on S3 (s3rver)", () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let server: ChatServer;
  let stop: () => Promise<void>;
  let base: string;
  let user: TestUser;
  beforeAll(async () => {
    s3 = await startS3rver("chat-files");
    ({ server, stop } = await startTestServer({
      s3Bucket: "chat-files",
      s3Endpoint: s3.endpoint,
      s3Region: "us-east-1",
      s3AccessKeyId: "S3RVER",
      s3SecretAccessKey: "S3RVER",
      s3ForcePathStyle: true,
      s3Prefix: "im/",
      filesRedirectSec: 30,
    }));
    base = server.url;
    user = await registerUser(base, "s3user");
  });
  afterAll(async () => {
    await stop?.();
    await s3?.stop();
  });

  it("uploads through the server and redirects downloads to a presigned URL", async () => {
    const stored = await api(base, "POST", "/files?name=dot.png", {
      token: user.accessToken,
      raw: PNG,
      contentType: "image/png",
    });
    expect(stored.status).toBe(201);
    const redirect = await fetch(`${base}${stored.body.url}`, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location")!;
    expect(location.startsWith(s3.endpoint)).toBe(true);
    const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(bytes.length).toBe(stored.body.size);
    expect(bytes.subarray(0, 8).equals(PNG.subarray(0, 8))).toBe(true);
  });

  it("takes a direct upload to a presigned URL, then checks the bytes", async () => {
    const created = await api(base, "POST", "/files/direct", {
      token: user.accessToken,
      body: { name: "direct.png", mime: "image/png", size: PNG.length },
    });
    expect(created.status).toBe(201);
    const { uploadId, url, headers } = created.body;
    expect((await fetch(url, { method: "PUT", headers, body: PNG })).status).toBe(200);
    const done = await api(base, "POST", `/files/direct/${uploadId}/complete`, {
      token: user.accessToken,
    });
    expect(done.status).toBe(201);
    expect(done.body.size).toBe(PNG.length);

    // HTML sent to a URL issued for a PNG: stored by S3, refused and deleted at confirmation.
    const forged = await api(base, "POST", "/files/direct", {
      token: user.accessToken,
      body: { name: "x.png", mime: "image/png", size: HTML.length },
    });
    await fetch(forged.body.url, { method: "PUT", headers: forged.body.headers, body: HTML });
    expectError(
      await api(base, "POST", `/files/direct/${forged.body.uploadId}/complete`, {
        token: user.accessToken,
      }),
      415,
      "bad_request",
    );
  });
});
