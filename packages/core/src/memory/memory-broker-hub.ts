import { ConfigError } from "../config-error.js";
import type { ControlHandler, DeliveryHandler } from "../contracts/broker.js";
import type { Envelope } from "../domain/envelope.js";

/**
 * Routes envelopes between {@link createMemoryBroker} instances of one
 * process, as a RabbitMQ server does between nodes. Brokers created with the
 * same hub form one cluster; a broker created without one gets a private hub.
 * It is opaque: only the brokers read it.
 */
export interface MemoryBrokerHub {
  /** Brand: a hub comes only from {@link createMemoryBrokerHub}. */
  readonly kind: "lucky-im.memory-broker-hub";
}

/** @internal One envelope waiting in a node's queue. */
export interface QueuedEnvelope {
  envelope: Envelope;
  /** How many times it was handed to the handler so far. */
  deliveries: number;
}

/** @internal A node's queue and its consumer. */
export interface NodeQueue {
  nodeId: string;
  handler: DeliveryHandler;
  /** Waiting envelopes from index `head` on (an index instead of `shift()`, which is O(n)). */
  items: Array<QueuedEnvelope | undefined>;
  head: number;
  /** True while the delivery loop runs. */
  draining: boolean;
  /** Set when the consuming broker closed: the loop stops, publishes are refused. */
  closed: boolean;
  /** Called by the loop for an envelope rejected `deliveryLimit` times. */
  deadLetter(item: QueuedEnvelope, error: unknown): void;
  deliveryLimit: number;
}

/** @internal A control-channel subscriber. */
export interface ControlSubscriber {
  nodeId: string;
  handler: ControlHandler;
  onError(error: unknown): void;
}

/** @internal The routing state of a hub. */
export interface MemoryBrokerHubState {
  queues: Map<string, NodeQueue>;
  controls: Set<ControlSubscriber>;
}

const states = new WeakMap<MemoryBrokerHub, MemoryBrokerHubState>();

/**
 * Creates a {@link MemoryBrokerHub}: pass it to several
 * {@link createMemoryBroker} calls to connect them like nodes of a cluster.
 *
 * @example
 * ```ts
 * const hub = createMemoryBrokerHub();
 * const nodeA = createMemoryBroker({ hub });
 * const nodeB = createMemoryBroker({ hub });
 * ```
 */
export function createMemoryBrokerHub(): MemoryBrokerHub {
  const hub: MemoryBrokerHub = Object.freeze({ kind: "lucky-im.memory-broker-hub" as const });
  states.set(hub, { queues: new Map(), controls: new Set() });
  return hub;
}

/** @internal The state of a hub; throws on an object that is not one. */
export function brokerHubState(hub: MemoryBrokerHub): MemoryBrokerHubState {
  const state = states.get(hub);
  if (!state) {
    throw new ConfigError(
      "core",
      "option hub is not a memory broker hub: create one with createMemoryBrokerHub()",
      { option: "hub" },
    );
  }
  return state;
}
