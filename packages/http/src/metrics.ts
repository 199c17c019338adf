import {
  type BackgroundErrorHandler,
  type ImServer,
  type ImServerStats,
  reportBackgroundError,
} from "@lucky-im/core";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { LatencyHistogram } from "./latency-histogram.js";

/** Latency buckets in seconds: from sub-millisecond (memory) to seconds (a stalled dependency). */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Engine counters exposed as Prometheus counters, by metric name. */
const COUNTERS: ReadonlyArray<[name: string, help: string, stat: keyof ImServerStats]> = [
  ["lucky_im_frames_in_total", "Frames received from clients", "framesIn"],
  ["lucky_im_frames_out_total", "Frames sent to clients", "framesOut"],
  [
    "lucky_im_messages_sent_total",
    "Messages stored by this node (sends accepted)",
    "messagesStored",
  ],
  [
    "lucky_im_messages_pushed_total",
    "message frames pushed to sessions, retries included",
    "messagesPushed",
  ],
  ["lucky_im_push_retries_total", "Pushes repeated after a missing ack", "pushRetries"],
  [
    "lucky_im_pushes_abandoned_total",
    "Pushes given up after the retry budget (left to sync)",
    "pushesAbandoned",
  ],
  [
    "lucky_im_envelopes_published_total",
    "Envelopes published to other nodes",
    "envelopesPublished",
  ],
  [
    "lucky_im_publish_failures_total",
    "Publishes that failed (left to the outbox relay)",
    "publishFailures",
  ],
  ["lucky_im_relayed_total", "Outbox entries re-published by the relay", "relayed"],
  [
    "lucky_im_duplicates_dropped_total",
    "Duplicate deliveries dropped by messageId",
    "duplicatesDropped",
  ],
  ["lucky_im_rate_limited_total", "Frames refused by the rate limiter", "rateLimited"],
];

/** Counts one push notifier event (the shape of `@lucky-im/push`'s `PushMetricsListener`). */
export type PushCountListener = (result: string, platform?: string) => void;

/** Options of {@link createImMetrics}. */
export interface ImMetricsOptions {
  /**
   * The prom-client registry to register in: the application's own, so one scrape shows both.
   * Register one server's metrics per registry (the names would collide).
   * @default a new registry
   */
  registry?: Registry;
  /**
   * Whether to add prom-client's default process metrics (event-loop lag, memory, CPU).
   * @default true for a new registry, false for a given one (the application may have them)
   */
  defaultMetrics?: boolean;
  /**
   * Called when collecting a metric fails, as an `ImError` (anything else wrapped as
   * `internal`, the original as `cause`) and the context `"collecting the outbox backlog"`
   * (it reads the store at each scrape).
   * @default ignored
   */
  onError?: BackgroundErrorHandler;
}

/** The server's Prometheus metrics; `GET /metrics` renders them. */
export interface ImMetrics {
  /** The registry holding them. */
  readonly registry: Registry;
  /** The text exposition format. */
  render(): Promise<string>;
  /** Its content type. */
  readonly contentType: string;
  /** Counts a push notifier event (`lucky_im_push_total`). */
  readonly countPush: PushCountListener;
}

/**
 * Registers the metrics of one server: engine counters and gauges read from
 * `im.stats()` at scrape time, the outbox backlog from `storage.outbox.stats()`,
 * latency histograms fed by the engine's `message` and `delivered` events, and
 * prom-client's default process metrics (event-loop lag included). A registry
 * per server, so several servers in one process (tests) do not collide. The two
 * histograms are lightweight metrics with prom-client's exposition (their
 * `getSingleMetric` object has `get` and `reset`, not a `Histogram`'s methods).
 */
export function createImMetrics(im: ImServer, options: ImMetricsOptions = {}): ImMetrics {
  const registry = options.registry ?? new Registry();
  const onError = options.onError ?? (() => {});
  const report = (error: unknown, context: string) =>
    reportBackgroundError(onError, error, context);
  if (options.defaultMetrics ?? options.registry === undefined) {
    collectDefaultMetrics({ register: registry });
  }

  // Counters grow by the difference since the last scrape: the engine keeps the totals.
  const totalCounter = (name: string, help: string, total: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const value = total();
        if (value > seen) this.inc(value - seen);
        seen = value;
      },
    });
  };
  for (const [name, help, stat] of COUNTERS) totalCounter(name, help, () => im.stats()[stat]);
  new Gauge({
    name: "lucky_im_connections",
    help: "Open WebSocket connections (authenticated or not)",
    registers: [registry],
    collect() {
      this.set(im.stats().connections);
    },
  });
  new Gauge({
    name: "lucky_im_sessions",
    help: "Authenticated sessions on this node",
    registers: [registry],
    collect() {
      this.set(im.stats().sessions);
    },
  });
  new Gauge({
    name: "lucky_im_pending_pushes",
    help: "Pushed messages waiting for their ack",
    registers: [registry],
    collect() {
      this.set(im.stats().pendingPushes);
    },
  });
  const outboxAge = new Gauge({
    name: "lucky_im_outbox_oldest_age_seconds",
    help: "Age of the oldest pending outbox entry (0 when none)",
    registers: [registry],
  });
  new Gauge({
    name: "lucky_im_outbox_backlog",
    help: "Pending outbox entries (stored messages not yet published)",
    registers: [registry],
    async collect() {
      try {
        const stats = await im.storage.outbox.stats();
        this.set(stats.pending);
        outboxAge.set(
          stats.oldestPendingAt === undefined
            ? 0
            : Math.max(0, (Date.now() - stats.oldestPendingAt) / 1000),
        );
      } catch (error) {
        report(error, "collecting the outbox backlog");
      }
    },
  });
  // Fed once per message and per delivery: a plain count read at scrape time and a histogram
  // cheaper than prom-client's (latency-histogram.ts).
  let deliveredCount = 0;
  totalCounter(
    "lucky_im_messages_delivered_total",
    "Messages acked by a session of this node",
    () => deliveredCount,
  );
  const sendToSent = new LatencyHistogram(
    "lucky_im_send_to_sent_seconds",
    "From receiving a send to the message being stored (the sent answer)",
    LATENCY_BUCKETS,
    registry,
  );
  const sendToDelivered = new LatencyHistogram(
    "lucky_im_send_to_delivered_seconds",
    "From a message being stored to a recipient session's ack",
    LATENCY_BUCKETS,
    registry,
  );
  im.on("message", (_message, latencyMs) => sendToSent.observe(latencyMs / 1000));
  im.on("delivered", (_message, _userId, latencyMs) => {
    deliveredCount++;
    sendToDelivered.observe(latencyMs / 1000);
  });

  const push = new Counter({
    name: "lucky_im_push_total",
    help: "Push notifications by result (sent, failed, dropped, invalidTokens, retried, muted) and platform",
    labelNames: ["result", "platform"],
    registers: [registry],
  });

  return {
    registry,
    contentType: registry.contentType,
    countPush: (result, platform) => push.inc({ result, platform: platform ?? "" }),
    render: () => registry.metrics(),
  };
}
