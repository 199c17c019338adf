import { scryptSync } from "node:crypto";
import { hasErrorCode } from "@lucky-im/core";
import { afterEach, describe, expect, it } from "vitest";
import { createHashPool, type HashPool, type ScryptJob } from "./hash-pool.js";

const job = (password: string): ScryptJob => ({
  password,
  salt: Buffer.from("0123456789abcdef"),
  keyLength: 32,
  N: 2 ** 14,
  r: 8,
  p: 1,
  maxmem: 64 * 1024 * 1024,
});

let pool: HashPool | undefined;
afterEach(async () => {
  await pool?.close();
});

describe("createHashPool", () => {
  it("derives the same key as scrypt on the main thread", async () => {
    pool = createHashPool({ maxConcurrent: 1 });
    const expected = scryptSync("pw", job("pw").salt, 32, {
      N: 2 ** 14,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
    expect((await pool.run(job("pw"))).equals(expected)).toBe(true);
    expect(pool.pending).toBe(0);
  });

  it("refuses past its bounds: rate_limited per key, unavailable when full, both with retryAfterMs", async () => {
    pool = createHashPool({ maxConcurrent: 1, maxQueued: 1, maxPerKey: 1 });
    const first = pool.run(job("a"), "10.0.0.1");
    const sameKey = await pool.run(job("b"), "10.0.0.1").catch((e: unknown) => e);
    expect(hasErrorCode(sameKey, "rate_limited")).toBe(true);
    const second = pool.run(job("c"), "10.0.0.2");
    const full = await pool.run(job("d"), "10.0.0.3").catch((e: unknown) => e);
    expect(hasErrorCode(full, "unavailable")).toBe(true);
    for (const refusal of [sameKey, full]) {
      expect(
        (refusal as { details: { retryAfterMs: number } }).details.retryAfterMs,
      ).toBeGreaterThanOrEqual(1000);
    }
    expect(pool.pending).toBe(2);
    await Promise.all([first, second]);
    // Room again once they are done.
    await pool.run(job("e"), "10.0.0.1");
    expect(pool.pending).toBe(0);
  });

  it("refuses work after close", async () => {
    pool = createHashPool();
    await pool.close();
    expect(hasErrorCode(await pool.run(job("x")).catch((e: unknown) => e), "unavailable")).toBe(
      true,
    );
  });
});
