import type { Presence, SessionInfo, UserStatus } from "@lucky-im/core";
import { checkOption, ImError, isImError, withPresenceRuntime } from "@lucky-im/core";
import type { ChainableCommander, Redis } from "ioredis";
import { resolvePrefix } from "./name-prefix.js";
import {
  HEARTBEAT,
  PRESENCE_SCRIPTS,
  READ,
  REGISTER,
  REMOVE_NODE,
  RESYNC,
  UNREGISTER,
} from "./presence-scripts.js";
import {
  openRedisConnection,
  type RedisConnectionOptions,
  unavailable,
} from "./redis-connection.js";

const PKG = "presence-redis";

/** Options of {@link createRedisPresence}. */
export interface RedisPresenceOptions extends RedisConnectionOptions {
  /**
   * Prefix of every key this presence writes. Instances sharing a prefix share
   * the presence (one per cluster). The same name as the AMQP broker's `prefix`.
   * @default "lucky-im:presence"
   */
  prefix?: string;
  /** @deprecated Use `prefix` (giving both with different values is a `ConfigError`). */
  keyPrefix?: string;
  /**
   * How long a node counts as alive after its last heartbeat. The engine
   * heartbeats every `nodeTtlMs / 3`; sessions of a node that stops (crash)
   * vanish from every answer within this time.
   * @default 30000
   */
  nodeTtlMs?: number;
  /**
   * How long a user's last-seen is kept after they went offline
   * (0 keeps it forever).
   * @default 2592000000 (30 days)
   */
  lastSeenTtlMs?: number;
  /**
   * Any call not answered within this time rejects with `ImError('unavailable')`
   * (also bounds the wait for the first connection).
   * @default 5000
   */
  commandTimeoutMs?: number;
  /**
   * Users per Lua script call in `sessionsOf` / `nodesOf` / `status`. Larger
   * lists are split into several calls sent in one pipeline (still one round
   * trip), so one call never blocks Redis for long.
   * @default 1000
   */
  maxUsersPerCall?: number;
}

/** A {@link Presence} on Redis, as returned by {@link createRedisPresence}. */
export interface RedisPresence extends Presence {
  /** The ioredis client in use (the user's, or the one the presence created). */
  readonly redis: Redis;
}

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

function scriptOf(target: Redis | ChainableCommander, name: string): ScriptCall {
  const fn = (target as unknown as Record<string, ScriptCall | undefined>)[name];
  if (typeof fn !== "function") throw new Error(`script ${name} is not defined on the client`);
  return fn.bind(target);
}

/**
 * Creates a {@link Presence} on Redis: which node holds which user's sessions,
 * node liveness by heartbeat keys with a TTL, online status with last-seen.
 *
 * - `nodesOf` / `sessionsOf` / `status` read a whole group in one round trip
 *   (one EVALSHA per {@link RedisPresenceOptions.maxUsersPerCall} users, pipelined).
 * - Sessions of a node whose heartbeat key expired are left out of every
 *   answer and deleted lazily by the reads.
 * - The presence remembers the sessions it registered; when a heartbeat finds
 *   its node key gone (Redis restarted and lost everything, or the node was
 *   late) or a write failed, it rewrites the node's sessions atomically.
 *   So run one presence instance per node id (the engine's).
 * - While Redis is down, every call rejects with `ImError('unavailable')`
 *   quickly; ioredis reconnects by itself.
 *
 * Works with standalone Redis (or Sentinel), not Redis Cluster: the scripts
 * derive key names from the prefix.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * const presence = createRedisPresence({ redis: new Redis(process.env.REDIS_URL), nodeTtlMs: 30_000 });
 * await presence.heartbeat("node-1");
 * await presence.register({ sessionId: "s1", userId: "u1", nodeId: "node-1", connectedAt: Date.now() });
 * const byNode = await presence.nodesOf(["u1", "u2"]); // Map { "node-1" => ["u1"] }
 * ```
 */
export function createRedisPresence(options: RedisPresenceOptions = {}): RedisPresence {
  const prefix = resolvePrefix(PKG, options, "lucky-im:presence");
  const nodeTtlMs = checkOption(PKG, "nodeTtlMs", options.nodeTtlMs, {
    default: 30_000,
    min: 1,
    integer: true,
  });
  const seenTtlMs = checkOption(PKG, "lastSeenTtlMs", options.lastSeenTtlMs, {
    default: 30 * 24 * 3600_000,
    min: 0,
    integer: true,
  });
  const timeoutMs = checkOption(PKG, "commandTimeoutMs", options.commandTimeoutMs, {
    default: 5_000,
    min: 1,
    integer: true,
  });
  const chunkSize = checkOption(PKG, "maxUsersPerCall", options.maxUsersPerCall, {
    default: 1000,
    min: 1,
    integer: true,
  });

  const connection = openRedisConnection(options, PKG);
  const client = connection.client;
  for (const script of PRESENCE_SCRIPTS) {
    client.defineCommand(script.name, { numberOfKeys: 0, lua: script.lua });
  }

  /** nodeId -> (userId \0 sessionId -> session): what this instance registered, for resync. */
  const local = new Map<string, Map<string, SessionInfo>>();
  /** Nodes whose Redis state may differ from `local` (a write failed): resync on the next heartbeat. */
  const dirty = new Set<string>();

  const memberOf = (s: SessionInfo) => `${s.userId}\0${s.sessionId}`;
  /** The stored form: the scripts read the nodeId before the NUL without decoding JSON. */
  const storedForm = (s: SessionInfo) => `${s.nodeId}\0${JSON.stringify(s)}`;

  /** Runs one Redis operation: fail fast when disconnected, bounded in time, errors as ImError. */
  async function run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!(await connection.ready(timeoutMs))) {
        throw new Error(`redis is not connected (status ${client.status})`);
      }
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      });
      return await Promise.race([fn(), timeout]);
    } catch (error) {
      if (isImError(error)) throw error;
      throw unavailable(PKG, op, error);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  function resync(nodeId: string): Promise<void> {
    return run("heartbeat", async () => {
      // Snapshot taken right before sending: later register/unregister calls go out after it.
      const args: string[] = [
        prefix,
        nodeId,
        String(Date.now()),
        String(nodeTtlMs),
        String(seenTtlMs),
      ];
      for (const s of local.get(nodeId)?.values() ?? []) {
        args.push(s.userId, s.sessionId, storedForm(s));
      }
      dirty.delete(nodeId);
      try {
        await scriptOf(client, RESYNC.name)(...args);
      } catch (error) {
        dirty.add(nodeId);
        throw error;
      }
    });
  }

  async function heartbeat(nodeId: string): Promise<void> {
    if (!dirty.has(nodeId)) {
      const existed = await run("heartbeat", () =>
        scriptOf(client, HEARTBEAT.name)(
          prefix,
          nodeId,
          String(Date.now()),
          String(nodeTtlMs),
          String(seenTtlMs),
        ),
      );
      if (Number(existed) === 1) return;
    }
    await resync(nodeId);
  }

  /** Runs the read script over `userIds` in chunks, one pipeline: one round trip. */
  async function read(
    op: string,
    mode: "sessions" | "nodes" | "status",
    userIds: readonly string[],
  ) {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return { unique, results: [] as unknown[][] };
    const results = await run(op, async () => {
      const chunks: string[][] = [];
      for (let i = 0; i < unique.length; i += chunkSize)
        chunks.push(unique.slice(i, i + chunkSize));
      if (chunks.length === 1) {
        return [
          (await scriptOf(client, READ.name)(
            prefix,
            mode,
            String(seenTtlMs),
            ...unique,
          )) as unknown[],
        ];
      }
      const pipeline = client.pipeline();
      for (const chunk of chunks)
        void scriptOf(pipeline, READ.name)(prefix, mode, String(seenTtlMs), ...chunk);
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, reply]) => {
        if (error) throw error;
        return reply as unknown[];
      });
    });
    return { unique, results };
  }

  const presence: RedisPresence = {
    redis: client,

    async register(session) {
      // NUL separates ids in stored values and set members.
      if (`${session.nodeId}${session.userId}${session.sessionId}`.includes("\0")) {
        throw new ImError("bad_request", `[lucky-im] [${PKG}] register: ids must not contain NUL`);
      }
      const sessions = local.get(session.nodeId) ?? new Map<string, SessionInfo>();
      local.set(session.nodeId, sessions);
      // Remembered even if the write below fails: the next heartbeat writes it.
      sessions.set(memberOf(session), { ...session });
      let alive: unknown;
      try {
        alive = await run("register", () =>
          scriptOf(client, REGISTER.name)(
            prefix,
            session.userId,
            session.sessionId,
            storedForm(session),
            session.nodeId,
            String(Date.now()),
            String(nodeTtlMs),
            String(seenTtlMs),
          ),
        );
      } catch (error) {
        dirty.add(session.nodeId);
        throw error;
      }
      // A node registering a session is alive: mark it so now (and restore its other
      // sessions if Redis lost them) rather than wait for its next heartbeat.
      if (Number(alive) !== 1) await resync(session.nodeId);
    },

    async unregister(session) {
      const sessions = local.get(session.nodeId);
      sessions?.delete(memberOf(session));
      if (sessions?.size === 0) local.delete(session.nodeId);
      try {
        await run("unregister", () =>
          scriptOf(client, UNREGISTER.name)(
            prefix,
            session.userId,
            session.sessionId,
            session.nodeId,
            String(Date.now()),
            String(seenTtlMs),
          ),
        );
      } catch (error) {
        dirty.add(session.nodeId);
        throw error;
      }
    },

    heartbeat,

    async removeNode(nodeId) {
      local.delete(nodeId);
      dirty.delete(nodeId);
      await run("removeNode", () =>
        scriptOf(client, REMOVE_NODE.name)(prefix, nodeId, String(Date.now()), String(seenTtlMs)),
      );
    },

    async sessionsOf(userIds) {
      const { results } = await read("sessionsOf", "sessions", userIds);
      const out: SessionInfo[] = [];
      for (const chunk of results)
        for (const json of chunk) out.push(JSON.parse(String(json)) as SessionInfo);
      return out;
    },

    async nodesOf(userIds) {
      const { unique, results } = await read("nodesOf", "nodes", userIds);
      const byNode = new Map<string, string[]>();
      let i = 0;
      for (const chunk of results) {
        for (const nodes of chunk as string[][]) {
          const userId = unique[i++] as string;
          for (const nodeId of nodes) {
            const users = byNode.get(nodeId);
            if (users) users.push(userId);
            else byNode.set(nodeId, [userId]);
          }
        }
      }
      return byNode;
    },

    async status(userIds) {
      const { unique, results } = await read("status", "status", userIds);
      const now = Date.now();
      const out = new Map<string, UserStatus>();
      let i = 0;
      for (const chunk of results) {
        for (const [live, seen] of chunk as [number, string | null][]) {
          // As the in-memory presence: an online user is seen now.
          const st: UserStatus =
            Number(live) > 0 ? { online: true, lastSeen: now } : { online: false };
          if (!st.online && seen !== null && seen !== undefined) st.lastSeen = Number(seen);
          out.set(unique[i++] as string, st);
        }
      }
      return out;
    },

    async ping() {
      try {
        return (await run("ping", () => client.ping())) === "PONG";
      } catch {
        return false;
      }
    },

    async close() {
      await connection.close();
    },
  };
  // The runtime wrapper makes close idempotent and refuses every call made after it.
  return withPresenceRuntime(presence, { label: `[lucky-im] [${PKG}] presence` });
}
