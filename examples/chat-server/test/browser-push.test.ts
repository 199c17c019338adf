import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { eventually } from "@lucky-im/core/testing";
import { startWebPushStandIn, type WebPushStandIn } from "@lucky-im/push/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webPush from "web-push";
import type { ChatServer } from "../src/chat-server.js";
import { CHROMIUM_PATH, ensureBrowserClient, launchChromium } from "./browser-harness.js";
import { registerUser, startTestServer, WsProbe } from "./helpers.js";

/**
 * The page's push path in headless Chromium: it registers its service worker, subscribes and
 * registers the subscription; the server pushes to the Web Push stand-in while the user is
 * offline; the payload the stand-in decrypted is delivered to the service worker (DevTools'
 * push delivery), which shows the notification.
 *
 * Headless Chromium has no push service of its own (Chrome's is FCM, unreachable here), so
 * `pushManager.subscribe` answers with a subscription made by the stand-in: the endpoint and
 * keys the browser would have received.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(`Chromium is required in CI (${CHROMIUM_PATH})`);
}

describe.runIf(hasChromium)("push notifications in the web page", () => {
  const vapid = webPush.generateVAPIDKeys();
  let standIn: WebPushStandIn;
  let server: ChatServer;
  let stop: (() => Promise<void>) | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    await ensureBrowserClient();
    standIn = await startWebPushStandIn();
    ({ server, stop } = await startTestServer({
      passwordHashLogN: 10,
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      vapidSubject: "mailto:push-test@example.com",
      pushAllowHttpEndpoints: true,
      pushBatchWindowMs: 100,
    }));
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stop?.();
    await standIn?.close();
  }, 120_000);

  it("subscribes, and shows the notification a push delivers to the service worker", async () => {
    const base = server.url;
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const subscription = standIn.subscribe(vapid.publicKey);

    const context = await browser!.newContext();
    await context.grantPermissions(["notifications"], { origin: base });
    // Signed in as bob, with the stand-in playing the browser's push service.
    await context.addInitScript(
      ({ auth, token }) => {
        sessionStorage.setItem("lucky-im.auth", JSON.stringify(auth));
        const made = JSON.parse(token);
        PushManager.prototype.getSubscription = async () => null;
        PushManager.prototype.subscribe = async (options) => {
          if (!options?.applicationServerKey) throw new Error("no applicationServerKey");
          return { ...made, toJSON: () => made };
        };
      },
      {
        auth: {
          accessToken: bob.accessToken,
          refreshToken: bob.refreshToken,
          expiresAt: Date.now() + 600_000,
        },
        token: subscription.token,
      },
    );
    const page = await context.newPage();
    const registered = page.waitForResponse(
      (response) =>
        response.url().endsWith("/push/devices") && response.request().method() === "POST",
    );
    await page.goto(base);
    expect((await registered).status()).toBe(201);
    // The tab closes: bob has no live session any more.
    await page.close();
    await eventually(() => expect(server.im.stats().sessions).toBe(0));

    const sender = await WsProbe.connect(base, alice.accessToken);
    const cid = randomUUID();
    sender.send({
      type: "send",
      cid,
      to: { type: "user", id: bob.userId },
      body: { type: "text", text: "psst" },
    });
    await sender.next((f) => f.type === "sent" && f.cid === cid);
    sender.socket.close();
    await eventually(() =>
      expect(standIn.received.some((p) => p.subscriptionId === subscription.id)).toBe(true),
    );
    expect(standIn.rejected).toEqual([]);
    const payload = standIn.received.find((p) => p.subscriptionId === subscription.id)!.payload;

    // A page of the origin (not signed in: sessionStorage is per tab) to reach the worker.
    const viewer = await context.newPage();
    await viewer.goto(`${base}/sw.js`);
    const cdp = await context.newCDPSession(viewer);
    const registrationId = new Promise<string>((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
        const live = registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(base));
        if (live) resolve(live.registrationId);
      });
    });
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: base,
      registrationId: await registrationId,
      data: payload,
    });
    await eventually(async () => {
      const shown = await viewer.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration("/");
        const notifications = (await registration?.getNotifications()) ?? [];
        return notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
      });
      expect(shown).toEqual([{ title: "New message", body: "", tag: JSON.parse(payload).tag }]);
    });
    await context.close();
  }, 180_000);
});
