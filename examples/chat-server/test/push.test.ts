import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@lucky-im/core/testing";
import {
  type FcmStandIn,
  startFcmStandIn,
  startWebPushStandIn,
  type WebPushStandIn,
} from "@lucky-im/push/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webPush from "web-push";
import type { ChatServer } from "../src/chat-server.js";
import {
  api,
  METRICS_TOKEN,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * Push notifications end to end: the server is configured for Web Push and FCM, pointed at
 * local stand-ins of both services that check every request as the real ones do.
 */

const vapid = webPush.generateVAPIDKeys();
let webPushService: WebPushStandIn;
let fcm: FcmStandIn;
let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const dir = mkdtempSync(join(tmpdir(), "lucky-im-push-"));

beforeAll(async () => {
  webPushService = await startWebPushStandIn();
  fcm = await startFcmStandIn("chat-push");
  const accountFile = join(dir, "service-account.json");
  writeFileSync(
    accountFile,
    JSON.stringify({
      type: "service_account",
      project_id: fcm.serviceAccount.projectId,
      private_key_id: fcm.serviceAccount.privateKeyId,
      private_key: fcm.serviceAccount.privateKey,
      client_email: fcm.serviceAccount.clientEmail,
    }),
  );
  ({ server, stop } = await startTestServer({
    vapidPublicKey: vapid.publicKey,
    vapidPrivateKey: vapid.privateKey,
    vapidSubject: "mailto:push-test@example.com",
    pushAllowHttpEndpoints: true,
    fcmServiceAccountFile: accountFile,
    fcmTokenUrl: fcm.tokenUrl,
    fcmApiUrl: fcm.origin,
    pushBatchWindowMs: 500,
    pushDeviceLimit: 5,
    metricsToken: METRICS_TOKEN,
  }));
  base = server.url;
});

afterAll(async () => {
  await stop?.();
  await webPushService?.close();
  await fcm?.close();
  rmSync(dir, { recursive: true, force: true });
});

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
};

const registerDevice = (user: TestUser, body: Record<string, unknown>) =>
  api(base, "POST", "/push/devices", { token: user.accessToken, body });

async function sendText(from: TestUser, to: TestUser, texts: string[]): Promise<void> {
  const probe = await WsProbe.connect(base, from.accessToken);
  try {
    for (const text of texts) {
      const cid = randomUUID();
      probe.send({
        type: "send",
        cid,
        to: { type: "user", id: to.userId },
        body: { type: "text", text },
      });
      await probe.next((f) => f.type === "sent" && f.cid === cid);
    }
  } finally {
    probe.socket.close();
  }
}

describe("push notifications", () => {
  it("serves the VAPID public key browsers subscribe with", async () => {
    const answer = await api(base, "GET", "/push/vapid-public-key");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ publicKey: vapid.publicKey });
  });

  it("wakes an offline user's browser and phone, with the text hidden", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const subscription = webPushService.subscribe(vapid.publicKey);
    const fcmToken = fcm.register();
    const web = await registerDevice(bob, {
      deviceId: "browser",
      platform: "web",
      token: subscription.token,
    });
    expect(web.status).toBe(201);
    expect(web.body).toEqual({
      deviceId: "browser",
      platform: "web",
      registeredAt: expect.any(Number),
    });
    expect(
      (await registerDevice(bob, { deviceId: "phone", platform: "fcm", token: fcmToken })).status,
    ).toBe(201);

    await sendText(alice, bob, ["secret one", "secret two", "secret three"]);

    const pushes = () =>
      webPushService.received.filter((p) => p.subscriptionId === subscription.id);
    const messages = () => fcm.received.filter((m) => m.message.token === fcmToken);
    // The burst arrives as one notification per window; together they count the three messages.
    await eventually(() => {
      const counted = pushes().reduce((sum, p) => sum + JSON.parse(p.payload).count, 0);
      expect(counted).toBe(3);
      expect(messages().reduce((sum, m) => sum + Number(m.message.data?.count), 0)).toBe(3);
    });
    expect(webPushService.rejected).toEqual([]);
    expect(fcm.rejected).toEqual([]);
    const conversationId = [alice.userId, bob.userId].sort().join(":");
    for (const push of pushes()) {
      const payload = JSON.parse(push.payload);
      expect(payload).toMatchObject({ body: "", tag: `d:${conversationId}` });
      expect(payload.title).toMatch(/^(New message|[23] new messages)$/);
      expect(push.payload).not.toContain("secret");
    }
    for (const { message } of messages()) {
      expect(message.android?.collapse_key).toBe(`d:${conversationId}`);
      expect(JSON.stringify(message)).not.toContain("secret");
    }

    const metrics = await api<string>(base, "GET", "/metrics", { token: METRICS_TOKEN });
    expect(metrics.body).toMatch(/lucky_im_push_total\{result="sent",platform="web"\} [1-9]/);
    expect(metrics.body).toMatch(/lucky_im_push_total\{result="sent",platform="fcm"\} [1-9]/);
  });

  it("a push still waiting when the server stops is sent by the next start (SQLite queue)", async () => {
    const durable = {
      store: "sqlite" as const,
      sqlitePath: join(dir, "durable-push.sqlite"),
      fcmServiceAccountFile: join(dir, "service-account.json"),
      fcmTokenUrl: fcm.tokenUrl,
      fcmApiUrl: fcm.origin,
      pushBatchWindowMs: 1000,
      metricsToken: METRICS_TOKEN,
    };
    const first = await startTestServer(durable);
    const firstBase = first.server.url;
    const alice = await registerUser(firstBase, "alice");
    const bob = await registerUser(firstBase, "bob");
    const token = fcm.register();
    const registered = await api(firstBase, "POST", "/push/devices", {
      token: bob.accessToken,
      body: { deviceId: "phone", platform: "fcm", token },
    });
    expect(registered.status).toBe(201);
    const probe = await WsProbe.connect(firstBase, alice.accessToken);
    try {
      for (const text of ["one", "two"]) {
        const cid = randomUUID();
        probe.send({
          type: "send",
          cid,
          to: { type: "user", id: bob.userId },
          body: { type: "text", text },
        });
        await probe.next((f) => f.type === "sent" && f.cid === cid);
      }
    } finally {
      probe.socket.close();
    }
    // Stopped inside the batch window: nothing was sent, the job is in the file.
    await first.stop();
    const sentTo = () => fcm.received.filter((m) => m.message.token === token);
    expect(sentTo()).toHaveLength(0);

    const second = await startTestServer(durable);
    try {
      await eventually(() => expect(sentTo()).toHaveLength(1));
      expect(sentTo()[0]?.message.data?.count).toBe("2");
      const metrics = await api<string>(second.server.url, "GET", "/metrics", {
        token: METRICS_TOKEN,
      });
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/lucky_im_push_queue_jobs\{state="pending"\} 0/);
    } finally {
      await second.stop();
    }
  });

  it("does not push to a user with a live session", async () => {
    const alice = await registerUser(base, "alice");
    const carol = await registerUser(base, "carol");
    const subscription = webPushService.subscribe(vapid.publicKey);
    await registerDevice(carol, {
      deviceId: "browser",
      platform: "web",
      token: subscription.token,
    });
    const online = await WsProbe.connect(base, carol.accessToken);
    try {
      await sendText(alice, carol, ["are you there"]);
      await online.next((f) => f.type === "message");
    } finally {
      online.socket.close();
    }
    // A second recipient who is offline proves the notifier ran meanwhile.
    const dave = await registerUser(base, "dave");
    const daves = webPushService.subscribe(vapid.publicKey);
    await registerDevice(dave, { deviceId: "browser", platform: "web", token: daves.token });
    await sendText(alice, dave, ["hello"]);
    await eventually(() =>
      expect(webPushService.received.some((p) => p.subscriptionId === daves.id)).toBe(true),
    );
    expect(webPushService.received.some((p) => p.subscriptionId === subscription.id)).toBe(false);
  });

  it("keeps a conversation the user muted silent, unless the message mentions them", async () => {
    const alice = await registerUser(base, "alice");
    const ivan = await registerUser(base, "ivan");
    const subscription = webPushService.subscribe(vapid.publicKey);
    await registerDevice(ivan, { deviceId: "browser", platform: "web", token: subscription.token });
    await sendText(alice, ivan, ["first"]);
    const pushes = () =>
      webPushService.received.filter((p) => p.subscriptionId === subscription.id);
    await eventually(() => expect(pushes()).toHaveLength(1));
    // Ivan mutes the conversation (the settings store; the app's settings API writes the same).
    const conversationId = `d:${[alice.userId, ivan.userId].sort().join(":")}`;
    await server.im.storage.conversationSettings.update(
      ivan.userId,
      conversationId,
      { mutedUntil: "forever" },
      Date.now(),
    );
    await sendText(alice, ivan, ["muted chatter"]);
    // A message to another offline user, sent after, proves the muted one was processed.
    const judy = await registerUser(base, "judy");
    const judys = webPushService.subscribe(vapid.publicKey);
    await registerDevice(judy, { deviceId: "browser", platform: "web", token: judys.token });
    await sendText(alice, judy, ["hello judy"]);
    await eventually(() =>
      expect(webPushService.received.some((p) => p.subscriptionId === judys.id)).toBe(true),
    );
    expect(pushes()).toHaveLength(1);
  });

  it("drops a device whose subscription is gone (410)", async () => {
    const alice = await registerUser(base, "alice");
    const erin = await registerUser(base, "erin");
    const gone = webPushService.subscribe(vapid.publicKey, "gone");
    await registerDevice(erin, { deviceId: "old-browser", platform: "web", token: gone.token });
    await sendText(alice, erin, ["ping"]);
    await eventually(async () => {
      const answer = await api(base, "DELETE", "/push/devices/old-browser", {
        token: erin.accessToken,
      });
      expect(answer.status).toBe(404);
    });
  });

  it("removes only the caller's own devices, and all of them on logout-all", async () => {
    const frank = await registerUser(base, "frank");
    const mallory = await registerUser(base, "mallory");
    await registerDevice(frank, { deviceId: "phone", platform: "fcm", token: fcm.register() });
    await registerDevice(frank, { deviceId: "tablet", platform: "fcm", token: fcm.register() });
    expectError(
      await api(base, "DELETE", "/push/devices/phone", { token: mallory.accessToken }),
      404,
      "not_found",
    );
    expect(
      (await api(base, "DELETE", "/push/devices/phone", { token: frank.accessToken })).status,
    ).toBe(204);
    expect((await api(base, "POST", "/auth/logout-all", { token: frank.accessToken })).status).toBe(
      204,
    );
    // Logged in again: no device is left.
    const login = await api(base, "POST", "/auth/login", {
      body: { username: frank.username, password: frank.password },
    });
    expect(login.status).toBe(200);
    expect(
      (await api(base, "DELETE", "/push/devices/tablet", { token: login.body.accessToken })).status,
    ).toBe(404);
  });

  it("refuses bad input with the error shape", async () => {
    const grace = await registerUser(base, "grace");
    const unauthenticated = await api(base, "POST", "/push/devices", {
      body: { deviceId: "d", platform: "fcm", token: "t" },
    });
    expectError(unauthenticated, 401, "unauthorized");
    expectError(
      await registerDevice(grace, { deviceId: "d", platform: "pager", token: "t" }),
      400,
      "bad_request",
    );
    expectError(
      await registerDevice(grace, { deviceId: "d", platform: "apns", token: "t" }),
      400,
      "bad_request",
    );
    expectError(
      await registerDevice(grace, { deviceId: "d", platform: "fcm", token: "t".repeat(4097) }),
      400,
      "bad_request",
    );
    expectError(
      await registerDevice(grace, { deviceId: "d".repeat(101), platform: "fcm", token: "t" }),
      400,
      "bad_request",
    );
    expectError(
      await registerDevice(grace, { deviceId: "d", platform: "web", token: "{not json" }),
      400,
      "bad_request",
    );
    expectError(
      await registerDevice(grace, {
        deviceId: "d",
        platform: "web",
        token: JSON.stringify({ endpoint: "ftp://x/", keys: { p256dh: "a", auth: "b" } }),
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "DELETE", "/push/devices/a%20b", { token: grace.accessToken }),
      400,
      "bad_request",
    );
  });

  it("answers 429 to a registration flood", async () => {
    const henry = await registerUser(base, "henry");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await registerDevice(henry, {
        deviceId: `d${i}`,
        platform: "fcm",
        token: fcm.register(),
      });
      statuses.push(answer.status);
      if (answer.status === 429) {
        expectError(answer, 429, "rate_limited");
        expect(Number(answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
  });
});
