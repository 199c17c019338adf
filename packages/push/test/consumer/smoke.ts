// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import {
  createMemoryDeviceRegistry,
  createPushNotifier,
  type PushProvider,
  parseWebPushSubscription,
  webPushTopic,
} from "@lucky-im/push";

async function main(): Promise<void> {
  const registry = createMemoryDeviceRegistry();
  await registry.register({ userId: "bob", deviceId: "phone", platform: "fcm", token: "t1" });
  const titles: string[] = [];
  const provider: PushProvider = {
    platform: "fcm",
    async send(notification) {
      titles.push(notification.title);
      return { status: "ok" };
    },
  };
  const notifier = createPushNotifier({ registry, providers: [provider], batchWindowMs: 60_000 });
  const message = {
    messageId: "m1",
    conversationId: "d:alice:bob",
    seq: 1,
    from: "alice",
    to: { type: "user" as const, id: "bob" },
    body: { type: "text" as const, text: "hi" },
    cid: "c1",
    ts: 0,
  };
  await notifier.onOffline(message, ["bob"]);
  await notifier.onOffline({ ...message, seq: 2, messageId: "m2", cid: "c2" }, ["bob"]);
  // close() leaves open batches queued (a durable queue sends them later): send them first.
  notifier.flush();
  await notifier.idle();
  await notifier.close();
  if (titles.join() !== "2 new messages") throw new Error(`unexpected titles ${titles.join()}`);
  if (webPushTopic("d:alice:bob").length !== 32) throw new Error("topic length");
  let refused = false;
  try {
    parseWebPushSubscription('{"endpoint":"http://internal/"}');
  } catch {
    refused = true;
  }
  if (!refused) throw new Error("a plain-http endpoint was accepted");
  console.log("@lucky-im/push ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
