/**
 * @packageDocumentation
 * Test helpers of `@lucky-im/webhooks`: the conformance suite every
 * `WebhookQueue` adapter passes, and a local receiver.
 */

export {
  type ReceivedWebhook,
  startWebhookTestReceiver,
  type WebhookTestReceiver,
} from "./test-receiver.js";
export {
  type WebhookQueueConformanceOptions,
  webhookQueueConformance,
} from "./webhook-queue-conformance.js";
