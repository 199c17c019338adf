import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, launchChromium } from "./browser-harness.js";
import { api, registerUser, startTestServer, type TestUser, WsProbe } from "./helpers.js";

/**
 * The admin page (`public/admin.html`) in headless Chromium: a plain user is refused; an
 * admin lists the open reports, resolves one, suspends a user (whose WebSocket closes with
 * 4403) and browses the audit log.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `[chat-server] admin page test: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium); CI never skips`,
  );
}

const ADMIN = `root_${Math.random().toString(36).slice(2, 8)}`;
const PASSWORD = "correct horse battery";
const WAIT = 30_000;

describe.runIf(hasChromium)("the admin page in headless Chromium", () => {
  let stop: (() => Promise<void>) | undefined;
  let base = "";
  let browser: Browser | undefined;
  let bob: TestUser;
  let erin: TestUser;
  let bobSocket: WsProbe | undefined;

  beforeAll(async () => {
    // Admins are named by user id: the admin's is known once registered (the server reads the list).
    const adminUserIds: string[] = [];
    const started = await startTestServer({ adminUserIds, passwordHashLogN: 10 });
    stop = started.stop;
    base = started.server.url;
    const registered = await api(base, "POST", "/auth/register", {
      body: { username: ADMIN, password: PASSWORD },
    });
    adminUserIds.push(registered.body.userId);
    bob = await registerUser(base, "bob");
    erin = await registerUser(base, "erin");
    const report = await api(base, "POST", "/reports", {
      token: erin.accessToken,
      body: { userId: bob.userId, reason: "spams everyone" },
    });
    expect(report.status).toBe(201);
    bobSocket = await WsProbe.connect(base, bob.accessToken);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    bobSocket?.close();
    await browser?.close();
    await stop?.();
  }, 60_000);

  async function openAs(
    username: string,
    password: string,
  ): Promise<{ page: Page; errors: string[] }> {
    const context = await browser!.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text()))
        errors.push(message.text());
    });
    await page.goto(`${base}/admin.html`);
    await page.fill("#username", username);
    await page.fill("#password", password);
    await page.click("#login-button");
    return { page, errors };
  }

  it("refuses a plain user with the server's reason", async () => {
    const { page, errors } = await openAs(erin.username, erin.password);
    await expect
      .poll(() => page.textContent("#login-error"), { timeout: WAIT })
      .toContain("admins only");
    expect(await page.isHidden("#panel")).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("lists reports, resolves one, suspends the reported user and shows the audit log", async () => {
    const { page, errors } = await openAs(ADMIN, PASSWORD);
    await page.locator("#panel").waitFor({ state: "visible", timeout: WAIT });
    const report = page.locator("#reports li", { hasText: "spams everyone" });
    await report.waitFor({ timeout: WAIT });
    expect(await report.textContent()).toContain(bob.userId);
    await expect.poll(() => page.textContent("#stats"), { timeout: WAIT }).toContain("node(s)");

    // "Suspend" fills the form from the report; the suspension closes bob's socket with 4403.
    await report.locator("button", { hasText: "Suspend" }).click();
    expect(await page.inputValue("#suspend-user")).toBe(bob.userId);
    await page.click("#suspend-button");
    await expect
      .poll(() => page.textContent("#suspend-result"), { timeout: WAIT })
      .toContain("suspended");
    expect(await bobSocket!.closed()).toBe(4403);

    await report.locator("button", { hasText: "Resolve" }).click();
    await expect.poll(() => page.locator("#reports li").count(), { timeout: WAIT }).toBe(0);

    const actions = async () =>
      page.locator("#audit li").evaluateAll((items) => items.map((li) => li.dataset.action));
    await expect.poll(actions, { timeout: WAIT }).toEqual(["report_resolved", "suspend"]);

    await page.click("#unsuspend-button");
    await expect
      .poll(() => page.textContent("#suspend-result"), { timeout: WAIT })
      .toContain("lifted");
    await expect
      .poll(actions, { timeout: WAIT })
      .toEqual(["unsuspend", "report_resolved", "suspend"]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
