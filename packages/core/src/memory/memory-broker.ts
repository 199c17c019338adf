import {
  type BackgroundErrorHandler,
  consoleBackgroundErrors,
  reportBackgroundError,
} from "../background-error.js";
import type { Broker, ControlHandler, DeliveryHandler } from "../contracts/broker.js";
import type { ControlMessage, Envelope } from "../domain/envelope.js";
import { ImError, toImError } from "../errors.js";
import { withBrokerRuntime } from "../runtime/broker-runtime.js";
import { checkOption } from "../util/check-option.js";
import {
  brokerHubState,
  type ControlSubscriber,
  createMemoryBrokerHub,
  type MemoryBrokerHub,
  type NodeQueue,
  type QueuedEnvelope,
} from "./memory-broker-hub.js";

/** Options of {@link createMemoryBroker}. */
export interface MemoryBrokerOptions {
  /**
   * The cluster this broker belongs to; brokers sharing a hub reach each other.
   * @default a new, private hub (a one-node cluster)
   */
  hub?: MemoryBrokerHub;
  /**
   * How many times one envelope is handed to this node's handler in all
   * (first delivery and redeliveries) before it is dead-lettered, like a
   * RabbitMQ quorum queue's `x-delivery-limit`.
   * @default 5
   */
  deliveryLimit?: number;
  /**
   * How many dead letters {@link MemoryBroker.deadLetters} keeps (the oldest
   * are dropped first).
   * @default 1000
   */
  maxDeadLetters?: number;
  /**
   * Called with an `ImError` and what failed when an envelope is dead-lettered or a
   * control handler throws. Nothing is thrown to the publisher for these.
   * @default logs with `console.error`
   */
  onError?: BackgroundErrorHandler;
}

/** An envelope that exhausted its deliveries. */
export interface MemoryDeadLetter {
  /** The node it was addressed to. */
  nodeId: string;
  /** What was published. */
  envelope: Envelope;
  /** How many times it was handed to the handler. */
  deliveries: number;
  /** What the handler rejected with the last time. */
  error: unknown;
  /** When it was dead-lettered (ms since epoch). */
  at: number;
}

/** The in-memory {@link Broker}, with its dead letters visible (for tests). */
export interface MemoryBroker extends Broker {
  /** Envelopes this node's queue dropped after `deliveryLimit` rejections, oldest first. */
  deadLetters(): MemoryDeadLetter[];
}

/** How many deliveries run back to back before the loop yields to I/O. */
const DELIVERIES_PER_TURN = 64;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Creates a {@link Broker} that moves envelopes between nodes of one
 * process: the embedded default, and the way to test a cluster in one
 * process. It behaves like the RabbitMQ broker where the engine can tell:
 *
 * - `publish` resolves once the envelope is queued for the node and rejects
 *   with `ImError("unavailable")` when no node subscribed under that id
 *   (like an unroutable mandatory publish);
 * - delivery is asynchronous, in publish order per node, one at a time; a
 *   handler rejection redelivers the envelope (`redelivered: true`), up to
 *   `deliveryLimit` deliveries, then it is dead-lettered;
 * - envelopes are deep-copied, so nodes never share objects;
 * - `broadcast` reaches every `subscribeControl` handler of the hub,
 *   including the sender's.
 *
 * @example
 * ```ts
 * const hub = createMemoryBrokerHub();
 * const a = createMemoryBroker({ hub });
 * const b = createMemoryBroker({ hub });
 * await b.subscribe("node-b", async (envelope) => deliverLocally(envelope));
 * await a.publish("node-b", envelope);
 * ```
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  const hub = brokerHubState(options.hub ?? createMemoryBrokerHub());
  const deliveryLimit = options.deliveryLimit ?? 5;
  const maxDeadLetters = options.maxDeadLetters ?? 1000;
  const onError = options.onError ?? consoleBackgroundErrors("core");
  checkOption("core", "deliveryLimit", deliveryLimit, { min: 1 });
  /** The node id this broker consumes for (the `fromNodeId` of its broadcasts). */
  let ownNodeId = "";
  const ownQueues = new Set<NodeQueue>();
  const ownControls = new Set<ControlSubscriber>();
  const deadLetters: MemoryDeadLetter[] = [];

  const report = (error: unknown, context: string, message: string) =>
    reportBackgroundError(onError, new ImError("internal", message, { cause: error }), context);

  function deadLetter(queue: NodeQueue, item: QueuedEnvelope, error: unknown): void {
    deadLetters.push({
      nodeId: queue.nodeId,
      envelope: item.envelope,
      deliveries: item.deliveries,
      error,
      at: Date.now(),
    });
    if (deadLetters.length > maxDeadLetters) deadLetters.shift();
    report(
      error,
      "dead-lettering an envelope",
      `[lucky-im] [core] memory broker: envelope for node "${queue.nodeId}" dead-lettered after ${item.deliveries} rejected deliveries`,
    );
  }

  /** Drops the head envelope; compacts the array now and then. */
  function advance(queue: NodeQueue): void {
    queue.items[queue.head] = undefined; // let the delivered envelope be collected
    queue.head += 1;
    if (queue.head === queue.items.length) {
      queue.items.length = 0;
      queue.head = 0;
    } else if (queue.head >= 1024 && queue.head * 2 >= queue.items.length) {
      queue.items.splice(0, queue.head);
      queue.head = 0;
    }
  }

  async function drain(queue: NodeQueue): Promise<void> {
    let run = 0;
    while (!queue.closed && queue.head < queue.items.length) {
      const item = queue.items[queue.head]!;
      item.deliveries += 1;
      try {
        // A fresh copy per attempt: a handler that mutated the first copy must not see it again.
        await queue.handler(structuredClone(item.envelope), { redelivered: item.deliveries > 1 });
        if (queue.closed) break;
        advance(queue);
      } catch (error) {
        if (queue.closed) break;
        if (item.deliveries >= queue.deliveryLimit) {
          advance(queue);
          queue.deadLetter(item, error);
        } else {
          // Redeliver on a later turn, like a nack with requeue.
          await nextTurn();
          run = 0;
        }
      }
      if (++run >= DELIVERIES_PER_TURN) {
        run = 0;
        await nextTurn();
      }
    }
    queue.draining = false;
  }

  function schedule(queue: NodeQueue): void {
    if (queue.draining || queue.closed) return;
    queue.draining = true;
    // Deliver on a later turn: publish never runs the consumer's handler synchronously.
    setImmediate(() => void drain(queue));
  }

  // The runtime wrapper refuses calls after close and runs this close once.
  const broker: MemoryBroker = {
    async publish(nodeId: string, envelope: Envelope) {
      const queue = hub.queues.get(nodeId);
      if (!queue || queue.closed) {
        throw new ImError(
          "unavailable",
          `[lucky-im] [core] memory broker: no node subscribed as "${nodeId}" (unroutable)`,
        );
      }
      let copy: Envelope;
      try {
        copy = structuredClone(envelope);
      } catch (error) {
        throw toImError(
          error,
          "bad_request",
          "[lucky-im] [core] memory broker: envelope is not cloneable",
        );
      }
      queue.items.push({ envelope: copy, deliveries: 0 });
      schedule(queue);
    },

    async subscribe(nodeId: string, handler: DeliveryHandler) {
      const existing = hub.queues.get(nodeId);
      if (existing && !existing.closed) {
        throw new ImError(
          "conflict",
          `[lucky-im] [core] memory broker: node "${nodeId}" already has a consumer`,
        );
      }
      const queue: NodeQueue = {
        nodeId,
        handler,
        items: [],
        head: 0,
        draining: false,
        closed: false,
        deliveryLimit,
        deadLetter: (item, error) => deadLetter(queue, item, error),
      };
      hub.queues.set(nodeId, queue);
      ownQueues.add(queue);
      ownNodeId = nodeId;
    },

    async broadcast(message: ControlMessage) {
      const copy = structuredClone(message);
      const from = ownNodeId;
      for (const subscriber of hub.controls) {
        const own = structuredClone(copy);
        queueMicrotask(() => {
          if (!hub.controls.has(subscriber)) return;
          try {
            subscriber.handler(own, from);
          } catch (error) {
            subscriber.onError(error);
          }
        });
      }
    },

    async subscribeControl(nodeId: string, handler: ControlHandler) {
      const subscriber: ControlSubscriber = {
        nodeId,
        handler,
        onError: (error) =>
          report(
            error,
            "a control handler",
            `[lucky-im] [core] memory broker: control handler of "${nodeId}" threw`,
          ),
      };
      hub.controls.add(subscriber);
      ownControls.add(subscriber);
      if (!ownNodeId) ownNodeId = nodeId;
    },

    async ping() {
      return true;
    },

    async close() {
      for (const queue of ownQueues) {
        // What is still queued is lost, as with an auto-delete queue; the outbox and `sync` heal it.
        queue.closed = true;
        queue.items.length = 0;
        queue.head = 0;
        if (hub.queues.get(queue.nodeId) === queue) hub.queues.delete(queue.nodeId);
      }
      ownQueues.clear();
      for (const subscriber of ownControls) hub.controls.delete(subscriber);
      ownControls.clear();
    },

    deadLetters() {
      return deadLetters.map((letter) => ({
        ...letter,
        envelope: structuredClone(letter.envelope),
      }));
    },
  };
  return withBrokerRuntime(broker, { label: "[lucky-im] [core] memory broker" });
}
