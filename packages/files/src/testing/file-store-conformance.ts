import { createHash, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type FileStore, FileStoreError } from "../file-store.js";

/** What an implementation can do beyond the core contract; each `false` is a documented gap. */
export interface FileStoreCapabilities {
  /** Presigned upload and download URLs (`createDirectUpload`, `presignGet`). */
  presign: boolean;
  /** The storage forgets a multipart upload when asked (S3 `AbortMultipartUpload`). */
  abortMultipart: boolean;
}

/** Options of {@link fileStoreConformance}. */
export interface FileStoreConformanceOptions {
  /** Names the suite in the test report. */
  name: string;
  /** Makes (or returns) the store under test; called once per test. */
  create: () => FileStore | Promise<FileStore>;
  /** What the store can do; the tests of a missing capability check that it says so instead. */
  capabilities: FileStoreCapabilities;
  /** Size of every multipart part but the last; default 5 MiB (the S3 minimum). */
  partSize?: number;
}

async function text(stream: Readable): Promise<string> {
  return (await bytes(stream)).toString("utf8");
}

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const unique = (label: string) => Buffer.from(`${label} ${randomBytes(12).toString("hex")}`);
const owner = "conformance-user";

async function rejectsWith(promise: Promise<unknown>, code: FileStoreError["code"]) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FileStoreError);
  expect((error as FileStoreError).code).toBe(code);
}

/**
 * The conformance suite of the {@link FileStore} contract: vitest tests that every
 * implementation runs (server-side put, de-duplication, the conversation a file is for, ranges,
 * hostile ids, multipart uploads and their bad input, presigned URLs and their expiry).
 */
export function fileStoreConformance(options: FileStoreConformanceOptions): void {
  const { capabilities } = options;
  const partSize = options.partSize ?? 5 * 1024 * 1024;
  const store = async () => options.create();

  describe(`${options.name}: FileStore`, () => {
    it("stores bytes and reads back their metadata and content", async () => {
      const files = await store();
      const data = unique("hello");
      const meta = await files.put({
        name: "../../etc/hi.txt",
        mime: "text/plain",
        ownerId: owner,
        data,
      });
      expect(meta).toMatchObject({
        mime: "text/plain",
        size: data.length,
        ownerId: owner,
        sha256: sha256(data),
      });
      expect(meta.fileId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(meta.name).not.toContain("/");
      expect(await files.head(meta.fileId)).toEqual(meta);
      const opened = await files.get(meta.fileId);
      expect(opened?.meta).toEqual(meta);
      expect(await bytes(opened!.body)).toEqual(data);
    });

    it("refuses an empty file", async () => {
      const files = await store();
      await rejectsWith(
        files.put({ name: "e", mime: "text/plain", ownerId: owner, data: Buffer.alloc(0) }),
        "bad_request",
      );
    });

    it("stores the same bytes once and keeps them while a file uses them", async () => {
      const files = await store();
      const data = unique("twice");
      const a = await files.put({ name: "a.txt", mime: "text/plain", ownerId: owner, data });
      const b = await files.put({ name: "b.txt", mime: "text/plain", ownerId: "other", data });
      expect(a.fileId).not.toBe(b.fileId);
      expect(a.sha256).toBe(b.sha256);
      expect(await files.delete(a.fileId)).toBe(true);
      expect(await files.head(a.fileId)).toBeUndefined();
      expect(await text((await files.get(b.fileId))!.body)).toBe(data.toString());
      expect(await files.delete(b.fileId)).toBe(true);
      expect(await files.delete(b.fileId)).toBe(false);
      // The last file sharing the bytes is gone: the bytes are too.
      expect(
        await files.putExisting({
          sha256: a.sha256,
          name: "c",
          mime: "text/plain",
          ownerId: owner,
        }),
      ).toBeUndefined();
    });

    it("makes a file from known bytes by their hash (instant upload)", async () => {
      const files = await store();
      const data = unique("instant");
      const first = await files.put({ name: "a.txt", mime: "text/plain", ownerId: owner, data });
      const instant = await files.putExisting({
        sha256: sha256(data),
        name: "copy.txt",
        mime: "text/plain",
        ownerId: "someone-else",
      });
      expect(instant).toMatchObject({ size: data.length, name: "copy.txt", sha256: first.sha256 });
      expect(instant!.fileId).not.toBe(first.fileId);
      expect(await text((await files.get(instant!.fileId))!.body)).toBe(data.toString());
      expect(
        await files.putExisting({
          sha256: "0".repeat(64),
          name: "x",
          mime: "text/plain",
          ownerId: owner,
        }),
      ).toBeUndefined();
      await rejectsWith(
        files.putExisting({ sha256: "../../blobs", name: "x", mime: "text/plain", ownerId: owner }),
        "bad_request",
      );
    });

    it("keeps the conversation a file was uploaded for, by every way of uploading", async () => {
      const files = await store();
      const conversationId = "g:conformance-group";
      const data = unique("attachment");
      const put = await files.put({
        name: "a.txt",
        mime: "text/plain",
        ownerId: owner,
        data,
        conversationId,
      });
      expect(put.conversationId).toBe(conversationId);
      expect((await files.head(put.fileId))?.conversationId).toBe(conversationId);
      expect((await files.get(put.fileId))?.meta.conversationId).toBe(conversationId);
      const instant = await files.putExisting({
        sha256: put.sha256,
        name: "b.txt",
        mime: "text/plain",
        ownerId: owner,
        conversationId: "d:x:y",
      });
      expect((await files.head(instant!.fileId))?.conversationId).toBe("d:x:y");
      // The same bytes without a conversation: none recorded.
      const plain = await files.put({ name: "c.txt", mime: "text/plain", ownerId: owner, data });
      expect(plain.conversationId).toBeUndefined();
      expect(await files.head(plain.fileId)).not.toHaveProperty("conversationId");
      const { uploadId } = await files.createUpload({
        name: "m.txt",
        mime: "text/plain",
        ownerId: owner,
        conversationId,
      });
      const part = await files.uploadPart(uploadId, 1, unique("multipart"));
      const joined = await files.completeUpload(uploadId, [part]);
      expect((await files.head(joined.fileId))?.conversationId).toBe(conversationId);
    });

    it("reads byte ranges: first, middle, last byte, an end past the end", async () => {
      const files = await store();
      const data = Buffer.from("0123456789");
      const { fileId } = await files.put({ name: "d", mime: "text/plain", ownerId: owner, data });
      const read = async (start: number, end: number) =>
        text((await files.get(fileId, { start, end }))!.body);
      expect(await read(0, 0)).toBe("0");
      expect(await read(3, 6)).toBe("3456");
      expect(await read(9, 9)).toBe("9");
      expect(await read(8, 1000)).toBe("89");
    });

    it("refuses ranges outside the file", async () => {
      const files = await store();
      const data = Buffer.from("0123456789");
      const { fileId } = await files.put({ name: "d", mime: "text/plain", ownerId: owner, data });
      await rejectsWith(files.get(fileId, { start: 10, end: 12 }), "range_not_satisfiable");
      await rejectsWith(files.get(fileId, { start: 5, end: 4 }), "range_not_satisfiable");
      await rejectsWith(files.get(fileId, { start: -1, end: 4 }), "range_not_satisfiable");
    });

    it("never looks up ids of another shape (unknown ids, path traversal)", async () => {
      const files = await store();
      for (const id of [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "../../../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "files/AAAAAAAAAAAAAAAAAAAAAA",
        "",
        "a".repeat(1000),
      ]) {
        expect(await files.head(id)).toBeUndefined();
        expect(await files.get(id)).toBeUndefined();
        expect(await files.delete(id)).toBe(false);
        expect(await files.presignGet(id)).toBeUndefined();
      }
      await rejectsWith(files.listParts("../uploads/x"), "not_found");
      await rejectsWith(files.completeDirectUpload("AAAAAAAAAAAAAAAAAAAAAA"), "not_found");
    });

    it("joins a multipart upload sent out of order and resumed after a dropped part", async () => {
      const files = await store();
      const part1 = Buffer.alloc(partSize, "a");
      const part2 = unique("tail");
      const { uploadId } = await files.createUpload({
        name: "big.bin",
        mime: "application/octet-stream",
        ownerId: owner,
      });
      const second = await files.uploadPart(uploadId, 2, part2);
      // The connection dropped during part 1: the client asks what arrived and sends the rest.
      expect((await files.listParts(uploadId)).map((p) => p.partNumber)).toEqual([2]);
      const first = await files.uploadPart(uploadId, 1, part1);
      expect(await files.listParts(uploadId)).toEqual([first, second]);
      const meta = await files.completeUpload(uploadId, [first, second]);
      const whole = Buffer.concat([part1, part2]);
      expect(meta).toMatchObject({ size: whole.length, sha256: sha256(whole), name: "big.bin" });
      expect(await bytes((await files.get(meta.fileId))!.body)).toEqual(whole);
      expect(
        await text((await files.get(meta.fileId, { start: partSize, end: whole.length }))!.body),
      ).toBe(part2.toString());
      // The upload is finished: it cannot be completed again.
      await rejectsWith(files.completeUpload(uploadId, [first, second]), "not_found");
    });

    it("refuses multipart parts out of order, missing, foreign, or numbered wrong", async () => {
      const files = await store();
      const { uploadId } = await files.createUpload({
        name: "x",
        mime: "text/plain",
        ownerId: owner,
      });
      await rejectsWith(files.uploadPart(uploadId, 0, Buffer.from("x")), "bad_request");
      await rejectsWith(files.uploadPart(uploadId, 10_001, Buffer.from("x")), "bad_request");
      await rejectsWith(files.uploadPart(uploadId, 1.5, Buffer.from("x")), "bad_request");
      await rejectsWith(files.uploadPart(uploadId, 1, Buffer.alloc(0)), "bad_request");
      await rejectsWith(
        files.uploadPart("AAAAAAAAAAAAAAAAAAAAAA", 1, Buffer.from("x")),
        "not_found",
      );
      const p1 = await files.uploadPart(uploadId, 1, Buffer.alloc(partSize, "b"));
      const p2 = await files.uploadPart(uploadId, 2, Buffer.from("end"));
      await rejectsWith(files.completeUpload(uploadId, []), "bad_request");
      await rejectsWith(files.completeUpload(uploadId, [p2, p1]), "bad_request");
      await rejectsWith(files.completeUpload(uploadId, [p1, p1]), "bad_request");
      await rejectsWith(
        files.completeUpload(uploadId, [p1, p2, { partNumber: 3, etag: p2.etag }]),
        "bad_request",
      );
      await rejectsWith(
        files.completeUpload(uploadId, [p1, { partNumber: 2, etag: '"forged"' }]),
        "bad_request",
      );
      // The refusals left the upload usable.
      expect((await files.completeUpload(uploadId, [p1, p2])).size).toBe(partSize + 3);
    });

    it("refuses multipart parts that would pass the declared size, a replaced part counted once", async () => {
      const files = await store();
      await rejectsWith(
        files.createUpload({ name: "x", mime: "text/plain", ownerId: owner, size: 0 }),
        "bad_request",
      );
      const { uploadId } = await files.createUpload({
        name: "x",
        mime: "text/plain",
        ownerId: owner,
        size: 6,
      });
      await rejectsWith(files.uploadPart(uploadId, 1, Buffer.from("1234567")), "bad_request");
      await files.uploadPart(uploadId, 1, Buffer.from("1234"));
      await rejectsWith(files.uploadPart(uploadId, 2, Buffer.from("567")), "bad_request");
      // Resending part 1 replaces it: the bound counts what is held, not what was sent.
      const p1 = await files.uploadPart(uploadId, 1, Buffer.from("abc"));
      const p2 = await files.uploadPart(uploadId, 2, Buffer.from("def"));
      // Small declared sizes have few parts (at most one per 64 KiB, and one more).
      await rejectsWith(files.uploadPart(uploadId, 3, Buffer.from("g")), "bad_request");
      const meta = await files.completeUpload(uploadId, [p1, p2]);
      expect(meta.size).toBe(6);
      expect(await text((await files.get(meta.fileId))!.body)).toBe("abcdef");
    });

    it("takes one of two parts sent at once that together pass the declared size", async () => {
      const files = await store();
      const { uploadId } = await files.createUpload({
        name: "x",
        mime: "text/plain",
        ownerId: owner,
        size: 6,
      });
      const results = await Promise.allSettled([
        files.uploadPart(uploadId, 1, Buffer.from("123456")),
        files.uploadPart(uploadId, 2, Buffer.from("abcdef")),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await files.listParts(uploadId)).toHaveLength(1);
    });

    it("purges uploads started before a time and left unfinished, and keeps newer ones", async () => {
      const files = await store();
      const started = (label: string) =>
        files.createUpload({ name: label, mime: "text/plain", ownerId: owner });
      const stale = await started("stale");
      if (capabilities.abortMultipart) await files.uploadPart(stale.uploadId, 1, Buffer.from("s"));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const cutoff = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const fresh = await started("fresh");
      expect(await files.purgeStaleUploads(cutoff)).toBeGreaterThanOrEqual(1);
      await rejectsWith(files.listParts(stale.uploadId), "not_found");
      expect(await files.listParts(fresh.uploadId)).toEqual([]);
      const part = await files.uploadPart(fresh.uploadId, 1, Buffer.from("still here"));
      expect((await files.completeUpload(fresh.uploadId, [part])).size).toBe(10);
      expect(await files.purgeStaleUploads(cutoff)).toBe(0);
    });

    if (capabilities.abortMultipart) {
      it("forgets an aborted multipart upload", async () => {
        const files = await store();
        const { uploadId } = await files.createUpload({
          name: "x",
          mime: "text/plain",
          ownerId: owner,
        });
        const part = await files.uploadPart(uploadId, 1, Buffer.from("abc"));
        await files.abortUpload(uploadId);
        await rejectsWith(files.listParts(uploadId), "not_found");
        await rejectsWith(files.completeUpload(uploadId, [part]), "not_found");
      });
    }

    if (capabilities.presign) {
      it("takes a direct upload to a presigned URL and records it once confirmed", async () => {
        const files = await store();
        const data = unique("direct");
        const upload = await files.createDirectUpload({
          name: "direct.txt",
          mime: "text/plain",
          ownerId: owner,
          size: data.length,
          conversationId: "g:direct-group",
        });
        expect(upload.method).toBe("PUT");
        // Confirmed before the bytes arrived: refused, and the upload stays open.
        await rejectsWith(files.completeDirectUpload(upload.uploadId), "bad_request");
        const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: data });
        expect(put.status).toBe(200);
        const meta = await files.completeDirectUpload(upload.uploadId);
        expect(meta).toMatchObject({ size: data.length, sha256: sha256(data), mime: "text/plain" });
        expect(meta.conversationId).toBe("g:direct-group");
        expect(await text((await files.get(meta.fileId))!.body)).toBe(data.toString());
        await rejectsWith(files.completeDirectUpload(upload.uploadId), "not_found");
      });

      it("purges a direct upload that was never confirmed", async () => {
        const files = await store();
        const upload = await files.createDirectUpload({
          name: "d",
          mime: "text/plain",
          ownerId: owner,
          size: 4,
        });
        await fetch(upload.url, { method: "PUT", headers: upload.headers, body: "abcd" });
        expect(await files.purgeStaleUploads(Date.now() + 1)).toBeGreaterThanOrEqual(1);
        await rejectsWith(files.completeDirectUpload(upload.uploadId), "not_found");
      });

      it("refuses a direct upload whose size is not the declared one", async () => {
        const files = await store();
        const upload = await files.createDirectUpload({
          name: "d",
          mime: "text/plain",
          ownerId: owner,
          size: 4,
        });
        const put = await fetch(upload.url, {
          method: "PUT",
          headers: { "content-type": "text/plain" },
          body: Buffer.from("too long"),
        });
        // The storage refuses the signed length, or the store refuses it when confirmed.
        if (put.ok) await rejectsWith(files.completeDirectUpload(upload.uploadId), "bad_request");
        else expect(put.status).toBeGreaterThanOrEqual(400);
      });

      it("presigns downloads that work, and that expire", async () => {
        const files = await store();
        const data = unique("presigned");
        const { fileId } = await files.put({
          name: "p.txt",
          mime: "text/plain",
          ownerId: owner,
          data,
        });
        const url = await files.presignGet(fileId, { expiresInSeconds: 60 });
        const ok = await fetch(url!);
        expect(ok.status).toBe(200);
        expect(await ok.text()).toBe(data.toString());
        const expired = await files.presignGet(fileId, {
          expiresInSeconds: 60,
          signedAt: new Date(Date.now() - 3_600_000),
        });
        expect((await fetch(expired!)).status).toBe(403);
      });
    } else {
      it("says it cannot presign", async () => {
        const files = await store();
        await rejectsWith(
          files.createDirectUpload({ name: "d", mime: "text/plain", ownerId: owner, size: 3 }),
          "unsupported",
        );
        const { fileId } = await files.put({
          name: "d",
          mime: "text/plain",
          ownerId: owner,
          data: unique("x"),
        });
        expect(await files.presignGet(fileId)).toBeUndefined();
      });
    }
  });
}
