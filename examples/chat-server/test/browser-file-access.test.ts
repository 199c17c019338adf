import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, ensureBrowserClient, launchChromium, tinyPng } from "./browser-harness.js";
import { api, registerUser, startTestServer, type TestUser } from "./helpers.js";

/**
 * The page with `LUCKY_IM_FILE_ACCESS=members` in headless Chromium: Alice uploads an image
 * into her direct conversation with Bob; Bob's page shows it (thumbnail and full image through
 * signed URLs, since `<img>` carries no token), and Carol, no member, gets 404 for its URL,
 * with her token and without.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `[chat-server] browser test: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium); CI never skips`,
  );
}

const WAIT = 30_000;
const STEP_TIMEOUT = 180_000;

describe.runIf(hasChromium)("members-only files in the web page", () => {
  let stop: (() => Promise<void>) | undefined;
  let base = "";
  let browser: Browser | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    await ensureBrowserClient();
    const started = await startTestServer({
      passwordHashLogN: 10,
      fileAccess: "members",
      fileUrlSecret: "a browser test secret of 32+ characters",
    });
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

  it(
    "a member's page shows an image sent in the conversation; a stranger's request for it is 404",
    async () => {
      const alice = await registerUser(base, "fa_alice");
      const bob = await registerUser(base, "fa_bob");
      const carol = await registerUser(base, "fa_carol");
      const alicePage = await loggedIn(alice);
      const bobPage = await loggedIn(bob);

      await alicePage.fill("#new-chat-username", bob.username);
      await alicePage.press("#new-chat-username", "Enter");
      await expect
        .poll(() => alicePage.textContent("#conversation-title"), { timeout: WAIT })
        .toContain(bob.username);
      await alicePage.setInputFiles("#file-input", {
        name: "secret-plan.png",
        mimeType: "image/png",
        buffer: tinyPng(48),
      });

      await bobPage.locator("#conversations li", { hasText: alice.username }).click();
      const image = bobPage.locator('#messages img[alt="secret-plan.png"]');
      await image.waitFor({ timeout: WAIT });
      // The thumbnail loaded and decoded: its src was a signed URL the server accepted.
      await expect
        .poll(
          () => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
          { timeout: WAIT },
        )
        .toBe(true);
      const src = (await image.getAttribute("src"))!;
      expect(src).toMatch(/^\/files\/[^/?]+\?expires=\d+&sig=/);
      // The link to the full image is signed too, and works without a token.
      const link = image.locator("xpath=..");
      await expect
        .poll(() => link.getAttribute("href"), { timeout: WAIT })
        .toMatch(/^\/files\/[^/?]+\?expires=\d+&sig=/);
      const full = await fetch(new URL((await link.getAttribute("href"))!, base));
      expect(full.status).toBe(200);
      expect(full.headers.get("content-type")).toMatch(/^image\/png/);

      // The message carries the plain URL: Carol has it (say, forwarded out of band), to no avail.
      const conversationId = `d:${[alice.userId, bob.userId].sort().join(":")}`;
      const { messages } = (
        await api(base, "GET", `/conversations/${encodeURIComponent(conversationId)}/messages`, {
          token: bob.accessToken,
        })
      ).body as { messages: Array<{ body: { url?: string; thumbnailUrl?: string } }> };
      const sent = messages.find((m) => m.body.url !== undefined)!.body;
      for (const url of [sent.url!, sent.thumbnailUrl!]) {
        expect((await fetch(new URL(url, base))).status).toBe(404);
        const withToken = await fetch(new URL(url, base), {
          headers: { authorization: `Bearer ${carol.accessToken}` },
        });
        expect(withToken.status).toBe(404);
        const grant = await api(base, "GET", `${url}/url`, { token: carol.accessToken });
        expect(grant.status).toBe(404);
      }
      // Bob, a member, gets it with his token.
      const own = await fetch(new URL(sent.url!, base), {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
      expect(own.status).toBe(200);
      expect(errors).toEqual([]);
    },
    STEP_TIMEOUT,
  );
});
