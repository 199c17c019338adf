import type { SessionInfo } from "@lucky-im/core";
import { hasErrorCode } from "@lucky-im/core";
import { eventually, freePort } from "@lucky-im/core/testing";
import { createRedisPresence, createRedisRateLimiter } from "@lucky-im/presence-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { PrivateRedis } from "./helpers.js";

// This test needs its own redis-server (the shared one must not be restarted);
// it runs wherever the shared Redis does.
const url = await serviceUrl("redis");

const session = (userId: string, sessionId: string): SessionInfo => ({
  sessionId,
  userId,
  nodeId: "node-a",
  deviceClass: "web",
  connectedAt: Date.now(),
});

describe.runIf(url)("Redis killed and restarted mid-run (private redis-server)", () => {
  let server: PrivateRedis | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await server?.kill(); // even when the test failed
  });

  it("rejects with unavailable during the outage, and the next heartbeat restores the node's sessions", async () => {
    server = new PrivateRedis(await freePort());
    await server.start();
    const errors: Error[] = [];
    const presence = createRedisPresence({
      url: server.url,
      prefix: "restart",
      nodeTtlMs: 3000,
      commandTimeoutMs: 1000,
      onError: (e) => errors.push(e),
    });
    const limiter = createRedisRateLimiter({
      url: server.url,
      points: 100,
      durationMs: 60_000,
      connectTimeoutMs: 1000,
      onError: (e) => errors.push(e),
    });
    const reader = new Redis(server.url, { maxRetriesPerRequest: 1 });
    reader.on("error", () => {});
    try {
      await presence.heartbeat("node-a");
      await presence.register(session("u1", "s1"));
      await presence.register(session("u2", "s2"));
      expect((await presence.nodesOf(["u1", "u2"])).get("node-a")?.sort()).toEqual(["u1", "u2"]);
      expect((await limiter.consume("k")).allowed).toBe(true);

      await server.kill();
      // Calls during the outage reject with unavailable (never hang, never crash).
      await eventually(() => presence.redis.status !== "ready", {
        message: "the client to see the outage",
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      for (const call of [
        () => presence.nodesOf(["u1"]),
        () => presence.heartbeat("node-a"),
        () => presence.register(session("u3", "s3")), // registered while Redis is down
        () => presence.unregister(session("u2", "s2")), // and one gone while Redis is down
        () => presence.status(["u1"]),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(hasErrorCode(err, "unavailable")).toBe(true);
      }
      expect(await presence.ping()).toBe(false);
      // The rate limiter degrades to per-process counting.
      expect((await limiter.consume("k")).allowed).toBe(true);

      await server.start(); // same port, empty: Redis here keeps nothing on disk
      // ioredis reconnects by itself; then the node's next heartbeat restores its sessions.
      await eventually(
        async () => {
          try {
            await presence.heartbeat("node-a");
            return true;
          } catch {
            return false;
          }
        },
        { message: "a heartbeat to succeed after the restart", timeoutMs: 30_000, intervalMs: 50 },
      );
      const nodes = await presence.nodesOf(["u1", "u2", "u3"]);
      expect(nodes.get("node-a")?.sort()).toEqual(["u1", "u3"]);
      expect(
        (await presence.sessionsOf(["u1", "u2", "u3"])).map((s) => s.sessionId).sort(),
      ).toEqual(["s1", "s3"]);
      expect(await presence.ping()).toBe(true);
      expect(await reader.exists("restart:node:node-a")).toBe(1);
      expect(errors.length).toBeGreaterThan(0); // the outage was reported to onError
      expect(unhandled).toEqual([]);
    } finally {
      reader.disconnect();
      await presence.close();
      await limiter.close();
    }
  });
});
