import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFcmProvider, type PushDevice, parseFcmServiceAccount } from "../src/index.js";
import {
  type FcmStandIn,
  pushProviderConformance,
  SAMPLE_NOTIFICATION,
  startFcmStandIn,
} from "../src/testing/index.js";

const device = (token: string): PushDevice => ({
  userId: "bob",
  deviceId: randomUUID(),
  platform: "fcm",
  token,
  registeredAt: 0,
});

const providerFor = (standIn: FcmStandIn) =>
  createFcmProvider({
    serviceAccount: standIn.serviceAccount,
    tokenUrl: standIn.tokenUrl,
    apiUrl: standIn.origin,
  });

pushProviderConformance({
  name: "FCM HTTP v1",
  async create() {
    const standIn = await startFcmStandIn();
    return {
      provider: providerFor(standIn),
      device: (kind) =>
        device(
          standIn.register(
            kind === "accept"
              ? "accept"
              : kind === "invalid"
                ? "unregistered"
                : { throttle: 1, retryAfterSeconds: 0 },
          ),
        ),
      delivered: (token) => standIn.received.filter((m) => m.message.token === token).length,
      rejected: () => standIn.rejected,
      close: () => standIn.close(),
    };
  },
});

describe("FCM provider against the stand-in", () => {
  let standIn: FcmStandIn;

  beforeAll(async () => {
    standIn = await startFcmStandIn("chat-project");
  });
  afterAll(() => standIn?.close());

  it("exchanges a signed assertion for a token once and sends the documented message", async () => {
    const provider = providerFor(standIn);
    const before = standIn.accessTokensIssued;
    const token = standIn.register();
    const notification = { ...SAMPLE_NOTIFICATION, title: "3 new messages", count: 3 };
    expect(await provider.send(notification, device(token))).toEqual({ status: "ok" });
    expect(await provider.send(notification, device(token))).toEqual({ status: "ok" });
    expect(standIn.rejected).toEqual([]);
    expect(standIn.accessTokensIssued - before).toBe(1);
    const [first] = standIn.received.filter((m) => m.message.token === token);
    expect(first?.message).toEqual({
      token,
      notification: { title: "3 new messages", body: "" },
      data: { ...SAMPLE_NOTIFICATION.data, count: "3" },
      android: { collapse_key: SAMPLE_NOTIFICATION.collapseKey, priority: "HIGH", ttl: "3600s" },
      apns: {
        headers: {
          "apns-collapse-id": SAMPLE_NOTIFICATION.collapseKey,
          "apns-priority": "10",
        },
      },
      webpush: { headers: { TTL: "3600", Urgency: "high" } },
    });
  });

  it("renews a revoked access token after a 401", async () => {
    const provider = providerFor(standIn);
    const token = standIn.register();
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toEqual({ status: "ok" });
    standIn.revokeAccessTokens();
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toMatchObject({
      status: "failure",
      retryable: true,
    });
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toEqual({ status: "ok" });
  });

  it("does not drop a token FCM calls invalid for another reason (400 is a failure)", async () => {
    const provider = providerFor(standIn);
    expect(await provider.send(SAMPLE_NOTIFICATION, device("never-registered"))).toMatchObject({
      status: "failure",
      retryable: false,
      reason: expect.stringMatching(/INVALID_ARGUMENT/),
    });
  });

  it("is refused by the token endpoint when the assertion is signed by another key", async () => {
    const other = await startFcmStandIn("chat-project");
    try {
      const provider = createFcmProvider({
        serviceAccount: other.serviceAccount,
        tokenUrl: standIn.tokenUrl,
        apiUrl: standIn.origin,
      });
      expect(await provider.send(SAMPLE_NOTIFICATION, device(standIn.register()))).toMatchObject({
        status: "failure",
        retryable: true,
      });
      expect(standIn.rejected.pop()).toMatch(/assertion/);
    } finally {
      await other.close();
    }
  });

  it("keeps tokens when the project is wrong (a bare 404 is a failure, not an invalid token)", async () => {
    const provider = createFcmProvider({
      serviceAccount: { ...standIn.serviceAccount, projectId: "another-project" },
      tokenUrl: standIn.tokenUrl,
      apiUrl: standIn.origin,
    });
    const result = await provider.send(SAMPLE_NOTIFICATION, device(standIn.register()));
    expect(result).toMatchObject({ status: "failure", retryable: false });
    expect(standIn.rejected.pop()).toMatch(/no route/);
  });

  it("reads a service-account key file", () => {
    const account = parseFcmServiceAccount(
      JSON.stringify({
        type: "service_account",
        project_id: "p",
        private_key_id: "k1",
        private_key: "-----BEGIN PRIVATE KEY-----\n...",
        client_email: "a@p.iam.gserviceaccount.com",
      }),
    );
    expect(account).toEqual({
      projectId: "p",
      clientEmail: "a@p.iam.gserviceaccount.com",
      privateKey: "-----BEGIN PRIVATE KEY-----\n...",
      privateKeyId: "k1",
    });
    expect(() => parseFcmServiceAccount("{}")).toThrow(/project_id/);
  });
});
