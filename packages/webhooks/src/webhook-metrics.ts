/** The counters of a webhook dispatcher. */
export interface WebhookCounters {
  /** Deliveries recorded in the queue (one per event and endpoint). */
  recorded: number;
  /** Events that could not be recorded (queue down) outside the outbox re-drive; see docs/integrations.md. */
  recordFailed: number;
  /** POSTs answered 2xx. */
  delivered: number;
  /** POSTs that failed (non-2xx, timeout, network) and will be retried. */
  failed: number;
  /** Deliveries moved to the dead letters after the last attempt. */
  dead: number;
  /** Dead letters an admin put back. */
  replayed: number;
}

/** The name of a {@link WebhookCounters} counter. */
export type WebhookCounterName = keyof WebhookCounters;

/**
 * Told of metrics as they happen (wire it to prom-client or anything else): `count`
 * for each counter increment, `latency` for each POST with its outcome.
 */
export interface WebhookMetricsListener {
  /** A counter grew by `by`. */
  count?(name: WebhookCounterName, endpointId: string | undefined, by: number): void;
  /** One POST took `ms`; `ok` when it was answered 2xx. */
  latency?(endpointId: string, ms: number, ok: boolean): void;
}

/** @internal Every counter at zero. */
export function zeroWebhookCounters(): WebhookCounters {
  return { recorded: 0, recordFailed: 0, delivered: 0, failed: 0, dead: 0, replayed: 0 };
}
