import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, ensureBrowserClient, launchChromium, tinyPng } from "./browser-harness.js";
import { api, registerUser, startTestServer, type TestUser } from "./helpers.js";

/**
 * The group panel's profile and posting settings in headless Chromium: the owner writes a
 * description and an announcement, uploads a group picture and lets only admins post; the
 * member's page shows the announcement live (from the `group` frame) and its send is refused
 * with the engine's `forbidden` message.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `[chat-server] browser test: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium); CI never skips`,
  );
}

const WAIT = 30_000;
const STEP_TIMEOUT = 180_000;

describe.runIf(hasChromium)("group profile and who may post, in the web page", () => {
  let stop: (() => Promise<void>) | undefined;
  let base = "";
  let browser: Browser | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    await ensureBrowserClient();
    const started = await startTestServer({ passwordHashLogN: 10 });
    stop = started.stop;
    base = started.server.url;
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  }, STEP_TIMEOUT);

  async function loggedIn(user: TestUser): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(`${user.username}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text()))
        errors.push(`${user.username}: ${message.text()}`);
    });
    await page.goto(base);
    await page.fill("#username", user.username);
    await page.fill("#password", user.password);
    await page.click("#login-button");
    await page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
    return page;
  }

  const eventually = (read: () => Promise<string | null>, text: string) =>
    expect.poll(async () => (await read()) ?? "", { timeout: WAIT, interval: 100 }).toContain(text);

  it(
    "the owner sets description, announcement, picture and admins-only posting; the member sees the announcement and cannot post",
    async () => {
      const owner = await registerUser(base, "gowner");
      const member = await registerUser(base, "gmember");
      const created = await api(base, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "Announcements club", members: [member.userId] },
      });
      expect(created.status).toBe(201);
      const ownerPage = await loggedIn(owner);
      const memberPage = await loggedIn(member);
      const row = (page: Page) =>
        page.locator("#conversations li", { hasText: "Announcements club" });

      await row(memberPage).click();
      await row(ownerPage).click();
      await ownerPage.click("#group-info-button");
      await ownerPage
        .locator("#group-description-form")
        .waitFor({ state: "visible", timeout: WAIT });

      // Description and announcement.
      await ownerPage.fill("#group-description-input", "We read one book a month");
      await ownerPage.click("#group-description-form button[type=submit]");
      await eventually(() => ownerPage.textContent("#group-description"), "one book a month");
      await ownerPage.fill("#group-announcement-input", "Next meeting: Friday 18:00");
      await ownerPage.click("#group-announcement-form button[type=submit]");
      await eventually(
        () => ownerPage.textContent("#announcement-banner"),
        "Next meeting: Friday 18:00",
      );
      // The member's page shows it from the group frame, with its author.
      await eventually(
        () => memberPage.textContent("#announcement-banner"),
        "Next meeting: Friday 18:00",
      );
      await eventually(() => memberPage.textContent("#announcement-banner"), owner.username);

      // A group picture from an uploaded image.
      await ownerPage.setInputFiles("#group-avatar-input", {
        name: "club.png",
        mimeType: "image/png",
        buffer: tinyPng(64),
      });
      await ownerPage.locator("#group-avatar-img").waitFor({ state: "visible", timeout: WAIT });
      const src = await ownerPage.getAttribute("#group-avatar-img", "src");
      expect(src).toMatch(/^\/files\//);
      await expect
        .poll(
          () =>
            ownerPage
              .locator("#group-avatar-img")
              .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
          { timeout: WAIT },
        )
        .toBe(true);

      // Only admins may post: the member's send is refused with a clear message.
      await ownerPage.selectOption("#group-post-policy", "admins");
      await expect
        .poll(
          async () =>
            (
              await api(base, "GET", `/groups/${created.body.groupId}`, {
                token: member.accessToken,
              })
            ).body.postPolicy,
          { timeout: WAIT },
        )
        .toBe("admins");
      await memberPage.fill("#text", "Can I still talk?");
      await memberPage.press("#text", "Enter");
      await eventually(
        () => memberPage.textContent("#chat-error"),
        "only the owner and admins may post",
      );
      // The member's panel shows the settings without the controls.
      await memberPage.click("#group-info-button");
      await eventually(() => memberPage.textContent("#group-description"), "one book a month");
      await eventually(() => memberPage.textContent("#group-summary"), "only the owner and admins");
      expect(await memberPage.isHidden("#group-announcement-form")).toBe(true);
      expect(await memberPage.isHidden("#group-post-policy-label")).toBe(true);
      expect(errors).toEqual([]);
    },
    STEP_TIMEOUT,
  );
});
