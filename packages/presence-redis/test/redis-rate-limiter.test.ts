import { hasErrorCode } from "@lucky-im/core";
import { eventually, freePort, uniqueName } from "@lucky-im/core/testing";
import { createRedisRateLimiter, type RedisRateLimiter } from "@lucky-im/presence-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { deleteKeys } from "./helpers.js";

const url = await serviceUrl("redis");

describe.runIf(url)("createRedisRateLimiter (real Redis)", () => {
  const prefix = uniqueName("lim_rl");
  let redis: Redis;
  const opened: RedisRateLimiter[] = [];
  const make = (name: string, points: number, durationMs: number, blockDurationMs?: number) => {
    const limiter = createRedisRateLimiter({
      redis,
      prefix: `${prefix}:${name}`,
      points,
      durationMs,
      blockDurationMs,
    });
    opened.push(limiter);
    return limiter;
  };

  beforeAll(async () => {
    redis = new Redis(url as string);
  });
  afterAll(async () => {
    for (const l of opened) await l.close();
    await deleteKeys(url as string, prefix);
    await redis.quit();
  });

  it("allows `points` per window, then refuses with retryAfterMs, then allows again", async () => {
    const limiter = make("basic", 3, 600);
    expect(await limiter.consume("k")).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
    expect((await limiter.consume("k")).remaining).toBe(1);
    expect((await limiter.consume("k")).remaining).toBe(0);
    const refused = await limiter.consume("k");
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(600);
    // Another key has its own budget.
    expect((await limiter.consume("other")).allowed).toBe(true);
    // A sub-second window expires (rate-limiter-flexible's own Redis store would floor it to 0 s: never).
    await eventually(async () => (await limiter.consume("k")).allowed, {
      message: "the window to pass",
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  });

  it("holds across instances (the budget lives in Redis)", async () => {
    const a = make("shared", 2, 60_000);
    const b = make("shared", 2, 60_000);
    expect((await a.consume("u")).allowed).toBe(true);
    expect((await b.consume("u")).allowed).toBe(true);
    expect((await a.consume("u")).allowed).toBe(false);
    expect((await b.consume("u")).allowed).toBe(false);
    expect(await redis.get(`${prefix}:shared:u`)).toBe("4");
  });

  it("takes several points at once and checks them", async () => {
    const limiter = make("cost", 5, 60_000);
    expect(await limiter.consume("k", 4)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.consume("k", 2)).toMatchObject({ allowed: false, remaining: 0 });
    const err = await limiter.consume("k", 1.5).catch((e: unknown) => e);
    expect(hasErrorCode(err, "bad_request")).toBe(true);
    expect(() => createRedisRateLimiter({ redis, points: 0, durationMs: 1000 })).toThrow(/points/);
  });

  it("blocks an overspending key for blockDurationMs", async () => {
    const limiter = make("block", 1, 200, 60_000);
    expect((await limiter.consume("k")).allowed).toBe(true);
    const refused = await limiter.consume("k");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(1000);
    // The window (200 ms) passed, the block (60 s) holds.
    await new Promise((r) => setTimeout(r, 400));
    const still = await limiter.consume("k");
    expect(still.allowed).toBe(false);
    expect(still.retryAfterMs).toBeGreaterThan(1000);
  });

  it("without Redis: counts in memory (insurance, default), or rejects with unavailable", async () => {
    const down = `redis://127.0.0.1:${await freePort()}`; // nothing listens there
    const quiet = () => {};
    const insured = createRedisRateLimiter({
      url: down,
      points: 2,
      durationMs: 60_000,
      connectTimeoutMs: 300,
      onError: quiet,
    });
    const strict = createRedisRateLimiter({
      url: down,
      points: 2,
      durationMs: 60_000,
      insurance: false,
      connectTimeoutMs: 300,
      onError: quiet,
    });
    try {
      expect((await insured.consume("k")).allowed).toBe(true);
      expect((await insured.consume("k")).allowed).toBe(true);
      expect((await insured.consume("k")).allowed).toBe(false);
      const err = await strict.consume("k").catch((e: unknown) => e);
      expect(hasErrorCode(err, "unavailable")).toBe(true);
      expect((err as Error).message).toMatch(/^\[lucky-im\] \[presence-redis\] consume failed/);
    } finally {
      await insured.close();
      await strict.close();
    }
  });
});
