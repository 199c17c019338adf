import type { BackgroundErrorHandler } from "@lucky-im/core";
import type { ChannelModel, Options } from "amqplib";

/** Where a queue keeps its messages: see {@link AmqpBrokerOptions.queueType}. */
export type AmqpQueueType = "classic" | "quorum";

/**
 * Options of {@link createAmqpBroker}. Give either `url` or `connection`.
 */
export interface AmqpBrokerOptions {
  /**
   * The RabbitMQ to connect to (`amqp://user:pass@host:5672/vhost?heartbeat=10`),
   * or amqplib's connect options. The broker opens its own connection and
   * reopens it after a loss.
   */
  url?: string | Options.Connect;
  /**
   * Your own amqplib connection (a `ChannelModel`), or a function that opens
   * one. With a function the broker reconnects by calling it again and closes
   * what it returned; with a connection object it only opens channels on it,
   * never closes it, and cannot reconnect once it is closed.
   */
  connection?: ChannelModel | (() => Promise<ChannelModel>);
  /**
   * The prefix of every exchange and queue name (see {@link amqpTopology}).
   * @default "lucky-im"
   */
  prefix?: string;
  /**
   * The type of the node queues: `quorum` survives the loss of a RabbitMQ
   * cluster member, `classic` is lighter. Changing it for an existing queue
   * fails the declaration: delete the queue first.
   * @default "classic"
   */
  queueType?: AmqpQueueType;
  /**
   * A node queue without consumer for this long is deleted by RabbitMQ
   * (`x-expires`), so that a node gone for good leaves nothing behind.
   * @default 3_600_000 (1 hour)
   */
  queueExpiresMs?: number;
  /**
   * How long a message stays in the dead-letter queue (`x-message-ttl`).
   * @default 604_800_000 (7 days)
   */
  deadLetterTtlMs?: number;
  /**
   * How many deliveries may be handled at once (unacked) per node.
   * @default 256
   */
  prefetch?: number;
  /**
   * How many times a delivery is handed to the handler before it goes to the
   * dead-letter queue. Quorum queues count with `x-delivery-limit`; for
   * classic queues the broker counts in a header and requeues at the tail,
   * so that a failing message never blocks the ones behind it.
   * @default 5
   */
  deliveryLimit?: number;
  /**
   * How long `publish` and `broadcast` wait for RabbitMQ's confirm before
   * they reject with `unavailable`.
   * @default 10_000
   */
  publishTimeoutMs?: number;
  /**
   * How long one connection attempt may take (TCP and AMQP handshake).
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /**
   * The delay before the first reconnect attempt; it doubles on each failed
   * attempt (with jitter) up to {@link AmqpBrokerOptions.reconnectMaxDelayMs}.
   * @default 250
   */
  reconnectInitialDelayMs?: number;
  /**
   * The longest delay between two reconnect attempts.
   * @default 15_000
   */
  reconnectMaxDelayMs?: number;
  /**
   * The `connection_name` client property, shown by `rabbitmqctl
   * list_connections` and the management UI.
   * @default "lucky-im"
   */
  connectionName?: string;
  /**
   * This node's id, sent with broadcasts as the sender. When unset, the id
   * given to `subscribe` or `subscribeControl` is used.
   * @default undefined
   */
  nodeId?: string;
  /**
   * Receives every error the broker cannot throw to a caller, as an `ImError` and what
   * failed: a lost connection, a failed reconnect attempt (`unavailable`), a delivery
   * handler that failed, a message sent to the dead-letter queue (`bad_request` when it
   * was not JSON), a control handler that threw (`internal`).
   * @default logs with `console.error`
   */
  onError?: BackgroundErrorHandler;
}
