/**
 * @packageDocumentation
 * Lucky IM on Redis: {@link createRedisPresence} (which node holds which
 * user's sessions, node liveness, last-seen) and {@link createRedisRateLimiter}
 * (rate limits that hold across nodes); {@link connectRedis} opens a client that fails
 * within seconds, naming the URL, when Redis cannot be reached.
 */

export { type ConnectRedisOptions, connectRedis, redactRedisUrl } from "./connect-redis.js";
export type { RedisConnectionOptions } from "./redis-connection.js";
export {
  createRedisPresence,
  type RedisPresence,
  type RedisPresenceOptions,
} from "./redis-presence.js";
export {
  createRedisRateLimiter,
  type RedisRateLimiter,
  type RedisRateLimiterOptions,
} from "./redis-rate-limiter.js";
