import type { Server } from "node:http";
import { createAmqpBroker } from "@lucky-im/broker-amqp";
import { type Authenticator, createImServer, type ImServer } from "@lucky-im/core";
import { createRedisPresence } from "@lucky-im/presence-redis";
import { createPostgresStore } from "@lucky-im/store-postgres";
import { createWsTransport } from "@lucky-im/transport-ws";

/** Where Lucky IM keeps its data. Each service left unset runs in memory (one process). */
export interface LuckyImServices {
  /** PostgreSQL: messages, cursors, groups and the outbox (`@lucky-im/store-postgres`). */
  postgresUrl?: string;
  /** The PostgreSQL schema of Lucky IM's tables (created and migrated on start). */
  schema: string;
  /** RabbitMQ: delivery between nodes (`@lucky-im/broker-amqp`). */
  amqpUrl?: string;
  /** The prefix of every exchange and queue name. */
  amqpPrefix: string;
  /** Redis: which node holds which user's sessions (`@lucky-im/presence-redis`). */
  redisUrl?: string;
  /** The prefix of every Redis key. */
  redisPrefix: string;
}

/**
 * Starts Lucky IM on the app's own HTTP server: WebSocket clients connect to
 * `/ws` on the app's port and are authenticated by `authenticator`, which
 * accepts the app's own tokens. Close the returned engine before the server.
 */
export async function startLuckyIm(
  server: Server,
  authenticator: Authenticator,
  services: LuckyImServices,
): Promise<ImServer> {
  const storage = services.postgresUrl
    ? await createPostgresStore({ url: services.postgresUrl, schema: services.schema })
    : undefined;
  const im = createImServer({
    // The transport only takes the `upgrade` requests for `/ws`: the app's routes are untouched.
    transport: createWsTransport({ server, path: "/ws" }),
    authenticator,
    storage,
    broker: services.amqpUrl
      ? createAmqpBroker({ url: services.amqpUrl, prefix: services.amqpPrefix })
      : undefined,
    presence: services.redisUrl
      ? createRedisPresence({
          url: services.redisUrl,
          prefix: `${services.redisPrefix}:presence`,
        })
      : undefined,
  });
  try {
    await im.start();
  } catch (error) {
    // The engine owns the adapters it was given: closing it releases them.
    await im.close();
    throw error;
  }
  return im;
}
