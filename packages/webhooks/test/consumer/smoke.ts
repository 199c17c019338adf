// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import {
  createMemoryWebhookQueue,
  createWebhookDispatcher,
  signWebhookPayload,
  verifyWebhookSignature,
} from "@lucky-im/webhooks";

async function main(): Promise<void> {
  const secret = "whsec_consumer_smoke_secret";
  const dispatcher = createWebhookDispatcher({
    queue: createMemoryWebhookQueue(),
    endpoints: [{ id: "app", url: "http://127.0.0.1:9/hooks", secret, events: ["message.stored"] }],
  });
  await dispatcher.record([
    { id: "message.stored:m1", type: "message.stored", occurredAt: 1, data: {} },
    { id: "message.read:x", type: "message.read", occurredAt: 1, data: {} },
  ]);
  if (dispatcher.counters.recorded !== 1) throw new Error("the endpoint's event filter");
  const body = '{"id":"message.stored:m1"}';
  const timestamp = Math.floor(Date.now() / 1000);
  const check = verifyWebhookSignature({
    body,
    secret,
    headers: {
      "webhook-id": "message.stored:m1",
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signWebhookPayload(secret, timestamp, body),
    },
  });
  if (!check.ok) throw new Error("a valid signature was refused");
  console.log("@lucky-im/webhooks ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
