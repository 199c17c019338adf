/**
 * @packageDocumentation
 * Lucky IM `Broker` over RabbitMQ: publisher confirms, reconnection with
 * backoff, dead-lettering of poison messages.
 */

export { createAmqpBroker } from "./amqp-broker.js";
export type { AmqpBrokerOptions, AmqpQueueType } from "./amqp-broker-options.js";
export { type AmqpTopology, amqpTopology } from "./amqp-topology.js";
