import { hasErrorCode } from "@lucky-im/core";
import { freePort } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import { connectRedis, redactRedisUrl } from "../src/index.js";

const url = process.env.LUCKY_IM_TEST_REDIS_URL;

describe("connectRedis", () => {
  it("rejects unavailable naming the URL (no password) and the reason when nothing listens", async () => {
    const port = await freePort();
    const failure = await connectRedis({
      url: `redis://:s3cret-pw@127.0.0.1:${port}/2`,
      timeoutMs: 1000,
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeDefined();
    expect(hasErrorCode(failure, "unavailable")).toBe(true);
    expect(failure!.message).toBe(
      `[lucky-im] [presence-redis] cannot connect to Redis at redis://127.0.0.1:${port}/2: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(failure!.message).not.toContain("s3cret");
  });

  it("redacts passwords and keeps the user", () => {
    expect(redactRedisUrl("redis://app:pw@h:6380/1")).toBe("redis://app@h:6380/1");
    expect(redactRedisUrl("not a url")).toBe("(an unparsable URL)");
  });

  it.runIf(url)("resolves a ready client when Redis answers", async () => {
    const redis = await connectRedis({ url: url!, timeoutMs: 5000 });
    try {
      expect(redis.status).toBe("ready");
      expect(await redis.ping()).toBe("PONG");
    } finally {
      await redis.quit();
    }
  });
});
