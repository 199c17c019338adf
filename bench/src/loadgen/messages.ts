/** IPC between the orchestrator and its load-generator worker processes. */
import type { ProtocolName } from "./protocol-adapters.js";

/** How a worker reaches one target. */
export interface TargetRef {
  name: string;
  protocol: ProtocolName;
  /** `ws://127.0.0.1:PORT` */
  base: string;
  /** Several nodes of one cluster: each worker's users are spread over them in turn. */
  bases?: string[];
}

/** One sender and where it sends; `fanout` is the number of deliveries expected per send. */
export interface Route {
  /** The sender's key. */
  from: string;
  /** A server-side user id or group id. */
  to: { type: "user" | "group"; id: string };
  fanout: number;
}

export type Command =
  | {
      cmd: "connect";
      id: number;
      target: TargetRef;
      /** `localAddress`: the loopback source address of the user's socket. */
      /** `id`: the scenario's key of the user; `userId`: its id on the server (default `id`). */
      users: { id: string; userId?: string; token?: string; localAddress: string }[];
      concurrency: number;
      timeoutMs: number;
      /** Epoch ms after which no handshake starts; the users left count as failed. */
      deadline?: number;
    }
  | {
      cmd: "step";
      id: number;
      target: string;
      stepId: number;
      routes: Route[];
      /** Sends per second offered by this worker. */
      rate: number;
      durationMs: number;
      ackEveryMs: number;
    }
  | { cmd: "stats"; id: number; target: string }
  | { cmd: "finish"; id: number; target: string }
  | {
      cmd: "warm";
      id: number;
      target: string;
      routes: Route[];
      perRoute: number;
      timeoutMs: number;
    }
  | { cmd: "reconnect"; id: number; target: string; concurrency: number; timeoutMs: number }
  /** How many of the target's sockets are open and past `ready` (reply `{ open }`). */
  | { cmd: "count"; id: number; target: string }
  | { cmd: "close"; id: number; target: string }
  | { cmd: "exit"; id: number };

export interface StepCounters {
  /** Sends issued. */
  issued: number;
  /** `sent` answers. */
  sentOk: number;
  /** `error` answers. */
  errors: number;
  /** Deliveries expected (sum of fanouts of issued sends). */
  expected: number;
  /** Deliveries received (first push of each messageId per recipient). */
  delivered: number;
  /** Deliveries received inside the send window. */
  deliveredInWindow: number;
  /** Re-pushes of a message already received. */
  duplicates: number;
  /** Sends not issued because the socket was closed. */
  dropped: number;
  /** Ms the sending loop ran behind its schedule at worst. */
  maxScheduleLagMs: number;
  /**
   * The worker's longest event-loop delay over the step, ms above its 10 ms sampling timer: a
   * stall of the load generator delays the deliveries it times, as a stall of the server does.
   */
  maxLoopLagMs: number;
}

/** Counters of a step before anything happened. */
export function emptyStepCounters(): StepCounters {
  return {
    issued: 0,
    sentOk: 0,
    errors: 0,
    expected: 0,
    delivered: 0,
    deliveredInWindow: 0,
    duplicates: 0,
    dropped: 0,
    maxScheduleLagMs: 0,
    maxLoopLagMs: 0,
  };
}

export interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}
