import type { PushNotifier } from "@lucky-im/push";
import { Gauge, type Registry } from "prom-client";

/**
 * The push queue depth of the example, in the registry of the SDK's HTTP metrics:
 * `lucky_im_push_queue_jobs{state}` (pending, leased, dead), read from the queue at
 * scrape time. The push counters (`lucky_im_push_total`) come from `createImMetrics`.
 */
export function createPushQueueMetrics(
  registry: Registry,
  notifier: PushNotifier,
  onError: (error: unknown) => void,
): void {
  new Gauge({
    name: "lucky_im_push_queue_jobs",
    help: "Push notification jobs in the queue by state (pending, leased, dead)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      try {
        const stats = await notifier.queueStats();
        for (const state of ["pending", "leased", "dead"] as const) {
          this.set({ state }, stats[state]);
        }
      } catch (error) {
        onError(error);
      }
    },
  });
}
