import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_ALLOWED_FILE_TYPES, loadConfig, SETTINGS } from "../src/config.js";

/** The problems loadConfig reports for `env` (none: it loaded). */
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe("loadConfig", () => {
  it("defaults to the embedded server on 8080", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      listenBacklog: 4096,
      schema: "lucky_im",
      jwtIssuer: "lucky-im",
      jwtAudience: "lucky-im",
      multiDevice: "multi",
      maxFileBytes: 10 * 1024 * 1024,
      allowedFileTypes: DEFAULT_ALLOWED_FILE_TYPES,
      trustProxy: false,
      refreshReuseIntervalMs: 10_000,
      passwordMinLength: 8,
      syncPageBytes: 256 * 1024,
      wsHighWaterMark: 1024 * 1024,
      wsMaxBufferedBytes: 4 * 1024 * 1024,
      wsSlowClientTimeoutMs: 10_000,
    });
    for (const unset of [
      "postgresUrl",
      "amqpUrl",
      "redisUrl",
      "jwtSecret",
      "nodeId",
      "allowedOrigins",
    ]) {
      expect(config).not.toHaveProperty(unset);
    }
    expect(isAbsolute(config.filesDir)).toBe(true);
    expect(config.filesDir.endsWith("data/files") || config.filesDir.endsWith("data\\files")).toBe(
      true,
    );
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "9000",
      HOST: "127.0.0.1",
      LUCKY_IM_POSTGRES_URL: "postgres://db/x",
      LUCKY_IM_AMQP_URL: "amqp://mq",
      LUCKY_IM_REDIS_URL: "redis://r",
      LUCKY_IM_NODE_ID: "n1",
      LUCKY_IM_JWT_SECRET: "s".repeat(40),
      LUCKY_IM_JWT_ISSUER: "iss",
      LUCKY_IM_JWT_AUDIENCE: "aud",
      LUCKY_IM_FILES_DIR: "/srv/files",
      LUCKY_IM_ALLOWED_ORIGINS: "https://a.example, https://b.example,",
      LUCKY_IM_FILES_ALLOWED_TYPES: "image/PNG,text/plain",
      LUCKY_IM_MULTI_DEVICE: "one-per-device-class",
      LUCKY_IM_SCHEMA: "chat",
      LUCKY_IM_AMQP_PREFIX: "ap",
      LUCKY_IM_REDIS_PREFIX: "rp",
      LUCKY_IM_RATE_FRAMES: "5",
      LUCKY_IM_TRUST_PROXY: "true",
      LUCKY_IM_MAX_CONNECTIONS_PER_IP: "50000",
      LUCKY_IM_MAX_CONNECTIONS_PER_USER: "3",
      LUCKY_IM_REFRESH_REUSE_INTERVAL_MS: "0",
      LUCKY_IM_PASSWORD_MIN_LENGTH: "12",
      LUCKY_IM_MAX_FRAME_BYTES: "4096",
      LUCKY_IM_MAX_JSON_DEPTH: "8",
      LUCKY_IM_GROUP_CACHE_SIZE: "7",
      LUCKY_IM_DEDUPE_CACHE_SIZE: "9",
      LUCKY_IM_SYNC_PAGE_BYTES: "65536",
      LUCKY_IM_WS_HIGH_WATER_MARK: "524288",
      LUCKY_IM_WS_MAX_BUFFERED_BYTES: "2097152",
      LUCKY_IM_WS_SLOW_CLIENT_TIMEOUT_MS: "5000",
    });
    expect(config).toMatchObject({
      port: 9000,
      host: "127.0.0.1",
      postgresUrl: "postgres://db/x",
      amqpUrl: "amqp://mq",
      redisUrl: "redis://r",
      nodeId: "n1",
      jwtIssuer: "iss",
      jwtAudience: "aud",
      filesDir: "/srv/files",
      allowedOrigins: ["https://a.example", "https://b.example"],
      allowedFileTypes: ["image/png", "text/plain"],
      multiDevice: "one-per-device-class",
      schema: "chat",
      amqpPrefix: "ap",
      redisPrefix: "rp",
      framesPerWindow: 5,
      trustProxy: true,
      maxConnectionsPerIp: 50_000,
      maxConnectionsPerUser: 3,
      refreshReuseIntervalMs: 0,
      passwordMinLength: 12,
      maxFrameBytes: 4096,
      maxJsonDepth: 8,
      groupCacheSize: 7,
      dedupeCacheSize: 9,
      syncPageBytes: 65_536,
      wsHighWaterMark: 524_288,
      wsMaxBufferedBytes: 2_097_152,
      wsSlowClientTimeoutMs: 5_000,
    });
  });

  it("names admins by user id (LUCKY_IM_ADMIN_USER_IDS); the older LUCKY_IM_ADMIN_USERNAMES is refused, saying what to set", () => {
    expect(loadConfig({}).adminUserIds).toEqual([]);
    expect(loadConfig({ LUCKY_IM_ADMIN_USER_IDS: " u_1, u_2 ," }).adminUserIds).toEqual([
      "u_1",
      "u_2",
    ]);
    expect(problemsOf({ LUCKY_IM_ADMIN_USER_IDS: "u_1,not an id" })).toEqual([
      'LUCKY_IM_ADMIN_USER_IDS must be a comma-separated list of user ids (no spaces or colons), got "u_1,not an id"',
    ]);
    // A username can be registered by anyone before the admin: no longer a way to name admins.
    const problems = problemsOf({ LUCKY_IM_ADMIN_USERNAMES: "root" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^LUCKY_IM_ADMIN_USERNAMES is no longer read: .*LUCKY_IM_ADMIN_USER_IDS/,
    );
  });

  it("names the variable of a malformed value", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ LUCKY_IM_FILES_MAX_BYTES: "0" })).toThrow(/LUCKY_IM_FILES_MAX_BYTES/);
    expect(() => loadConfig({ LUCKY_IM_MULTI_DEVICE: "many" })).toThrow(/LUCKY_IM_MULTI_DEVICE/);
  });

  it("reports every problem at once, each naming its variable", () => {
    const problems = problemsOf({
      PORT: "99999",
      LUCKY_IM_LOG_LEVEL: "loud",
      LUCKY_IM_TRUST_PROXY: "on",
      LUCKY_IM_POSTGRESS_URL: "postgres://db/x",
      LUCKY_IM_RATE_FRAMES: "1.5",
    });
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).toMatch(/PORT must be an integer from 0 to 65535, got "99999"/);
    expect(problems.join("\n")).toMatch(/LUCKY_IM_LOG_LEVEL must be one of "fatal"/);
    expect(problems.join("\n")).toMatch(/LUCKY_IM_TRUST_PROXY must be true or false/);
    expect(problems.join("\n")).toMatch(
      /LUCKY_IM_POSTGRESS_URL is not a setting .*did you mean LUCKY_IM_POSTGRES_URL/,
    );
    expect(problems.join("\n")).toMatch(/LUCKY_IM_RATE_FRAMES must be an integer/);
    expect(() => loadConfig({ PORT: "99999", LUCKY_IM_LOG_LEVEL: "loud" })).toThrow(
      /invalid configuration \(2 problems\):\n {2}- PORT .*\n {2}- LUCKY_IM_LOG_LEVEL/,
    );
  });

  it("reads documented booleans and ignores the variables of tests, benchmarks and the migration CLI", () => {
    expect(loadConfig({ LUCKY_IM_TRUST_PROXY: "1" }).trustProxy).toBe(true);
    expect(loadConfig({ LUCKY_IM_TRUST_PROXY: "No" }).trustProxy).toBe(false);
    expect(
      problemsOf({
        LUCKY_IM_TEST_POSTGRES_URL: "x",
        LUCKY_IM_BENCH_REDIS_URL: "x",
        LUCKY_IM_PG_SCHEMA: "x",
      }),
    ).toEqual([]);
  });

  it("takes LUCKY_IM_CORS_ORIGINS, and the older LUCKY_IM_ALLOWED_ORIGINS as an alias", () => {
    expect(loadConfig({ LUCKY_IM_CORS_ORIGINS: "https://a.example" }).allowedOrigins).toEqual([
      "https://a.example",
    ]);
    expect(loadConfig({ LUCKY_IM_ALLOWED_ORIGINS: "https://a.example" }).allowedOrigins).toEqual([
      "https://a.example",
    ]);
    expect(
      problemsOf({
        LUCKY_IM_CORS_ORIGINS: "https://a.example",
        LUCKY_IM_ALLOWED_ORIGINS: "https://b",
      }),
    ).toEqual([expect.stringMatching(/LUCKY_IM_CORS_ORIGINS and LUCKY_IM_ALLOWED_ORIGINS/)]);
  });

  it("reads the file access mode: link by default, members only with a secret of 32+ characters", () => {
    expect(loadConfig({})).toMatchObject({ fileAccess: "link", fileUrlTtlSeconds: 300 });
    expect(loadConfig({}).fileUrlSecret).toBeUndefined();
    const secret = "k".repeat(32);
    expect(
      loadConfig({
        LUCKY_IM_FILE_ACCESS: "members",
        LUCKY_IM_FILE_URL_SECRET: secret,
        LUCKY_IM_FILE_URL_TTL_SEC: "60",
      }),
    ).toMatchObject({ fileAccess: "members", fileUrlSecret: secret, fileUrlTtlSeconds: 60 });

    const missing = problemsOf({ LUCKY_IM_FILE_ACCESS: "members" });
    expect(missing).toHaveLength(1);
    expect(missing[0]).toContain("LUCKY_IM_FILE_URL_SECRET");
    const short = problemsOf({
      LUCKY_IM_FILE_ACCESS: "members",
      LUCKY_IM_FILE_URL_SECRET: "short-secret",
    });
    expect(short.some((p) => p.includes("LUCKY_IM_FILE_URL_SECRET"))).toBe(true);
    expect(short.join("\n")).not.toContain("short-secret");
    expect(problemsOf({ LUCKY_IM_FILE_ACCESS: "everyone" })[0]).toContain("LUCKY_IM_FILE_ACCESS");
    expect(problemsOf({ LUCKY_IM_FILE_URL_TTL_SEC: "0" })[0]).toContain(
      "LUCKY_IM_FILE_URL_TTL_SEC",
    );
  });

  it("never echoes a secret in an error", () => {
    const problems = problemsOf({ LUCKY_IM_METRICS_TOKEN: "hunter2" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("LUCKY_IM_METRICS_TOKEN");
    expect(problems[0]).not.toContain("hunter2");
  });

  it("documents every setting in the README's table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const rows = new Set(
      readme
        .split("\n")
        .filter((line) => line.startsWith("|"))
        .map((line) => /^\|\s*`([A-Z0-9_]+)`/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    const missing = SETTINGS.flatMap((s) => [s.env, ...(s.aliases ?? [])]).filter(
      (name) => !rows.has(name),
    );
    expect(missing).toEqual([]);
  });
});
