import type { WebhookEvent } from "../webhook-event.js";

/** State of a {@link WebhookDelivery}. */
export type WebhookDeliveryStatus = "pending" | "delivered" | "dead";

/** What {@link WebhookQueue.enqueue} records: one event for one endpoint. */
export interface NewWebhookDelivery {
  /** The endpoint it goes to. */
  endpointId: string;
  /** The event to post. */
  event: WebhookEvent;
}

/** One event to post to one endpoint, with its retry state. */
export interface WebhookDelivery {
  /** `<endpointId>|<event id>`: unique, so recording the same event twice adds nothing. */
  id: string;
  /** The endpoint it goes to. */
  endpointId: string;
  /** The event to post. */
  event: WebhookEvent;
  /** `pending` until posted, `delivered` once the endpoint answered 2xx, `dead` after the last attempt. */
  status: WebhookDeliveryStatus;
  /** Failed attempts so far. */
  attempts: number;
  /** Not claimable before this time (ms since epoch). */
  nextAttemptAt: number;
  /** The last failure (an HTTP status or a network error), if any. */
  lastError?: string;
  /** When it was recorded (ms since epoch). */
  createdAt: number;
  /** When its state last changed (ms since epoch). */
  updatedAt: number;
}

/** Options of {@link WebhookQueue.claim}. */
export interface WebhookClaimOptions {
  /** At most this many deliveries. */
  limit: number;
  /** The claim holds for this long (ms); then another dispatcher may claim the delivery. */
  leaseMs: number;
}

/** Options of {@link WebhookQueue.listDead}. */
export interface WebhookDeadListOptions {
  /** At most this many. */
  limit: number;
  /** Only this endpoint's. */
  endpointId?: string;
  /** Paging: deliveries after this id (the last one of the previous page). */
  afterId?: string;
}

/** Queue figures for metrics. */
export interface WebhookQueueStats {
  /** Deliveries waiting (claimed ones included). */
  pending: number;
  /** Dead letters waiting for an admin. */
  dead: number;
  /** Creation time of the oldest pending delivery (ms since epoch), if any. */
  oldestPendingAt?: number;
}

/**
 * The durable queue of webhook deliveries (memory, PostgreSQL, SQLite adapters;
 * `webhookQueueConformance` in `@lucky-im/webhooks/testing` checks them).
 *
 * Invariants:
 * - `enqueue` is idempotent on the delivery id (`<endpointId>|<event id>`): an
 *   existing delivery, in any state, is left as it is.
 * - `claim` returns `pending` deliveries whose `nextAttemptAt` has passed and
 *   whose lease is free or expired, oldest due first, and leases them; two
 *   concurrent claimers never receive the same delivery while its lease holds.
 * - `markFailed` counts the attempt and frees the lease; `markDead` moves a
 *   delivery to `dead`, where only `replay` takes it out again.
 * - Once `enqueue` resolved, the deliveries survive a restart (memory: the process).
 */
export interface WebhookQueue {
  /** Records deliveries (ignoring ids already present); resolves with how many were new. */
  enqueue(deliveries: readonly NewWebhookDelivery[]): Promise<number>;
  /** Leases up to `options.limit` due deliveries (see the invariants). */
  claim(options: WebhookClaimOptions): Promise<WebhookDelivery[]>;
  /** Marks deliveries posted (idempotent). */
  markDelivered(ids: readonly string[]): Promise<void>;
  /** Counts a failed attempt and schedules the next at `retryAt` (ms since epoch). */
  markFailed(id: string, retryAt: number, error: string): Promise<void>;
  /** Counts the last failed attempt and moves the delivery to the dead letters. */
  markDead(id: string, error: string): Promise<void>;
  /** Dead letters ordered by id (page on with `afterId`), for an admin. */
  listDead(options: WebhookDeadListOptions): Promise<WebhookDelivery[]>;
  /** Puts dead letters back in the queue, due now, with their attempts reset; returns how many moved. */
  replay(ids: readonly string[]): Promise<number>;
  /** Deletes `delivered` deliveries recorded before `olderThan` (ms since epoch); returns how many. */
  purge(olderThan: number): Promise<number>;
  /** Figures for metrics and health. */
  stats(): Promise<WebhookQueueStats>;
}

/** @internal The delivery id of an event for an endpoint. */
export function deliveryId(endpointId: string, eventId: string): string {
  return `${endpointId}|${eventId}`;
}
