// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). It imports and type-checks the
// entry points without connecting: the check needs no Redis.
import type { Presence, RateLimiter } from "@lucky-im/core";
import {
  createRedisPresence,
  createRedisRateLimiter,
  type RedisPresence,
  type RedisPresenceOptions,
  type RedisRateLimiterOptions,
} from "@lucky-im/presence-redis";

const options: RedisPresenceOptions = { url: "redis://127.0.0.1:6379", prefix: "consumer" };
const open: (o: RedisPresenceOptions) => RedisPresence = createRedisPresence;
const asPresence = (p: RedisPresence): Presence => p;
const limiter: (o: RedisRateLimiterOptions) => RateLimiter = createRedisRateLimiter;

if (typeof open !== "function" || typeof limiter !== "function" || !options.url) {
  throw new Error("entry points missing");
}
void asPresence;
console.log("@lucky-im/presence-redis ok");
