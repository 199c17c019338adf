import type { AppConfig } from "./app.js";
import { createUserDirectory, parseAccounts } from "./users.js";

/** Reads the app's configuration from the environment (see the README's table). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? "127.0.0.1",
    sessionTtlMs: Number(env.APP_SESSION_TTL_SECONDS ?? 86_400) * 1000,
    users: createUserDirectory(
      parseAccounts(env.LUCKY_IM_DEMO_USERS ?? "alice:alice-password,bob:bob-password"),
    ),
    postgresUrl: env.LUCKY_IM_POSTGRES_URL || undefined,
    schema: env.LUCKY_IM_SCHEMA ?? "lucky_im",
    amqpUrl: env.LUCKY_IM_AMQP_URL || undefined,
    amqpPrefix: env.LUCKY_IM_AMQP_PREFIX ?? "lucky-im",
    redisUrl: env.LUCKY_IM_REDIS_URL || undefined,
    redisPrefix: env.LUCKY_IM_REDIS_PREFIX ?? "lucky-im",
  };
}
