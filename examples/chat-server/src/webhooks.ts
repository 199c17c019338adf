import type { WebhookEventType, WebhookMetricsListener, WebhookQueue } from "@lucky-im/webhooks";
import { createWebhookDispatcher, type WebhookDispatcher } from "@lucky-im/webhooks";
import type { Logger } from "pino";
import type { ChatServerConfig } from "./config.js";

/**
 * The server's webhook dispatcher when `LUCKY_IM_WEBHOOK_URL` and `LUCKY_IM_WEBHOOK_SECRET`
 * are set (one endpoint, `app`, with `LUCKY_IM_WEBHOOK_EVENTS` or every event), else undefined.
 */
export function createChatWebhooks(
  config: ChatServerConfig,
  queue: WebhookQueue,
  log: Logger,
  metrics: WebhookMetricsListener,
): WebhookDispatcher | undefined {
  if (config.webhookUrl === undefined || config.webhookSecret === undefined) return undefined;
  const events = config.webhookEvents ? (config.webhookEvents as WebhookEventType[]) : "*";
  const dispatcher = createWebhookDispatcher({
    queue,
    endpoints: [
      {
        id: "app",
        url: config.webhookUrl,
        secret: config.webhookSecret,
        events,
        timeoutMs: config.webhookTimeoutMs,
      },
    ],
    maxAttempts: config.webhookMaxAttempts,
    metrics,
    onError: (error, context) => log.warn({ err: error }, context),
  });
  log.info({ url: config.webhookUrl, events }, "webhooks are on");
  return dispatcher;
}
