/**
 * N server processes of one target, each on its own port. For `full` they
 * are one real cluster (the same PostgreSQL schema, Redis prefix and AMQP
 * prefix, a distinct `LUCKY_IM_NODE_ID` each); the other targets keep their
 * state in process, so their nodes are independent servers.
 */
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
