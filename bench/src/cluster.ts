/**
 * N server processes of one target, each on its own port. For `full` they
 * are one real cluster (the same PostgreSQL schema, Redis prefix and AMQP
 * prefix, a distinct `LUCKY_IM_NODE_ID` each); the other targets keep their
 * state in process, so their nodes are independent servers.
 */
import type { LoopLag, ServerProcess } from "./server-process.js";
import {
  cleanupServices,
  nodeIdOf,
  type RunningTarget,
  runUnique,
  startTarget,
  type TargetContext,
  type TargetName,
} from "./targets.js";

export interface RunningCluster {
  name: TargetName;
  nodes: RunningTarget[];
  /** True when the nodes share state through the services (`full`). */
  shared: boolean;
  /** Stops every node, then drops what the run left in the services (every node's queue too). */
  stop(): Promise<void>;
}

/**
 * The nodes of a cluster as one target of a rate scenario: clients spread over the nodes in
 * turn, CPU and RSS summed over the nodes, event-loop lag the worst node's. For `full` the
 * nodes share the services, so messages between clients of different nodes cross RabbitMQ.
 */
export function clusterAsTarget(cluster: RunningCluster): RunningTarget {
  const [first] = cluster.nodes;
  if (first === undefined) throw new Error("[bench] a cluster without nodes");
  const servers = cluster.nodes.map((node) => node.server);
  const server: ServerProcess = {
    pid: first.server.pid,
    port: first.server.port,
    httpBase: first.server.httpBase,
    async sample() {
      const samples = await Promise.all(servers.map((s) => s.sample()));
      return {
        cpuSeconds: samples.reduce((sum, s) => sum + s.cpuSeconds, 0),
        rssBytes: samples.reduce((sum, s) => sum + s.rssBytes, 0),
        hwmBytes: samples.reduce((sum, s) => sum + s.hwmBytes, 0),
      };
    },
    ...(servers.every((s) => s.instructionsSinceLastCall)
      ? {
          async instructionsSinceLastCall() {
            const counts = await Promise.all(servers.map((s) => s.instructionsSinceLastCall!()));
            return counts.reduce((sum, n) => sum + n, 0);
          },
        }
      : {}),
    async loopLag() {
      const lags = await Promise.all(servers.map((s) => s.loopLag()));
      const known = lags.filter((lag): lag is LoopLag => lag !== undefined);
      if (known.length === 0) return undefined;
      return {
        p99Ms: Math.max(...known.map((lag) => lag.p99Ms)),
        maxMs: Math.max(...known.map((lag) => lag.maxMs)),
      };
    },
    stop: () => cluster.stop(),
  };
  return {
    ...first,
    key: cluster.name,
    server,
    wsBases: cluster.nodes.map((node) => node.wsBase),
    cleanup: async () => {},
  };
}

/** Starts the nodes one after the other (the first runs the migrations), stopping all if one fails. */
export async function startCluster(
  name: TargetName,
  ctx: TargetContext,
  count: number,
): Promise<RunningCluster> {
  const shared = name === "full" && count > 1;
  const nodes: RunningTarget[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.server.stop()));
    for (const node of nodes) await node.cleanup();
    if (shared) {
      // Every slot, started or not: a node that failed may have declared its queue.
      const nodeIds = Array.from({ length: count }, (_, index) => nodeIdOf(ctx, { index, count }));
      await cleanupServices(ctx.services, runUnique(ctx), nodeIds);
    }
  };
  try {
    for (let index = 0; index < count; index++) {
      nodes.push(await startTarget(name, ctx, { index, count }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, nodes, shared, stop };
}
