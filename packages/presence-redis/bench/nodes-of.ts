/**
 * nodesOf for a group, against a real Redis: the Lua read (one EVALSHA) vs a
 * baseline of one HGETALL per member plus EXISTS per node, in a pipeline.
 * Run: LUCKY_IM_BENCH_REDIS_URL=redis://127.0.0.1:6379 npx tsx packages/presence-redis/bench/nodes-of.ts
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createRedisPresence } from "../src/index.js";

const url =
  process.env.LUCKY_IM_BENCH_REDIS_URL ??
  process.env.LUCKY_IM_TEST_REDIS_URL ??
  "redis://127.0.0.1:6379";
const prefix = `bench_presence_${randomBytes(4).toString("hex")}`;
const redis = new Redis(url);
const presence = createRedisPresence({ redis, keyPrefix: prefix });
const NODES = 8;
const ROUNDS = 200;

async function timeIt(fn: () => Promise<unknown>): Promise<{ p50: number; mean: number }> {
  for (let i = 0; i < 20; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length / 2)] ?? 0,
    mean: times.reduce((a, b) => a + b, 0) / times.length,
  };
}

/** The naive way: every member's hash, then every node key, in one pipeline each (two round trips). */
async function baseline(users: string[]): Promise<Map<string, string[]>> {
  const p = redis.pipeline();
  for (const u of users) p.hgetall(`${prefix}:u:${u}`);
  const hashes = ((await p.exec()) ?? []).map(([, h]) => h as Record<string, string>);
  const nodeIds = new Set<string>();
  const pairs: [string, string][] = [];
  hashes.forEach((h, i) => {
    for (const value of Object.values(h)) {
      const nodeId = value.slice(0, value.indexOf("\0"));
      nodeIds.add(nodeId);
      pairs.push([nodeId, users[i] as string]);
    }
  });
  const q = redis.pipeline();
  const ids = [...nodeIds];
  for (const n of ids) q.exists(`${prefix}:node:${n}`);
  const alive = new Set(ids.filter((_, i) => (q as unknown) && true && i >= 0));
  const res = (await q.exec()) ?? [];
  ids.forEach((n, i) => {
    if (res[i]?.[1] !== 1) alive.delete(n);
  });
  const out = new Map<string, string[]>();
  for (const [n, u] of pairs) if (alive.has(n)) out.set(n, [...(out.get(n) ?? []), u]);
  return out;
}

try {
  for (let n = 0; n < NODES; n++) await presence.heartbeat(`node${n}`);
  const rows: string[][] = [];
  for (const size of [50, 500, 5000]) {
    const users = Array.from({ length: size }, (_, i) => `g${size}u${i}`);
    await Promise.all(
      users.map((u, i) =>
        presence.register({
          sessionId: `s${i}`,
          userId: u,
          nodeId: `node${i % NODES}`,
          deviceClass: "web",
          connectedAt: Date.now(),
        }),
      ),
    );
    const lua = await timeIt(() => presence.nodesOf(users));
    const base = await timeIt(() => baseline(users));
    rows.push([
      String(size),
      lua.p50.toFixed(2),
      lua.mean.toFixed(2),
      base.p50.toFixed(2),
      base.mean.toFixed(2),
    ]);
  }
  console.log(`nodesOf, ${NODES} live nodes, 1 session per user, ${ROUNDS} rounds (ms)`);
  console.log("| users | lua p50 | lua mean | baseline p50 | baseline mean |");
  console.log("| ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
} finally {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  await presence.close();
  await redis.quit();
}
