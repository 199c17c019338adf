import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { uniqueName } from "@lucky-im/core/testing";
import { createRedisRateLimiter } from "@lucky-im/presence-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { deleteKeys } from "./helpers.js";

const url = await serviceUrl("redis");

/** Counts the script calls (EVAL/EVALSHA) a client sends. */
function countScriptCalls(redis: Redis): { readonly count: number } {
  const counter = { count: 0 };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    if (command.name === "evalsha" || command.name === "eval") counter.count++;
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof redis.sendCommand;
  return counter;
}

describe.runIf(url)("createRedisRateLimiter batches the consumes of one turn (real Redis)", () => {
  const prefix = uniqueName("lim_batch");
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(url as string);
    await redis.ping();
  });
  afterAll(async () => {
    await deleteKeys(url as string, prefix);
    await redis.quit();
  });

  it("answers 200 consumes of one turn with one script call, each key with its own count", async () => {
    const limiter = createRedisRateLimiter({
      redis,
      prefix: `${prefix}:a`,
      points: 2,
      durationMs: 60_000,
    });
    await limiter.consume("warm-up"); // loads the script
    const calls = countScriptCalls(redis);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    // Every key twice in the same turn: the second consume must see the first.
    const results = await Promise.all([...keys, ...keys].map((key) => limiter.consume(key)));
    expect(calls.count).toBe(1);
    expect(results.slice(0, 100).every((r) => r.allowed && r.remaining === 1)).toBe(true);
    expect(results.slice(100).every((r) => r.allowed && r.remaining === 0)).toBe(true);
    // A third consume in a later turn is refused, with the window's time left.
    const refused = await limiter.consume("k7");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(await redis.get(`${prefix}:a:k7`)).toBe("3");
    expect(Number(await redis.pttl(`${prefix}:a:k7`))).toBeGreaterThan(50_000);
    await limiter.close();
  });

  it("splits a turn into calls of maxKeysPerCall keys", async () => {
    const limiter = createRedisRateLimiter({
      redis,
      prefix: `${prefix}:b`,
      points: 5,
      durationMs: 60_000,
      maxKeysPerCall: 10,
    });
    await limiter.consume("warm-up");
    const calls = countScriptCalls(redis);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => limiter.consume(`k${i}`)),
    );
    expect(calls.count).toBe(3);
    expect(results.every((r) => r.allowed && r.remaining === 4)).toBe(true);
    await limiter.close();
  });

  it("with batchWindowMs, consumes of several turns within the window share one script call", async () => {
    const limiter = createRedisRateLimiter({
      redis,
      prefix: `${prefix}:c`,
      points: 3,
      durationMs: 60_000,
      batchWindowMs: 200,
    });
    await limiter.consume("warm-up");
    const calls = countScriptCalls(redis);
    const answers: Promise<{ allowed: boolean; remaining: number }>[] = [];
    // Four consumes of one key, each in a turn of its own (a macrotask apart).
    for (let i = 0; i < 4; i++) {
      answers.push(limiter.consume("k"));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(answers);
    expect(calls.count).toBe(1);
    // In arrival order, each seeing the ones before it: the fourth is over the budget.
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    await limiter.close();
  });

  it("close() answers the consumes still waiting for their window before it quits the client", async () => {
    const errors: unknown[] = [];
    const limiter = createRedisRateLimiter({
      url: url as string,
      prefix: `${prefix}:d`,
      points: 5,
      durationMs: 60_000,
      batchWindowMs: 1000,
      insurance: false,
      onError: (error) => errors.push(error),
    });
    await limiter.consume("warm-up");
    const waiting = limiter.consume("k");
    await limiter.close();
    expect(await waiting).toMatchObject({ allowed: true, remaining: 4 });
    expect(errors).toEqual([]);
  });

  it("close() does not wait forever for a Redis that took a call and never answers", async () => {
    // A server that answers the client's handshake (CLIENT SETINFO) and nothing after it.
    const silent = createServer((socket) => {
      socket.on("data", (data) => {
        for (const _ of data.toString().matchAll(/SETINFO/g)) socket.write("+OK\r\n");
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    const client = new Redis({ port, host: "127.0.0.1", enableReadyCheck: false });
    try {
      const limiter = createRedisRateLimiter({
        redis: client,
        points: 5,
        durationMs: 60_000,
        insurance: false,
      });
      const answer = limiter.consume("k").catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Resolves (the test's timeout fails it otherwise) though the consume is never answered.
      await limiter.close();
      client.disconnect();
      expect(await answer).toBeInstanceOf(Error);
    } finally {
      client.disconnect();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 10_000);

  it("rejects a bad maxKeysPerCall or batchWindowMs", () => {
    expect(() =>
      createRedisRateLimiter({ redis, points: 1, durationMs: 1000, maxKeysPerCall: 0 }),
    ).toThrow(/maxKeysPerCall/);
    for (const batchWindowMs of [-1, 1001, Number.NaN]) {
      expect(() =>
        createRedisRateLimiter({ redis, points: 1, durationMs: 1000, batchWindowMs }),
      ).toThrow(/batchWindowMs/);
    }
  });
});
