/**
 * The services the nodes of a test cluster share (PostgreSQL, RabbitMQ, Redis),
 * all under one name: the variables that put a chat-server process on them,
 * and the cleanup of what a test left there.
 */
import { amqpTopology } from "@lucky-im/broker-amqp";
import { type Channel, connect } from "amqplib";
import pg from "pg";
import { deleteKeys as deleteRedisKeys } from "../../packages/presence-redis/test/helpers.js";

/** The URLs of the shared services. */
export interface SharedServiceUrls {
  postgres: string;
  amqp: string;
  redis: string;
}

/** The `/metrics` bearer token of cluster nodes started by tests (`/metrics` is off without one). */
export const CLUSTER_METRICS_TOKEN = "cluster-test-metrics-token";

/**
 * The variables that make a chat-server process node `nodeId` of the cluster
 * `name`: the shared services, with `name` as the schema and as the AMQP and
 * Redis prefixes, and the metrics token. The caller adds the rest (JWT secret, files folder, ...).
 */
export function clusterNodeEnv(
  urls: SharedServiceUrls,
  name: string,
  nodeId: string,
): Record<string, string> {
  return {
    LUCKY_IM_POSTGRES_URL: urls.postgres,
    LUCKY_IM_AMQP_URL: urls.amqp,
    LUCKY_IM_REDIS_URL: urls.redis,
    LUCKY_IM_SCHEMA: name,
    LUCKY_IM_AMQP_PREFIX: name,
    LUCKY_IM_REDIS_PREFIX: name,
    LUCKY_IM_NODE_ID: nodeId,
    LUCKY_IM_METRICS_TOKEN: CLUSTER_METRICS_TOKEN,
  };
}

/** Drops a PostgreSQL schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Deletes every queue and exchange an AMQP broker with `prefix` declared, for
 * the node ids given (control queues are exclusive and went with their connection).
 */
export async function deleteAmqpTopology(
  url: string,
  prefix: string,
  nodeIds: readonly string[],
): Promise<void> {
  const t = amqpTopology(prefix);
  const connection = await connect(url);
  try {
    let channel: Channel | undefined;
    // A failed delete closes the channel: take a new one for each object.
    const attempt = async (action: (c: Channel) => Promise<unknown>) => {
      channel ??= await connection.createChannel();
      channel.on("error", () => {});
      try {
        await action(channel);
      } catch {
        channel = undefined;
      }
    };
    for (const nodeId of nodeIds) await attempt((c) => c.deleteQueue(t.nodeQueue(nodeId)));
    await attempt((c) => c.deleteQueue(t.deadLetterQueue));
    for (const exchange of [t.deliveryExchange, t.deadLetterExchange, t.controlExchange]) {
      await attempt((c) => c.deleteExchange(exchange));
    }
  } finally {
    await connection.close().catch(() => {});
  }
}

/**
 * Removes what the cluster `name` left in the shared services: its schema, its
 * Redis keys and the AMQP queues and exchanges of `nodeIds`. Tries all three,
 * then throws what failed.
 */
export async function dropClusterState(
  urls: SharedServiceUrls,
  name: string,
  nodeIds: readonly string[],
): Promise<void> {
  const outcomes = await Promise.allSettled([
    dropSchema(urls.postgres, name),
    deleteRedisKeys(urls.redis, `${name}:`),
    deleteAmqpTopology(urls.amqp, name, nodeIds),
  ]);
  const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, `cleanup of ${name} failed`);
}
