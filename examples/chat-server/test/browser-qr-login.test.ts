import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, ensureBrowserClient, launchChromium } from "./browser-harness.js";
import { registerUser, startTestServer, type TestUser } from "./helpers.js";

/**
 * QR-code login on the web page, in headless Chromium with two browser contexts (two
 * devices): the new device shows a login code (QR image and text), the signed-in device
 * looks it up, sees the new device's description, approves it, and the new device is in.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `[chat-server] browser test: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium); CI never skips`,
  );
}

const WAIT = 30_000;

describe.runIf(hasChromium)("QR login on the web page in headless Chromium", () => {
  let stopServer: (() => Promise<void>) | undefined;
  let baseUrl = "";
  let browser: Browser | undefined;
  let user: TestUser;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];

  async function open(): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1100, height: 700 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
        errors.push(message.text());
      }
    });
    await page.goto(baseUrl);
    return page;
  }

  beforeAll(async () => {
    await ensureBrowserClient();
    const started = await startTestServer({ passwordHashLogN: 10 });
    stopServer = started.stop;
    baseUrl = started.server.url;
    browser = await launchChromium();
    user = await registerUser(baseUrl, "qr");
  }, 300_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await stopServer?.();
  }, 120_000);

  it("a signed-in device approves the code the new device shows", async () => {
    const signedIn = await open();
    await signedIn.fill("#username", user.username);
    await signedIn.fill("#password", user.password);
    await signedIn.click("#login-button");
    await signedIn.locator("#chat-view").waitFor({ state: "visible", timeout: WAIT });

    const fresh = await open();
    await fresh.click("#qr-login-box summary");
    await fresh.click("#qr-start");
    await fresh.locator("#qr-panel").waitFor({ state: "visible", timeout: WAIT });
    const challengeId = (await fresh.textContent("#qr-code"))?.trim() ?? "";
    expect(challengeId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(await fresh.getAttribute("#qr-image", "src")).toMatch(/^data:image\/svg\+xml/);
    // The QR image really draws (the data URL is a valid SVG under the page's CSP).
    await expect
      .poll(() => fresh.$eval("#qr-image", (img) => (img as HTMLImageElement).naturalWidth), {
        timeout: WAIT,
      })
      .toBeGreaterThan(0);

    await signedIn.click("#account-box summary");
    // An unknown code is refused on the form.
    await signedIn.fill("#approve-code", "lucky-im:login:AAAAAAAAAAAAAAAAAAAAAA");
    await signedIn.click("#approve-form button");
    await expect
      .poll(() => signedIn.textContent("#approve-status"), { timeout: WAIT })
      .toContain("Unknown or expired");
    // The text of the QR code, as a scanner would read it.
    await signedIn.fill("#approve-code", `lucky-im:login:${challengeId}`);
    await signedIn.click("#approve-form button");
    await signedIn.locator("#approve-panel").waitFor({ state: "visible", timeout: WAIT });
    // The approving user sees which device asks (its browser's name) before deciding.
    expect(await signedIn.textContent("#approve-device")).toContain("Chrome");
    await signedIn.click("#approve-yes");
    await expect
      .poll(() => signedIn.textContent("#approve-status"), { timeout: WAIT })
      .toContain("signed in");

    await fresh.locator("#chat-view").waitFor({ state: "visible", timeout: WAIT });
    expect(await fresh.textContent("#me")).toBe(user.username);
    await fresh.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
    expect(errors).toEqual([]);
  }, 180_000);
});
