import {
  type BackgroundErrorHandler,
  backoffDelay,
  checkOption,
  reportBackgroundError,
} from "@lucky-im/core";
import type {
  NewWebhookDelivery,
  WebhookDelivery,
  WebhookQueue,
} from "./contracts/webhook-queue.js";
import { checkWebhookEndpoints, endpointWants, type WebhookEndpoint } from "./webhook-endpoint.js";
import type { WebhookEvent, WebhookEventType } from "./webhook-event.js";
import {
  type WebhookCounterName,
  type WebhookCounters,
  type WebhookMetricsListener,
  zeroWebhookCounters,
} from "./webhook-metrics.js";
import { postSigned, type WebhookFetch } from "./webhook-post.js";

/** Options of {@link createWebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  /** Where deliveries wait (shared by every node for at-least-once across crashes). */
  queue: WebhookQueue;
  /** The receivers and the events each wants (checked at once; bad ones throw `WebhookConfigError`). */
  endpoints: readonly WebhookEndpoint[];
  /** Attempts per delivery before it becomes a dead letter. @default 8 */
  maxAttempts?: number;
  /** The first retry's delay ceiling in ms (exponential backoff with jitter). @default 1000 */
  retryInitialDelayMs?: number;
  /** The largest retry delay in ms. @default 300000 */
  retryMaxDelayMs?: number;
  /** How often the queue is polled in ms (a `record` wakes it at once). @default 1000 */
  intervalMs?: number;
  /** Deliveries claimed per round. @default 50 */
  batchSize?: number;
  /** How long a claim holds in ms; keep it above the longest endpoint timeout. @default 60000 */
  leaseMs?: number;
  /** POSTs in flight at once. @default 8 */
  concurrency?: number;
  /** How long delivered rows are kept in ms before purge. @default 86400000 (a day) */
  retentionMs?: number;
  /** The HTTP client. @default globalThis.fetch */
  fetch?: WebhookFetch;
  /** Told of every counter increment and POST latency. */
  metrics?: WebhookMetricsListener;
  /**
   * Told of errors that reach no caller, as an `ImError` (anything else wrapped as
   * `internal`, the original as `cause`) and what failed: `"webhook dispatcher pass"` (a
   * queue that failed during a pass), `"settling a webhook"`.
   * @default ignored
   */
  onError?: BackgroundErrorHandler;
}

/** Posts recorded webhook events; {@link WebhookDispatcher.record} is the way in. */
export interface WebhookDispatcher {
  /** The endpoints, as configured. */
  readonly endpoints: readonly WebhookEndpoint[];
  /**
   * Records events for the endpoints that want them (durably, in the queue) and wakes the
   * dispatcher. Resolves once recorded; rejects when the queue fails (nothing is counted as
   * recorded then). Recording an event id twice adds nothing.
   */
  record(events: readonly WebhookEvent[]): Promise<void>;
  /** Whether some endpoint receives events of `type` (`withWebhookEvents` records only those). */
  wants(type: WebhookEventType): boolean;
  /** Starts polling the queue. */
  start(): void;
  /** Runs a pass soon. */
  wake(): void;
  /** One pass: claim, post, settle, repeated while full batches come back; resolves with how many it posted. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for the pass in flight. */
  stop(): Promise<void>;
  /** Dead letters for an admin (see {@link WebhookQueue.listDead}). */
  deadLetters(options?: {
    /** At most this many. @default 100 */
    limit?: number;
    /** Only this endpoint's. */
    endpointId?: string;
    /** Paging: after this delivery id. */
    afterId?: string;
  }): Promise<WebhookDelivery[]>;
  /** Puts dead letters back in the queue and wakes the dispatcher; resolves with how many moved. */
  replay(ids: readonly string[]): Promise<number>;
  /** The counters so far (a live view). */
  readonly counters: Readonly<WebhookCounters>;
}

/**
 * The webhook dispatcher: records events in a {@link WebhookQueue} and POSTs them,
 * signed, with retries and exponential backoff, moving a delivery to the dead letters
 * after `maxAttempts`. Every node may run one over the same queue; claims with leases
 * keep them from posting the same delivery at once (a lease that runs out means a
 * second POST: at-least-once, with the same `webhook-id`).
 *
 * Ordering: not kept. Deliveries are claimed oldest-due first, but a retry does not hold
 * back later events of the same conversation; receivers order by the `seq` / `changeSeq`
 * in the event's data.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  checkWebhookEndpoints(options.endpoints);
  const queue = options.queue;
  const endpoints = new Map(options.endpoints.map((e) => [e.id, e]));
  const maxAttempts = positive("maxAttempts", options.maxAttempts ?? 8);
  const initialDelay = positive("retryInitialDelayMs", options.retryInitialDelayMs ?? 1_000);
  const maxDelay = positive("retryMaxDelayMs", options.retryMaxDelayMs ?? 300_000);
  const intervalMs = positive("intervalMs", options.intervalMs ?? 1_000);
  const batchSize = positive("batchSize", options.batchSize ?? 50);
  const leaseMs = positive("leaseMs", options.leaseMs ?? 60_000);
  const concurrency = positive("concurrency", options.concurrency ?? 8);
  const retentionMs = positive("retentionMs", options.retentionMs ?? 86_400_000);
  const fetchImpl: WebhookFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const counters = zeroWebhookCounters();
  const errorHandler = options.onError;
  const onError = (error: unknown, context: string) => {
    if (errorHandler) reportBackgroundError(errorHandler, error, context);
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;
  let wakeAgain = false;
  let lastPurge = 0;

  function count(name: WebhookCounterName, endpointId: string | undefined, by = 1): void {
    counters[name] += by;
    options.metrics?.count?.(name, endpointId, by);
  }

  async function post(delivery: WebhookDelivery): Promise<void> {
    const endpoint = endpoints.get(delivery.endpointId);
    if (!endpoint) {
      // Recorded for an endpoint that was removed from the configuration since.
      await queue.markDead(delivery.id, "endpoint no longer configured");
      count("dead", delivery.endpointId);
      return;
    }
    const outcome = await postSigned(
      fetchImpl,
      endpoint.url,
      delivery.event.id,
      JSON.stringify(delivery.event),
      endpoint.secret,
      endpoint.timeoutMs ?? 5_000,
    );
    options.metrics?.latency?.(endpoint.id, outcome.ms, outcome.ok);
    if (outcome.ok) {
      await queue.markDelivered([delivery.id]);
      count("delivered", endpoint.id);
      return;
    }
    const error = outcome.error ?? "failed";
    if (delivery.attempts + 1 >= maxAttempts) {
      await queue.markDead(delivery.id, error);
      count("dead", endpoint.id);
      return;
    }
    await queue.markFailed(
      delivery.id,
      Date.now() + backoffDelay(delivery.attempts, initialDelay, maxDelay),
      error,
    );
    count("failed", endpoint.id);
  }

  async function runOnce(): Promise<number> {
    let total = 0;
    for (let round = 0; round < 100; round++) {
      const claimed = await queue.claim({ limit: batchSize, leaseMs });
      if (claimed.length === 0) break;
      let next = 0;
      const worker = async () => {
        while (next < claimed.length) {
          const delivery = claimed[next++]!;
          // A failed settle leaves the lease to run out: the delivery is posted again later.
          await post(delivery).catch((error: unknown) => onError(error, "settling a webhook"));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, worker));
      total += claimed.length;
      if (claimed.length < batchSize || stopped) break;
    }
    if (Date.now() - lastPurge > Math.min(retentionMs, 60_000)) {
      lastPurge = Date.now();
      await queue.purge(Date.now() - retentionMs);
    }
    return total;
  }

  function schedule(delayMs: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = runOnce()
        .catch((error: unknown) => {
          onError(error, "webhook dispatcher pass");
          return 0;
        })
        .finally(() => {
          running = undefined;
          const again = wakeAgain;
          wakeAgain = false;
          if (!stopped) schedule(again ? 0 : intervalMs);
        });
    }, delayMs);
    timer.unref?.();
  }

  const dispatcher: WebhookDispatcher = {
    endpoints: options.endpoints,
    counters,
    async record(events) {
      const deliveries: NewWebhookDelivery[] = [];
      for (const event of events) {
        for (const endpoint of endpoints.values()) {
          if (endpointWants(endpoint, event.type))
            deliveries.push({ endpointId: endpoint.id, event });
        }
      }
      if (deliveries.length === 0) return;
      const added = await queue.enqueue(deliveries);
      if (added > 0) count("recorded", undefined, added);
      dispatcher.wake();
    },
    wants(type) {
      for (const endpoint of endpoints.values()) if (endpointWants(endpoint, type)) return true;
      return false;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    wake() {
      if (stopped) return;
      if (running) wakeAgain = true;
      else schedule(0);
    },
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    deadLetters(page = {}) {
      return queue.listDead({
        limit: page.limit ?? 100,
        ...(page.endpointId !== undefined ? { endpointId: page.endpointId } : {}),
        ...(page.afterId !== undefined ? { afterId: page.afterId } : {}),
      });
    },
    async replay(ids) {
      const moved = await queue.replay(ids);
      if (moved > 0) count("replayed", undefined, moved);
      dispatcher.wake();
      return moved;
    },
  };
  return dispatcher;
}

function positive(name: string, value: number): number {
  return checkOption("webhooks", name, value, { min: 1 });
}
