import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eventually } from "@lucky-im/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryWebhookQueue,
  createWebhookDispatcher,
  WebhookConfigError,
  type WebhookDispatcher,
  type WebhookEndpoint,
  type WebhookEvent,
} from "../src/index.js";
import { startWebhookTestReceiver, type WebhookTestReceiver } from "../src/testing/index.js";

const secret = "whsec_dispatcher_test_secret";
const started: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

const event = (n: number, type: WebhookEvent["type"] = "message.stored"): WebhookEvent => ({
  id: `${type}:m${n}`,
  type,
  occurredAt: n,
  conversationId: "d:alice:bob",
  data: { n },
});

async function receiver(): Promise<WebhookTestReceiver> {
  const r = await startWebhookTestReceiver(secret);
  started.push({ stop: () => r.kill() });
  return r;
}

function dispatcher(
  endpoints: WebhookEndpoint[],
  extra: Partial<Parameters<typeof createWebhookDispatcher>[0]> = {},
): WebhookDispatcher {
  const d = createWebhookDispatcher({
    queue: createMemoryWebhookQueue(),
    endpoints,
    intervalMs: 20,
    retryInitialDelayMs: 10,
    retryMaxDelayMs: 40,
    ...extra,
  });
  started.push(d);
  return d;
}

describe("webhook dispatcher", () => {
  it("posts each event to the endpoints that want it, signed, with the id as idempotency key", async () => {
    const all = await receiver();
    const readsOnly = await receiver();
    const latencies: boolean[] = [];
    const d = dispatcher(
      [
        { id: "all", url: all.url, secret, events: "*" },
        { id: "reads", url: readsOnly.url, secret, events: ["message.read"] },
      ],
      { metrics: { latency: (_id, _ms, ok) => latencies.push(ok) } },
    );
    d.start();
    await d.record([event(1), event(2, "message.read")]);
    await d.record([event(1)]); // the same id again: nothing new
    await eventually(() => expect(all.received).toHaveLength(1));
    await eventually(() => expect(readsOnly.received).toHaveLength(1));
    expect(all.received.every((r) => r.verified)).toBe(true);
    // `message.read` is opt-in: "*" leaves it out; the endpoint that lists it gets it.
    expect(all.received.map((r) => r.id)).toEqual(["message.stored:m1"]);
    expect(readsOnly.received[0]!.event).toEqual(event(2, "message.read"));
    expect(d.wants("message.read")).toBe(true);
    expect(d.wants("message.stored")).toBe(true);
    const starOnly = dispatcher([{ id: "star", url: all.url, secret, events: "*" }]);
    expect(starOnly.wants("message.read")).toBe(false);
    expect(starOnly.wants("group_join.requested")).toBe(true);
    // The receiver records before its answer reaches the dispatcher.
    await eventually(() =>
      expect(d.counters).toMatchObject({ recorded: 2, delivered: 2, failed: 0, dead: 0 }),
    );
    expect(latencies).toEqual([true, true]);
  });

  it("retries with backoff until the receiver answers, then delivers once", async () => {
    const r = await receiver();
    r.respondWith(503);
    const d = dispatcher([{ id: "e", url: r.url, secret, events: "*" }]);
    d.start();
    await d.record([event(1)]);
    await eventually(() => expect(d.counters.failed).toBeGreaterThanOrEqual(2));
    r.respondWith(200);
    await eventually(() => expect(d.counters.delivered).toBe(1));
    expect(r.received).toHaveLength(1);
    expect(d.counters.dead).toBe(0);
  });

  it("moves a delivery to the dead letters after maxAttempts; replay delivers it", async () => {
    const r = await receiver();
    r.respondWith(500);
    const dead: string[] = [];
    const d = dispatcher([{ id: "e", url: r.url, secret, events: "*" }], {
      maxAttempts: 3,
      metrics: { count: (name) => name === "dead" && dead.push(name) },
    });
    d.start();
    await d.record([event(1), event(2)]);
    await eventually(() => expect(d.counters.dead).toBe(2));
    expect(d.counters.failed).toBe(4);
    expect(dead).toHaveLength(2);
    const letters = await d.deadLetters();
    expect(letters.map((l) => l.event.id)).toEqual(["message.stored:m1", "message.stored:m2"]);
    expect(letters[0]).toMatchObject({ status: "dead", attempts: 3, lastError: "HTTP 500" });
    expect(await d.deadLetters({ endpointId: "other" })).toEqual([]);

    r.respondWith(200);
    expect(await d.replay([letters[0]!.id, "unknown|id"])).toBe(1);
    await eventually(() => expect(r.received.map((x) => x.id)).toEqual(["message.stored:m1"]));
    expect(d.counters.replayed).toBe(1);
    expect(await d.deadLetters()).toHaveLength(1);
  });

  it("times out a receiver that never answers and counts it failed", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent: Server = createServer(() => undefined);
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    started.push({
      stop: () =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(resolve);
        }),
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const d = dispatcher([{ id: "slow", url, secret, events: "*", timeoutMs: 50 }], {
      maxAttempts: 2,
    });
    d.start();
    await d.record([event(1)]);
    await eventually(() => expect(d.counters.dead).toBe(1));
    const [letter] = await d.deadLetters();
    expect(letter!.lastError).toBe("timeout after 50 ms");
  });

  it("a receiver killed mid-stream and restarted gets every event, duplicates with the same id", async () => {
    const r = await receiver();
    const d = dispatcher([{ id: "e", url: r.url, secret, events: "*" }], { batchSize: 5 });
    d.start();
    for (let i = 0; i < 20; i++) await d.record([event(i)]);
    await eventually(() => expect(r.received.length).toBeGreaterThan(0));
    await r.kill();
    for (let i = 20; i < 40; i++) await d.record([event(i)]);
    await eventually(() => expect(d.counters.failed).toBeGreaterThan(0));
    await r.restart();
    await eventually(() => expect(new Set(r.received.map((x) => x.id)).size).toBe(40), {
      timeoutMs: 15_000,
    });
    expect(r.received.every((x) => x.verified && x.id === x.event.id)).toBe(true);
    expect(d.counters.dead).toBe(0);
  });

  it("refuses bad endpoint settings with a clear error", () => {
    const ok = { id: "e", url: "https://example.com/hooks", secret, events: "*" as const };
    const bad: Array<[Partial<WebhookEndpoint>, RegExp]> = [
      [{ id: "no spaces" }, /endpoint id/],
      [{ url: "not a url" }, /is not a URL/],
      [{ url: "ftp://example.com/" }, /http: or https:/],
      [{ secret: "short" }, /at least 16/],
      [{ secret: [] }, /at least 16/],
      [{ events: [] }, /non-empty list/],
      [{ events: ["message.sent" as never] }, /unknown event type "message.sent"/],
      [{ timeoutMs: 0 }, /timeoutMs/],
      [{ timeoutMs: 120_000 }, /timeoutMs/],
    ];
    for (const [patch, message] of bad) {
      expect(() =>
        createWebhookDispatcher({
          queue: createMemoryWebhookQueue(),
          endpoints: [{ ...ok, ...patch } as WebhookEndpoint],
        }),
      ).toThrow(message);
    }
    expect(() =>
      createWebhookDispatcher({ queue: createMemoryWebhookQueue(), endpoints: [ok, ok] }),
    ).toThrow(WebhookConfigError);
    expect(() =>
      createWebhookDispatcher({
        queue: createMemoryWebhookQueue(),
        endpoints: [ok],
        maxAttempts: 0,
      }),
    ).toThrow(expect.objectContaining({ isConfigError: true, option: "maxAttempts" }));
    // The package's own configuration error is a ConfigError too.
    expect(new WebhookConfigError("x")).toMatchObject({ isConfigError: true, code: "bad_request" });
  });

  it("a delivery for an endpoint removed from the settings becomes a dead letter", async () => {
    const queue = createMemoryWebhookQueue();
    await queue.enqueue([{ endpointId: "gone", event: event(1) }]);
    const d = dispatcher([{ id: "e", url: "http://127.0.0.1:9/", secret, events: "*" }], { queue });
    await d.runOnce();
    expect((await d.deadLetters())[0]).toMatchObject({
      endpointId: "gone",
      lastError: "endpoint no longer configured",
    });
  });
});
