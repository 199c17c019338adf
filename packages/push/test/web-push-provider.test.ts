import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webPush from "web-push";
import {
  createWebPushProvider,
  type PushDevice,
  type WebPushPayload,
  webPushTopic,
} from "../src/index.js";
import {
  pushProviderConformance,
  SAMPLE_NOTIFICATION,
  startWebPushStandIn,
  type WebPushStandIn,
} from "../src/testing/index.js";

const vapid = { ...webPush.generateVAPIDKeys(), subject: "mailto:push@example.com" };
const device = (token: string): PushDevice => ({
  userId: "bob",
  deviceId: randomUUID(),
  platform: "web",
  token,
  registeredAt: 0,
});

pushProviderConformance({
  name: "web push",
  async create() {
    const standIn = await startWebPushStandIn();
    const ids = new Map<string, string>();
    const subscribe = (behaviour: Parameters<WebPushStandIn["subscribe"]>[1]) => {
      const subscription = standIn.subscribe(vapid.publicKey, behaviour);
      ids.set(subscription.token, subscription.id);
      return device(subscription.token);
    };
    return {
      provider: createWebPushProvider({ vapid, allowInsecureEndpoints: true }),
      device: (kind) =>
        subscribe(
          kind === "accept"
            ? "accept"
            : kind === "invalid"
              ? "gone"
              : { throttle: 1, retryAfterSeconds: 0 },
        ),
      delivered: (token) =>
        standIn.received.filter((push) => push.subscriptionId === ids.get(token)).length,
      rejected: () => standIn.rejected,
      close: () => standIn.close(),
    };
  },
});

describe("Web Push provider against the stand-in", () => {
  let standIn: WebPushStandIn;
  const provider = createWebPushProvider({ vapid, allowInsecureEndpoints: true });

  beforeAll(async () => {
    standIn = await startWebPushStandIn();
  });
  afterAll(() => standIn?.close());

  it("sends an encrypted payload with a verified VAPID JWT, TTL, Urgency and Topic", async () => {
    const subscription = standIn.subscribe(vapid.publicKey);
    const notification = {
      ...SAMPLE_NOTIFICATION,
      title: "2 new messages",
      count: 2,
      ttlSeconds: 600,
    };
    expect(await provider.send(notification, device(subscription.token))).toEqual({ status: "ok" });
    expect(standIn.rejected).toEqual([]);
    const push = standIn.received.find((p) => p.subscriptionId === subscription.id);
    expect(push).toBeDefined();
    const payload = JSON.parse(push?.payload ?? "") as WebPushPayload;
    expect(payload).toEqual({
      title: "2 new messages",
      body: "",
      tag: SAMPLE_NOTIFICATION.collapseKey,
      count: 2,
      data: SAMPLE_NOTIFICATION.data,
    });
    expect(push?.ttl).toBe(600);
    expect(push?.urgency).toBe("high");
    expect(push?.topic).toBe(webPushTopic(SAMPLE_NOTIFICATION.collapseKey));
    expect(push?.vapidClaims).toMatchObject({ aud: standIn.origin, sub: vapid.subject });
  });

  it("is refused by the stand-in when signed with another VAPID key", async () => {
    const other = { ...webPush.generateVAPIDKeys(), subject: "mailto:x@example.com" };
    // The subscription was made for `vapid`; a forged k is refused (400, not retryable).
    const subscription = standIn.subscribe(vapid.publicKey);
    const result = await createWebPushProvider({ vapid: other, allowInsecureEndpoints: true }).send(
      SAMPLE_NOTIFICATION,
      device(subscription.token),
    );
    expect(result).toMatchObject({ status: "failure", retryable: false });
    expect(standIn.rejected.pop()).toMatch(/k is not/);
  });

  it("treats 404 as an invalid token too", async () => {
    const subscription = standIn.subscribe(vapid.publicKey, "not-found");
    const result = await provider.send(SAMPLE_NOTIFICATION, device(subscription.token));
    expect(result.status).toBe("invalid-token");
  });

  it("reports a Retry-After in seconds", async () => {
    const subscription = standIn.subscribe(vapid.publicKey, { throttle: 1, retryAfterSeconds: 7 });
    expect(await provider.send(SAMPLE_NOTIFICATION, device(subscription.token))).toMatchObject({
      status: "retry-after",
      afterMs: 7000,
    });
  });

  it("refuses plain-http endpoints unless allowed, and malformed tokens", async () => {
    const strict = createWebPushProvider({ vapid });
    const subscription = standIn.subscribe(vapid.publicKey);
    expect(await strict.send(SAMPLE_NOTIFICATION, device(subscription.token))).toMatchObject({
      status: "invalid-token",
      reason: expect.stringMatching(/https/),
    });
    expect((await provider.send(SAMPLE_NOTIFICATION, device("not json"))).status).toBe(
      "invalid-token",
    );
  });

  it("reports an unreachable service as a retryable failure", async () => {
    const token = JSON.parse(standIn.subscribe(vapid.publicKey).token);
    token.endpoint = "http://127.0.0.1:9/push/x";
    expect(await provider.send(SAMPLE_NOTIFICATION, device(JSON.stringify(token)))).toMatchObject({
      status: "failure",
      retryable: true,
    });
  });

  it("refuses malformed VAPID keys at creation", () => {
    expect(() =>
      createWebPushProvider({ vapid: { ...vapid, subject: "not a contact" } }),
    ).toThrow();
    expect(() => createWebPushProvider({ vapid: { ...vapid, privateKey: "short" } })).toThrow();
  });
});
