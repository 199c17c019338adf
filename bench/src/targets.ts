/**
 * The servers a scenario can drive: Lucky IM's example server on in-memory
 * adapters (`embedded`), on one store with in-process broker and presence
 * (`sqlite`: a local file; `postgres`: PostgreSQL), or on PostgreSQL +
 * RabbitMQ + Redis (`full`), and the three baselines built into the tool
 * (`ws`, `socketio`, `socketio-acks`). Lucky IM targets are driven as the
 * official client speaks (its capabilities: batched receipts and acks, held
 * `sent` answers); `embedded-v1` is `embedded` driven by a v1 client without
 * capabilities, to show what they change in the same run. `embedded-base` is `embedded` built from
 * another checkout (`--base-root`): two builds of the send path side by side in one run.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ProtocolName } from "./loadgen/protocol-adapters.js";
import { freePort, type ServerProcess, startServer } from "./server-process.js";

export type TargetName =
  | "embedded"
  | "embedded-v1"
  | "embedded-base"
  | "sqlite"
  | "postgres"
  | "full"
  | "ws"
  | "socketio"
  | "socketio-acks";
export const TARGET_NAMES: readonly TargetName[] = [
  "embedded",
  "embedded-v1",
  "embedded-base",
  "sqlite",
  "postgres",
  "full",
  "ws",
  "socketio",
  "socketio-acks",
];

export interface Services {
  postgresUrl: string;
  amqpUrl: string;
  redisUrl: string;
}

export interface RunningTarget {
  name: TargetName;
  /** The name the load-generator workers know it by: `name`, or `name#k` for node k of several. */
  key: string;
  protocol: ProtocolName;
  server: ServerProcess;
  /** `ws://127.0.0.1:PORT` */
  wsBase: string;
  /** Every node's `wsBase` when the target is a cluster driven as one (clients spread over them). */
  wsBases?: string[];
  /** Lucky IM targets need tokens. */
  needsTokens: boolean;
  /** Sockets per source address the server accepts (its per-IP cap). */
  maxPerAddress: number;
  /** Drops what the target left in the shared services. */
  cleanup(): Promise<void>;
}

export interface TargetContext {
  repoRoot: string;
  outDir: string;
  runId: string;
  jwtSecret: string;
  services: Services;
  /**
   * Sockets per loopback source address, for every target: under the Lucky IM
   * transport's per-IP cap, and few enough that the kernel finds a free
   * ephemeral port per address quickly (18,000 ws sockets from one address
   * took 30.6 s to connect, from 900 per address 5.4 s).
   */
  luckyPerIp: number;
  /** `embedded-base`: the checkout (built) whose example server it runs (`--base-root`). */
  baseRoot?: string;
  /** embedded: `LUCKY_IM_MEMORY_MAX_MESSAGES` of the server (unset: the memory store keeps all). */
  memoryRetention?: number;
  /** embedded: `LUCKY_IM_MEMORY_MAX_AGE_MS` of the server (unset: no age limit). */
  memoryMaxAgeMs?: number;
}

export function newJwtSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Which node of a cluster a server process is: `index` of `count` (0 of 1: a lone server). */
export interface NodeSlot {
  index: number;
  count: number;
}

/** The schema / Redis prefix / AMQP prefix of a run: every node of a `full` cluster shares it. */
export function runUnique(ctx: TargetContext): string {
  return `bench_${ctx.runId.replace(/\W/g, "_")}`.toLowerCase();
}

/** `LUCKY_IM_NODE_ID` of a node; a lone server keeps the historical `<unique>_node`. */
export function nodeIdOf(ctx: TargetContext, slot: NodeSlot): string {
  return slot.count > 1 ? `${runUnique(ctx)}_node${slot.index + 1}` : `${runUnique(ctx)}_node`;
}

/** The baselines' server programs, in bench/src/baselines. */
const BASELINE_FILES = {
  ws: "ws-relay-server.ts",
  socketio: "socketio-relay-server.ts",
  "socketio-acks": "socketio-acks-relay-server.ts",
} as const;

/**
 * Starts one server process of a target. `slot` names the node when several
 * run (its own port, log file and node id). A node of several leaves the
 * shared services alone in its `cleanup`: its cluster drops them once, with
 * every node's queue (`startCluster`).
 */
export async function startTarget(
  name: TargetName,
  ctx: TargetContext,
  slot: NodeSlot = { index: 0, count: 1 },
): Promise<RunningTarget> {
  const port = await freePort();
  const suffix = slot.count > 1 ? `-n${slot.index + 1}` : "";
  const logFile = join(ctx.outDir, `${ctx.runId}-${name}${suffix}.log`);
  const key = slot.count > 1 ? `${name}#${slot.index + 1}` : name;
  if (name === "ws" || name === "socketio" || name === "socketio-acks") {
    const file = join(ctx.repoRoot, "bench/src/baselines", BASELINE_FILES[name]);
    const server = await startServer({
      name: key,
      command: process.execPath,
      args: ["--import", "tsx", file],
      env: {},
      cwd: ctx.repoRoot,
      port,
      logFile,
      readyTimeoutMs: 30_000,
    });
    return {
      name,
      key,
      protocol: name,
      server,
      wsBase: `ws://127.0.0.1:${port}`,
      needsTokens: false,
      maxPerAddress: ctx.luckyPerIp,
      cleanup: async () => {},
    };
  }
  const unique = runUnique(ctx);
  const nodeId = nodeIdOf(ctx, slot);
  const env: Record<string, string> = {
    HOST: "127.0.0.1",
    LUCKY_IM_JWT_SECRET: ctx.jwtSecret,
    LUCKY_IM_LOG_LEVEL: "warn",
    // The bench drives far more than a person types: lift the per-connection limits.
    LUCKY_IM_RATE_FRAMES: "1000000",
    LUCKY_IM_REGISTER_LIMIT: "1000000",
    LUCKY_IM_PASSWORD_HASH_LOG_N: "10",
    LUCKY_IM_MAX_CONNECTIONS_PER_IP: "1000000",
    // Every simulated user logs in from this address and writes to users it never talked to.
    LUCKY_IM_HASH_PER_IP: "1000000",
    LUCKY_IM_HASH_QUEUE: "1000000",
    LUCKY_IM_NEW_DIRECT_LIMIT: "1000000",
    LUCKY_IM_CALL_LIMIT: "1000000",
    LUCKY_IM_STRANGER_ADD_LIMIT: "1000000",
    // `group --group-size` measures groups past the default cap of 500.
    LUCKY_IM_MAX_GROUP_SIZE: "1000000",
    LUCKY_IM_FILES_DIR: join(ctx.outDir, "files"),
    LUCKY_IM_NODE_ID: nodeId,
  };
  // The example's default store is SQLite: every target names its own.
  if (name === "embedded" || name === "embedded-v1" || name === "embedded-base") {
    env.LUCKY_IM_STORE = "memory";
    if (ctx.memoryRetention !== undefined)
      env.LUCKY_IM_MEMORY_MAX_MESSAGES = String(ctx.memoryRetention);
    if (ctx.memoryMaxAgeMs !== undefined)
      env.LUCKY_IM_MEMORY_MAX_AGE_MS = String(ctx.memoryMaxAgeMs);
  }
  // A fresh file per run (and per node), next to the run's logs.
  if (name === "sqlite")
    env.LUCKY_IM_SQLITE_PATH = join(ctx.outDir, `${ctx.runId}-sqlite${suffix}.sqlite`);
  if (name === "postgres") {
    Object.assign(env, {
      LUCKY_IM_POSTGRES_URL: ctx.services.postgresUrl,
      LUCKY_IM_SCHEMA: unique,
    });
  }
  if (name === "full") {
    Object.assign(env, {
      LUCKY_IM_POSTGRES_URL: ctx.services.postgresUrl,
      LUCKY_IM_SCHEMA: unique,
      LUCKY_IM_AMQP_URL: ctx.services.amqpUrl,
      LUCKY_IM_AMQP_PREFIX: unique,
      LUCKY_IM_REDIS_URL: ctx.services.redisUrl,
      LUCKY_IM_REDIS_PREFIX: unique,
    });
  }
  const root = name === "embedded-base" ? ctx.baseRoot : ctx.repoRoot;
  if (root === undefined) throw new Error("[bench] embedded-base needs --base-root");
  const server = await startServer({
    name: key,
    command: process.execPath,
    args: [join(root, "examples/chat-server/dist/main.js")],
    env,
    cwd: root,
    port,
    logFile,
    readyTimeoutMs: 60_000,
  });
  return {
    name,
    key,
    protocol: name === "embedded-v1" ? "lucky-v1" : "lucky",
    server,
    wsBase: `ws://127.0.0.1:${port}`,
    needsTokens: true,
    maxPerAddress: ctx.luckyPerIp,
    cleanup:
      (name === "full" || name === "postgres") && slot.count === 1
        ? () => cleanupServices(ctx.services, unique, name === "full" ? [nodeId] : [])
        : async () => {},
  };
}

/** Drops the run's schema, Redis keys, exchanges, the dead-letter queue and each node's queue. */
export async function cleanupServices(
  services: Services,
  unique: string,
  nodeIds: readonly string[],
): Promise<void> {
  const errors: string[] = [];
  try {
    const pg = await import("pg");
    const client = new pg.default.Client({ connectionString: services.postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${unique}" CASCADE`);
    await client.end();
  } catch (error) {
    errors.push(`postgres: ${String(error)}`);
  }
  try {
    const { Redis } = await import("ioredis");
    const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    let cursor = "0";
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${unique}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    redis.disconnect();
  } catch (error) {
    errors.push(`redis: ${String(error)}`);
  }
  try {
    const amqp = await import("amqplib");
    const connection = await amqp.connect(services.amqpUrl);
    for (const suffix of ["deliveries", "dlx", "control"]) {
      const channel = await connection.createChannel();
      await channel.deleteExchange(`${unique}.${suffix}`).catch(() => {});
      await channel.close().catch(() => {});
    }
    const queues = [`${unique}.dead-letter`, ...nodeIds.map((id) => `${unique}.node.${id}`)];
    for (const queue of queues) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => {});
      await channel.close().catch(() => {});
    }
    await connection.close();
  } catch (error) {
    errors.push(`amqp: ${String(error)}`);
  }
  if (errors.length > 0) console.warn(`[bench] cleanup of ${unique}: ${errors.join("; ")}`);
}
