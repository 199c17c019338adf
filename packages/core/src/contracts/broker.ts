import type { ControlMessage, Envelope } from "../domain/envelope.js";

/** About one delivery handed to a {@link DeliveryHandler}. */
export interface DeliveryInfo {
  /** True when the broker delivered this envelope before (it may be a duplicate). */
  redelivered: boolean;
}

/**
 * Handles one envelope for the local node. Resolving acknowledges it to the
 * broker; rejecting makes the broker redeliver it, and after a delivery limit
 * dead-letter it. Resolve once the envelope is handed to local sessions: never
 * wait for a client's ack here.
 */
export type DeliveryHandler = (envelope: Envelope, info: DeliveryInfo) => Promise<void>;

/** Handles one control message from any node (including this one). */
export type ControlHandler = (message: ControlMessage, fromNodeId: string) => void;

/**
 * Moves envelopes between nodes. The broker only makes delivery fast: the
 * store is the truth, and what the broker loses comes back through the
 * outbox relay and `sync`.
 *
 * Invariants:
 * - `publish` resolves only once the broker accepted the envelope for the
 *   node (publisher confirm); it rejects with `ImError("unavailable")` when
 *   it was refused, unroutable (no such node) or not confirmed in time.
 * - A delivery the handler did not resolve is redelivered.
 * - Envelopes one node publishes to another node's queue are handed to that
 *   queue's handler in publish order (redeliveries excepted). The engine relies
 *   on it: acks are cumulative per conversation, so a message pushed after the
 *   client acked a higher seq is taken as already delivered and left to `sync`.
 */
export interface Broker {
  /** Sends an envelope to one node's queue. */
  publish(nodeId: string, envelope: Envelope): Promise<void>;
  /** Starts consuming this node's queue. Called once per node. */
  subscribe(nodeId: string, handler: DeliveryHandler): Promise<void>;
  /** Sends a control message to every node. Best effort, but confirmed when the broker supports it. */
  broadcast(message: ControlMessage): Promise<void>;
  /** Receives every control message. Called once per node. */
  subscribeControl(nodeId: string, handler: ControlHandler): Promise<void>;
  /** True when the broker answers (for readiness probes). */
  ping(): Promise<boolean>;
  /**
   * Stops consuming and releases connections it opened. Idempotent, and every call after it
   * rejects with `ImError("unavailable")`: `withBrokerRuntime` guarantees both.
   */
  close(): Promise<void>;
}
