import type { Presence, RateLimiter } from "@lucky-im/core";
import { presenceConformance, rateLimiterConformance, uniqueName } from "@lucky-im/core/testing";
import {
  createRedisPresence,
  createRedisRateLimiter,
  type RedisRateLimiter,
} from "@lucky-im/presence-redis";
import { afterAll, describe } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { deleteKeys } from "./helpers.js";

const url = await serviceUrl("redis");

describe.runIf(url)("@lucky-im/presence-redis against the core conformance kit", () => {
  // One prefix for the file: every instance from create() shares it (one cluster).
  const prefix = uniqueName("lim_conf");
  afterAll(async () => {
    await deleteKeys(url as string, prefix);
  });

  presenceConformance({
    name: "redis",
    create: async ({ nodeTtlMs }) =>
      createRedisPresence({ url, prefix: `${prefix}:presence`, nodeTtlMs }),
    destroy: (presence: Presence) => presence.close(),
  });

  let limiters = 0;
  rateLimiterConformance({
    name: "redis",
    // Its own prefix per limiter: two budgets must not share keys.
    create: async ({ points, durationMs }) =>
      createRedisRateLimiter({ url, prefix: `${prefix}:rl${limiters++}`, points, durationMs }),
    destroy: (limiter: RateLimiter) => (limiter as RedisRateLimiter).close(),
  });
});
