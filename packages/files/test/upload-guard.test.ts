import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  createMemoryUploadQuotaStore,
  createUploadGuard,
  UploadRejectedError,
} from "../src/index.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const HTML = Buffer.from("<!doctype html><script>alert(1)</script>");

async function rejection(promise: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(UploadRejectedError);
    return error as UploadRejectedError;
  }
  throw new Error("expected a rejection");
}

const candidate = (mime: string, data: Buffer, ownerId = "u1") => ({
  ownerId,
  name: "f",
  mime,
  size: data.length,
  data,
});

describe("upload guard", () => {
  it("refuses a type not allowed and a declared length over the limit, before the body", async () => {
    const guard = createUploadGuard({ maxBytes: 100 });
    const notAllowed = await rejection(() => guard.checkDeclared({ mime: "text/html" }));
    expect([notAllowed.code, notAllowed.status]).toEqual(["type_not_allowed", 415]);
    const big = await rejection(() => guard.checkDeclared({ mime: "image/png", size: 101 }));
    expect([big.code, big.status]).toEqual(["too_large", 413]);
    guard.checkDeclared({ mime: "image/png", size: 100 });
  });

  it("stops reading a body as soon as it passes the limit", async () => {
    const guard = createUploadGuard({ maxBytes: 10 });
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled += 1;
        this.push(Buffer.alloc(4));
      },
    });
    expect((await rejection(guard.readBounded(endless))).code).toBe("too_large");
    expect(pulled).toBeLessThan(10);
    expect(await guard.readBounded(Readable.from([Buffer.from("12345")]))).toEqual(
      Buffer.from("12345"),
    );
  });

  it("refuses HTML declared as a PNG, accepts a real PNG", async () => {
    const guard = createUploadGuard();
    const error = await rejection(guard.checkContent(candidate("image/png", HTML)));
    expect([error.code, error.status]).toEqual(["type_mismatch", 415]);
    const jpegClaim = await rejection(guard.checkContent(candidate("image/jpeg", PNG)));
    expect(jpegClaim.message).toContain("image/png");
    await guard.checkContent(candidate("image/png", PNG));
    await guard.checkContent(candidate("text/plain", HTML));
  });

  it("counts files and bytes per user per day", async () => {
    let now = Date.UTC(2026, 0, 1, 12);
    const guard = createUploadGuard({
      quotaStore: createMemoryUploadQuotaStore(),
      quota: { filesPerDay: 2, bytesPerDay: 1000 },
      now: () => now,
    });
    await guard.checkContent(candidate("image/png", PNG));
    await guard.checkContent(candidate("image/png", PNG));
    const third = await rejection(guard.checkContent(candidate("image/png", PNG)));
    expect([third.code, third.status]).toEqual(["quota_exceeded", 429]);
    await guard.checkContent(candidate("image/png", PNG, "u2"));
    const bytes = createUploadGuard({
      quotaStore: createMemoryUploadQuotaStore(),
      quota: { bytesPerDay: PNG.length - 1 },
    });
    expect((await rejection(bytes.checkContent(candidate("image/png", PNG)))).code).toBe(
      "quota_exceeded",
    );
    now += 24 * 3600 * 1000;
    await guard.checkContent(candidate("image/png", PNG));
  });

  it("lets a beforeStore hook refuse a file", async () => {
    const seen: string[] = [];
    const guard = createUploadGuard({
      beforeStore: ({ ownerId, data }) => {
        seen.push(ownerId);
        if (Buffer.from(data).includes("forbidden")) throw new Error("moderation: refused");
      },
    });
    const error = await rejection(
      guard.checkContent(candidate("text/plain", Buffer.from("forbidden words"))),
    );
    expect([error.code, error.message, error.status]).toEqual([
      "rejected",
      "moderation: refused",
      400,
    ]);
    await guard.checkContent(candidate("text/plain", Buffer.from("fine")));
    expect(seen).toEqual(["u1", "u1"]);
  });
});
