/**
 * The names of the RabbitMQ objects an AMQP broker declares, all under one
 * prefix so that several deployments (or test runs) share a RabbitMQ without
 * touching each other's objects.
 */
export interface AmqpTopology {
  /** Durable direct exchange for deliveries; the routing key is the target node id. */
  readonly deliveryExchange: string;
  /** Durable fanout exchange that dead-lettered deliveries go to. */
  readonly deadLetterExchange: string;
  /** Durable queue bound to {@link AmqpTopology.deadLetterExchange}: where poison messages end. */
  readonly deadLetterQueue: string;
  /** Durable fanout exchange for control messages between nodes. */
  readonly controlExchange: string;
  /** The queue of one node, bound to {@link AmqpTopology.deliveryExchange} by the node id. */
  nodeQueue(nodeId: string): string;
  /** The prefix of a node's control queues (each declaration adds a random suffix). */
  controlQueuePrefix(nodeId: string): string;
}

/**
 * The names an AMQP broker with this `prefix` uses, for operators (monitoring
 * the dead-letter queue) and for tests that clean up after themselves.
 *
 * @example
 * ```ts
 * amqpTopology("lucky-im").deadLetterQueue; // "lucky-im.dead-letter"
 * amqpTopology("lucky-im").nodeQueue("n1"); // "lucky-im.node.n1"
 * ```
 */
export function amqpTopology(prefix = "lucky-im"): AmqpTopology {
  return {
    deliveryExchange: `${prefix}.deliveries`,
    deadLetterExchange: `${prefix}.dlx`,
    deadLetterQueue: `${prefix}.dead-letter`,
    controlExchange: `${prefix}.control`,
    nodeQueue: (nodeId) => `${prefix}.node.${nodeId}`,
    controlQueuePrefix: (nodeId) => `${prefix}.control.${nodeId}`,
  };
}
