import type { SessionInfo } from "@lucky-im/core";
import { hasErrorCode } from "@lucky-im/core";
import { eventually, freePort, uniqueName } from "@lucky-im/core/testing";
import {
  createRedisPresence,
  createRedisRateLimiter,
  type RedisPresence,
} from "@lucky-im/presence-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { countRoundTrips, deleteKeys, keysOf } from "./helpers.js";

const url = await serviceUrl("redis");

function session(
  userId: string,
  nodeId: string,
  sessionId = `${userId}-${nodeId}`,
  deviceClass = "web",
): SessionInfo {
  return { sessionId, userId, nodeId, deviceClass, connectedAt: Date.now() };
}

describe.runIf(url)("createRedisPresence (real Redis)", () => {
  const prefix = uniqueName("lim_presence");
  let redis: Redis;
  const opened: RedisPresence[] = [];
  /** A presence on the shared test client and a per-test key prefix. */
  const make = (name: string, nodeTtlMs = 30_000) => {
    const p = createRedisPresence({ redis, prefix: `${prefix}:${name}`, nodeTtlMs });
    opened.push(p);
    return p;
  };

  beforeAll(async () => {
    redis = new Redis(url as string);
  });
  afterAll(async () => {
    for (const p of opened) await p.close();
    await deleteKeys(url as string, prefix);
    await redis.quit();
  });

  it("answers sessionsOf / nodesOf / status across instances sharing the prefix", async () => {
    const a = make("basic");
    const b = make("basic");
    await a.heartbeat("n1");
    await b.heartbeat("n2");
    const s1 = session("alice", "n1", "s1", "mobile");
    const s2 = session("alice", "n2", "s2", "desktop");
    const s3 = session("bob", "n2", "s3");
    await a.register(s1);
    await b.register(s2);
    await b.register(s3);

    const sessions = await a.sessionsOf(["alice", "bob", "carol"]);
    expect(sessions.sort((x, y) => x.sessionId.localeCompare(y.sessionId))).toEqual([s1, s2, s3]);

    const nodes = await b.nodesOf(["alice", "bob", "carol", "alice"]);
    expect(Object.fromEntries([...nodes].map(([n, us]) => [n, us.sort()]))).toEqual({
      n1: ["alice"],
      n2: ["alice", "bob"],
    });

    const status = await a.status(["alice", "carol"]);
    expect(status.get("alice")?.online).toBe(true);
    expect(status.get("carol")).toEqual({ online: false });

    const before = Date.now();
    await a.unregister(s1);
    await b.unregister(s2);
    const after = await a.status(["alice", "bob"]);
    expect(after.get("alice")?.online).toBe(false);
    expect(after.get("alice")?.lastSeen).toBeGreaterThanOrEqual(before);
    expect(after.get("bob")?.online).toBe(true);
    expect(await a.nodesOf(["alice"])).toEqual(new Map());
    expect(await a.sessionsOf([])).toEqual([]);
  });

  it("drops the sessions of a node that stops heartbeating, and garbage-collects them lazily", async () => {
    const keyPrefix = `${prefix}:crash`;
    const a = make("crash", 400);
    const reader = make("crash", 400);
    await a.heartbeat("dead");
    await a.heartbeat("live");
    await a.register(session("u1", "dead", "d1"));
    await a.register(session("u1", "live", "l1"));
    await a.register(session("u2", "dead", "d2"));
    expect((await reader.sessionsOf(["u1", "u2"])).length).toBe(3);

    // "live" keeps heartbeating; "dead" does not (a crash: nobody calls unregister).
    const lastBeat = Date.now();
    await eventually(
      async () => {
        await a.heartbeat("live");
        const s = await reader.sessionsOf(["u1", "u2"]);
        return s.length === 1 && s[0]?.sessionId === "l1";
      },
      { message: "the dead node's sessions to vanish", timeoutMs: 15_000, intervalMs: 50 },
    );
    const nodes = await reader.nodesOf(["u1", "u2"]);
    expect(nodes).toEqual(new Map([["live", ["u1"]]]));
    const status = await reader.status(["u1", "u2"]);
    expect(status.get("u1")?.online).toBe(true);
    expect(status.get("u2")?.online).toBe(false);
    // u2's last-seen is the dead node's last heartbeat.
    expect(status.get("u2")?.lastSeen).toBeLessThanOrEqual(lastBeat);
    expect(status.get("u2")?.lastSeen).toBeGreaterThan(lastBeat - 60_000);

    // The reads deleted what they filtered out.
    expect(await redis.hkeys(`${keyPrefix}:u:u1`)).toEqual(["l1"]);
    expect(await redis.exists(`${keyPrefix}:u:u2`)).toBe(0);
    expect(await redis.smembers(`${keyPrefix}:nodesessions:dead`)).toEqual([]);
  });

  it("removeNode forgets the node and its sessions, and sets last-seen", async () => {
    const keyPrefix = `${prefix}:remove`;
    const a = make("remove");
    await a.heartbeat("n1");
    await a.register(session("u1", "n1"));
    await a.register(session("u2", "n1"));
    const before = Date.now();
    await a.removeNode("n1");
    expect(await a.sessionsOf(["u1", "u2"])).toEqual([]);
    const st = await a.status(["u1", "u2"]);
    expect(st.get("u1")).toEqual({ online: false, lastSeen: expect.any(Number) });
    expect(st.get("u1")?.lastSeen).toBeGreaterThanOrEqual(before);
    const left = await keysOf(redis, `${keyPrefix}:`);
    expect(left.filter((k) => !k.startsWith(`${keyPrefix}:seen:`))).toEqual([]);
  });

  it("register marks the node alive until it heartbeats", async () => {
    const a = make("autoalive", 30_000);
    await a.register(session("u1", "fresh"));
    expect(await a.nodesOf(["u1"])).toEqual(new Map([["fresh", ["u1"]]]));
  });

  it("a session id that moved to another node is not removed by its old node", async () => {
    const a = make("move");
    await a.heartbeat("n1");
    await a.heartbeat("n2");
    await a.register(session("u1", "n1", "s"));
    await a.register(session("u1", "n2", "s"));
    await a.removeNode("n1");
    expect(await a.nodesOf(["u1"])).toEqual(new Map([["n2", ["u1"]]]));
  });

  it("heartbeat rewrites the node's sessions when Redis lost them", async () => {
    const keyPrefix = `${prefix}:lost`;
    const a = make("lost");
    await a.heartbeat("n1");
    await a.register(session("u1", "n1", "s1"));
    await a.register(session("u2", "n1", "s2"));
    await a.unregister(session("u2", "n1", "s2"));
    // Simulate a Redis that lost every key (what a restart does here).
    await deleteKeys(url as string, `${keyPrefix}:`);
    expect(await a.sessionsOf(["u1"])).toEqual([]);
    await a.heartbeat("n1");
    expect((await a.sessionsOf(["u1", "u2"])).map((s) => s.sessionId)).toEqual(["s1"]);
  });

  it("nodesOf for 500 users takes one round trip", async () => {
    const a = make("big");
    const users = Array.from({ length: 500 }, (_, i) => `user${i}`);
    for (let n = 0; n < 5; n++) await a.heartbeat(`node${n}`);
    await Promise.all(users.map((u, i) => a.register(session(u, `node${i % 5}`))));
    await a.nodesOf(["warm-up"]); // the first use of a script on a connection sends EVAL, later EVALSHA

    const counter = countRoundTrips(redis);
    let nodes: Map<string, string[]>;
    try {
      nodes = await a.nodesOf(users);
    } finally {
      counter.stop();
    }
    expect(counter.trips).toBe(1);
    expect(counter.commands).toEqual(["evalsha"]);
    expect(nodes.size).toBe(5);
    expect(nodes.get("node3")?.length).toBe(100);
    expect([...nodes.values()].flat().sort()).toEqual([...users].sort());
  });

  it("splits huge lists into several scripts in one pipeline (one round trip)", async () => {
    const a = createRedisPresence({ redis, prefix: `${prefix}:big`, maxUsersPerCall: 120 });
    opened.push(a);
    const users = Array.from({ length: 500 }, (_, i) => `user${i}`);
    const counter = countRoundTrips(redis);
    let nodes: Map<string, string[]>;
    try {
      nodes = await a.nodesOf(users);
    } finally {
      counter.stop();
    }
    expect(counter.trips).toBe(1);
    expect(counter.commands.length).toBe(5);
    expect([...nodes.values()].flat().length).toBe(500);
  });

  it("still takes the deprecated keyPrefix, and refuses one that disagrees with prefix", async () => {
    const aliased = createRedisPresence({ redis, keyPrefix: `${prefix}:alias` });
    opened.push(aliased);
    await aliased.heartbeat("n1");
    expect(await redis.exists(`${prefix}:alias:node:n1`)).toBe(1);
    expect(() => createRedisPresence({ redis, prefix: "a", keyPrefix: "b" })).toThrow(
      expect.objectContaining({ isConfigError: true, option: "prefix" }),
    );
    expect(() =>
      createRedisRateLimiter({ redis, prefix: "a", keyPrefix: "b", points: 1, durationMs: 1000 }),
    ).toThrow(expect.objectContaining({ isConfigError: true, option: "prefix" }));
  });

  it("does not quit a client it was given; quits the one it created", async () => {
    const given = createRedisPresence({ redis, prefix: `${prefix}:own` });
    expect(await given.ping()).toBe(true);
    await given.close();
    await given.close();
    expect(redis.status).toBe("ready");
    const err = await given.register(session("u", "n")).catch((e: unknown) => e);
    expect(hasErrorCode(err, "unavailable")).toBe(true);

    const owned = createRedisPresence({ url, prefix: `${prefix}:own` });
    expect(await owned.ping()).toBe(true);
    await owned.close();
    expect(["end", "close"]).toContain(owned.redis.status);
    expect(await owned.ping()).toBe(false);
  });

  it("rejects with ImError('unavailable') when Redis cannot be reached, and ping is false", async () => {
    const port = await freePort(); // nothing listens there
    const errors: Error[] = [];
    const p = createRedisPresence({
      url: `redis://127.0.0.1:${port}`,
      prefix: `${prefix}:down`,
      commandTimeoutMs: 500,
      onError: (e) => errors.push(e),
    });
    try {
      const err = await p.nodesOf(["u1"]).catch((e: unknown) => e);
      expect(hasErrorCode(err, "unavailable")).toBe(true);
      expect((err as Error).message).toMatch(/^\[lucky-im\] \[presence-redis\] nodesOf failed/);
      const reg = await p.register(session("u1", "n1")).catch((e: unknown) => e);
      expect(hasErrorCode(reg, "unavailable")).toBe(true);
      expect(await p.ping()).toBe(false);
      await eventually(() => errors.length > 0, {
        message: "onError to see the connection error",
        timeoutMs: 10_000,
        intervalMs: 50,
      });
    } finally {
      await p.close();
    }
  });
});
