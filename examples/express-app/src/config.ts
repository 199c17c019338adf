import type { AppConfig } from "./app.js";
import { createUserDirectory, parseAccounts } from "./users.js";

/** Reads the app's configuration from the environment (see the README's table). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const jwtSecret = env.APP_JWT_SECRET;
  if (!jwtSecret) throw new Error("APP_JWT_SECRET is required (at least 32 bytes)");
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? "127.0.0.1",
    jwtSecret,
    tokenTtlSeconds: Number(env.APP_TOKEN_TTL_SECONDS ?? 3600),
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
