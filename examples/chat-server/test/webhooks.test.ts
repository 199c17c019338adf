import { randomUUID } from "node:crypto";
import { eventually } from "@lucky-im/core/testing";
import { startWebhookTestReceiver, type WebhookTestReceiver } from "@lucky-im/webhooks/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import {
  api,
  METRICS_TOKEN,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * Webhooks in the example server: LUCKY_IM_WEBHOOK_* turn them on, messages reach a local
 * receiver signed, a dead letter is listed and replayed through the admin routes (an admin's
 * access token: the metrics token is for /metrics only).
 */

const ADMIN = `root_${Math.random().toString(36).slice(2, 8)}`;

const secret = "whsec_example_server_secret";
let receiver: WebhookTestReceiver;
let stop: () => Promise<void>;
let base: string;

beforeAll(async () => {
  // Admins are named by user id: the list is filled once the admin registered (as in admin-routes.test.ts).
  const adminUserIds: string[] = [];
  receiver = await startWebhookTestReceiver(secret);
  const started = await startTestServer({
    webhookUrl: receiver.url,
    webhookSecret: secret,
    webhookEvents: ["message.stored"],
    webhookMaxAttempts: 1,
    webhookTimeoutMs: 2_000,
    metricsToken: METRICS_TOKEN,
    adminUserIds,
  });
  stop = started.stop;
  base = started.server.url;
  const password = "correct horse battery";
  await api(base, "POST", "/auth/register", { body: { username: ADMIN, password } });
  const login = await api(base, "POST", "/auth/login", { body: { username: ADMIN, password } });
  admin = { token: login.body.accessToken };
  adminUserIds.push(login.body.userId);
});

afterAll(async () => {
  await stop?.();
  await receiver?.kill();
});

async function sendText(from: TestUser, to: TestUser, text: string): Promise<string> {
  const probe = await WsProbe.connect(base, from.accessToken);
  try {
    const cid = randomUUID();
    probe.send({
      type: "send",
      cid,
      to: { type: "user", id: to.userId },
      body: { type: "text", text },
    });
    const sent = await probe.next((f) => f.type === "sent" && f.cid === cid);
    return (sent as unknown as { messageId: string }).messageId;
  } finally {
    probe.socket.close();
  }
}

let admin: { token: string };
const scraper = { token: METRICS_TOKEN };

describe("webhooks in the example server", () => {
  it("posts stored messages, signed, and only the configured events", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const messageId = await sendText(alice, bob, "hello hook");
    await eventually(() =>
      expect(receiver.received.map((r) => r.id)).toContain(`message.stored:${messageId}`),
    );
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(receiver.received.every((r) => r.event.type === "message.stored")).toBe(true);
    const metrics = await api(base, "GET", "/metrics", scraper);
    expect(String(metrics.body)).toMatch(
      /lucky_im_webhook_total\{result="delivered",endpoint="app"\} [1-9]/,
    );
    expect(String(metrics.body)).toContain("lucky_im_webhook_duration_seconds_bucket");
  });

  it("lists a dead letter and replays it", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    receiver.respondWith(500);
    const messageId = await sendText(alice, bob, "to the dead letters");
    const id = `app|message.stored:${messageId}`;
    const listed = await eventually(async () => {
      const answer = await api(base, "GET", "/admin/webhooks/dead-letters?limit=200", admin);
      expect(answer.status).toBe(200);
      const letter = answer.body.deadLetters.find((d: { id: string }) => d.id === id);
      expect(letter).toMatchObject({ endpointId: "app", attempts: 1, lastError: "HTTP 500" });
      return letter;
    });
    expect(listed.event).toMatchObject({
      type: "message.stored",
      data: { message: { messageId } },
    });
    const metrics = await api(base, "GET", "/metrics", scraper);
    expect(String(metrics.body)).toMatch(/lucky_im_webhook_dead_letters [1-9]/);

    receiver.respondWith(200);
    const replay = await api(base, "POST", "/admin/webhooks/replay", {
      ...admin,
      body: { ids: [id, "app|nope"] },
    });
    expect(replay).toMatchObject({ status: 200, body: { replayed: 1 } });
    await eventually(() =>
      expect(receiver.received.map((r) => r.id)).toContain(`message.stored:${messageId}`),
    );
    const again = await api(base, "POST", "/admin/webhooks/replay", {
      ...admin,
      body: { ids: [id] },
    });
    expect(again.body).toEqual({ replayed: 0 });
  });

  it("refuses strangers and bad input on the admin routes", async () => {
    const user = await registerUser(base, "eve");
    const expectError = (
      answer: { status: number; body: unknown },
      status: number,
      code: string,
    ) => {
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
    };
    expectError(await api(base, "GET", "/admin/webhooks/dead-letters"), 401, "unauthorized");
    expectError(
      await api(base, "POST", "/admin/webhooks/replay", { token: "wrong", body: { ids: ["x"] } }),
      401,
      "unauthorized",
    );
    // The metrics token is not an admin's access token any more.
    expectError(
      await api(base, "GET", "/admin/webhooks/dead-letters", scraper),
      401,
      "unauthorized",
    );
    // A signed-in user who is not an admin: 403, before the input is looked at.
    expectError(
      await api(base, "GET", "/admin/webhooks/dead-letters", { token: user.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "GET", "/admin/webhooks/dead-letters?limit=0", { token: user.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", "/admin/webhooks/replay", {
        token: user.accessToken,
        body: { ids: ["x"] },
      }),
      403,
      "forbidden",
    );
    expect((await api(base, "GET", "/admin/webhooks/dead-letters", admin)).status).toBe(200);
    for (const query of ["limit=0", "limit=201", "limit=abc", "color=red"]) {
      expectError(
        await api(base, "GET", `/admin/webhooks/dead-letters?${query}`, admin),
        400,
        "bad_request",
      );
    }
    for (const body of [
      {},
      { ids: [] },
      { ids: "x" },
      { ids: [""] },
      { ids: ["x"], more: 1 },
      { ids: Array.from({ length: 201 }, (_, i) => `id${i}`) },
      { ids: ["x".repeat(1025)] },
    ]) {
      expectError(
        await api(base, "POST", "/admin/webhooks/replay", { ...admin, body }),
        400,
        "bad_request",
      );
    }
  });

  it("checks the webhook settings", () => {
    expect(() =>
      loadConfig({ LUCKY_IM_STORE: "memory", LUCKY_IM_WEBHOOK_URL: "https://example.com/h" }),
    ).toThrow(/LUCKY_IM_WEBHOOK_URL and LUCKY_IM_WEBHOOK_SECRET go together/);
    expect(() =>
      loadConfig({
        LUCKY_IM_STORE: "memory",
        LUCKY_IM_WEBHOOK_URL: "https://example.com/h",
        LUCKY_IM_WEBHOOK_SECRET: "0123456789abcdef",
        LUCKY_IM_WEBHOOK_EVENTS: "message.stored,message.sent",
      }),
    ).toThrow(/unknown event type "message.sent"/);
    expect(() => loadConfig({ LUCKY_IM_STORE: "memory", LUCKY_IM_WEBHOOK_URL: "ftp://x" })).toThrow(
      ConfigError,
    );
    expect(() =>
      loadConfig({ LUCKY_IM_STORE: "memory", LUCKY_IM_WEBHOOK_TIMEOUT_MS: "0" }),
    ).toThrow(ConfigError);
    const config = loadConfig({
      LUCKY_IM_STORE: "memory",
      LUCKY_IM_WEBHOOK_URL: "https://example.com/h",
      LUCKY_IM_WEBHOOK_SECRET: "0123456789abcdef",
    });
    expect(config).toMatchObject({ webhookMaxAttempts: 8, webhookTimeoutMs: 5_000 });
    expect(config.webhookEvents).toBeUndefined();
  });
});
