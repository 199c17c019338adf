import { randomUUID } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apnsCollapseId, createApnsProvider, type PushDevice } from "../src/index.js";
import {
  type ApnsStandIn,
  pushProviderConformance,
  SAMPLE_NOTIFICATION,
  startApnsStandIn,
} from "../src/testing/index.js";

const device = (token: string): PushDevice => ({
  userId: "bob",
  deviceId: randomUUID(),
  platform: "apns",
  token,
  registeredAt: 0,
});

const providerFor = (standIn: ApnsStandIn, extra: { defaultRetryAfterMs?: number } = {}) =>
  createApnsProvider({
    key: standIn.key,
    topic: standIn.topic,
    origin: standIn.origin,
    defaultRetryAfterMs: 0,
    ...extra,
  });

pushProviderConformance({
  name: "APNs (token-based, HTTP/2)",
  async create() {
    const standIn = await startApnsStandIn();
    const provider = providerFor(standIn);
    return {
      provider,
      device: (kind) =>
        device(
          standIn.register(
            kind === "accept" ? "accept" : kind === "invalid" ? "unregistered" : { throttle: 1 },
          ),
        ),
      delivered: (token) => standIn.received.filter((p) => p.token === token).length,
      rejected: () => standIn.rejected,
      close: async () => {
        await provider.close();
        await standIn.close();
      },
    };
  },
});

describe("APNs provider against the stand-in", () => {
  let standIn: ApnsStandIn;

  beforeAll(async () => {
    standIn = await startApnsStandIn("im.lucky.chat");
  });
  afterAll(() => standIn?.close());

  it("signs one ES256 provider token and sends the documented headers and payload", async () => {
    const provider = providerFor(standIn);
    const token = standIn.register();
    const before = Math.floor(Date.now() / 1000);
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toEqual({ status: "ok" });
    expect(
      await provider.send({ ...SAMPLE_NOTIFICATION, urgency: "normal" }, device(token)),
    ).toEqual({ status: "ok" });
    await provider.close();
    expect(standIn.rejected).toEqual([]);
    const [first, second] = standIn.received.filter((p) => p.token === token);
    expect(first?.headers).toMatchObject({
      "apns-topic": "im.lucky.chat",
      "apns-push-type": "alert",
      "apns-priority": "10",
      "apns-collapse-id": "d:alice:bob",
    });
    expect(second?.headers["apns-priority"]).toBe("5");
    const expiration = Number(first?.headers["apns-expiration"]);
    expect(expiration).toBeGreaterThanOrEqual(before + SAMPLE_NOTIFICATION.ttlSeconds);
    expect(first?.payload).toEqual({
      ...SAMPLE_NOTIFICATION.data,
      aps: {
        alert: { title: "New message", body: "" },
        "thread-id": "d:alice:bob",
        sound: "default",
      },
    });
    // One provider token, reused: kid, iss and iat as Apple documents them.
    const bearer = first?.headers.authorization?.replace(/^bearer /, "") ?? "";
    expect(second?.headers.authorization).toBe(first?.headers.authorization);
    expect(decodeProtectedHeader(bearer)).toEqual({ alg: "ES256", kid: standIn.key.keyId });
    const claims = decodeJwt(bearer);
    expect(claims.iss).toBe(standIn.key.teamId);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
  });

  it("reports BadDeviceToken as invalid-token, 500 as a retryable failure", async () => {
    const provider = providerFor(standIn);
    const bad = await provider.send(SAMPLE_NOTIFICATION, device(standIn.register("bad-token")));
    expect(bad).toMatchObject({
      status: "invalid-token",
      reason: "APNs answered 400 BadDeviceToken",
    });
    const unknown = await provider.send(SAMPLE_NOTIFICATION, device("not-a-token"));
    expect(unknown.status).toBe("invalid-token");
    const flaky = standIn.register({ internalErrors: 1 });
    expect(await provider.send(SAMPLE_NOTIFICATION, device(flaky))).toMatchObject({
      status: "failure",
      retryable: true,
    });
    expect(await provider.send(SAMPLE_NOTIFICATION, device(flaky))).toEqual({ status: "ok" });
    await provider.close();
    // The non-hex token was refused by the stand-in as malformed; nothing else was.
    expect(standIn.rejected.splice(0)).toEqual(["token not 64 hex"]);
  });

  it("a wrong topic is a failure, not an invalid token", async () => {
    const provider = createApnsProvider({
      key: standIn.key,
      topic: "com.example.other",
      origin: standIn.origin,
    });
    const result = await provider.send(SAMPLE_NOTIFICATION, device(standIn.register()));
    await provider.close();
    expect(result).toMatchObject({ status: "failure", retryable: false });
    expect(standIn.rejected.splice(0)).toEqual(["apns-topic"]);
  });

  it("uses the throttle delay it is configured with (APNs sends no Retry-After)", async () => {
    const provider = providerFor(standIn, { defaultRetryAfterMs: 7000 });
    const result = await provider.send(
      SAMPLE_NOTIFICATION,
      device(standIn.register({ throttle: 1 })),
    );
    await provider.close();
    expect(result).toMatchObject({ status: "retry-after", afterMs: 7000 });
  });

  it("signs a new provider token after ExpiredProviderToken", async () => {
    const provider = providerFor(standIn);
    const token = standIn.register();
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toEqual({ status: "ok" });
    const seen = standIn.providerTokens.size;
    standIn.expireProviderTokens();
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toMatchObject({
      status: "failure",
      retryable: true,
      reason: "APNs answered 403 ExpiredProviderToken",
    });
    // A new JWT (ECDSA signatures differ even for the same claims).
    expect(await provider.send(SAMPLE_NOTIFICATION, device(token))).toEqual({ status: "ok" });
    await provider.close();
    expect(standIn.providerTokens.size).toBe(seen + 1);
  });

  it("a network error is a retryable failure", async () => {
    const closed = await startApnsStandIn();
    const origin = closed.origin;
    await closed.close();
    const provider = createApnsProvider({ key: closed.key, topic: closed.topic, origin });
    const result = await provider.send(SAMPLE_NOTIFICATION, device("a".repeat(64)));
    await provider.close();
    expect(result).toMatchObject({ status: "failure", retryable: true });
  });

  it("shortens a collapse key over 64 bytes, and requires a topic", () => {
    expect(apnsCollapseId("g:team")).toBe("g:team");
    const long = apnsCollapseId(`g:${"x".repeat(100)}`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(64);
    expect(apnsCollapseId(`g:${"x".repeat(100)}`)).toBe(long);
    expect(() => createApnsProvider({ key: standIn.key, topic: "" })).toThrow(
      expect.objectContaining({ isConfigError: true, option: "topic" }),
    );
  });
});
