import type { WebhookMetricsListener, WebhookQueue } from "@lucky-im/webhooks";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Seconds, from half a millisecond to ten seconds: webhook POSTs. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The webhook metrics of the example, in the registry of the SDK's HTTP metrics (one scrape shows
 * both): deliveries by result and endpoint, POST latencies, and the dead letters (read from the
 * queue at scrape time).
 */
export function createWebhookMetrics(
  registry: Registry,
  onError: (error: unknown) => void,
  webhookQueue?: WebhookQueue,
): WebhookMetricsListener {
  const webhookTotal = new Counter({
    name: "lucky_im_webhook_total",
    help: "Webhook deliveries by result (recorded, recordFailed, delivered, failed, dead, replayed) and endpoint",
    labelNames: ["result", "endpoint"],
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: "lucky_im_webhook_duration_seconds",
    help: "Webhook POST latency by endpoint and outcome",
    labelNames: ["endpoint", "ok"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  if (webhookQueue) {
    new Gauge({
      name: "lucky_im_webhook_dead_letters",
      help: "Webhook deliveries in the dead letters (GET /admin/webhooks/dead-letters)",
      registers: [registry],
      async collect() {
        try {
          this.set((await webhookQueue.stats()).dead);
        } catch (error) {
          onError(error);
        }
      },
    });
  }
  return {
    count: (name, endpointId, by) =>
      webhookTotal.inc({ result: name, endpoint: endpointId ?? "" }, by),
    latency: (endpointId, ms, ok) =>
      webhookDuration.observe({ endpoint: endpointId, ok: String(ok) }, ms / 1000),
  };
}
