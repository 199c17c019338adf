import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, ensureBrowserClient, launchChromium } from "./browser-harness.js";
import { startTestServer } from "./helpers.js";

/**
 * What people expect of messages (issue 17), on the web page in real headless Chromium: two
 * users walk through reply → mention → edit → react → pin → forward → search (then delete for
 * me and clear), and each step is checked on the OTHER user's page.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `[chat-server] browser test: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium); CI never skips`,
  );
}

const PASSWORD = "correct horse battery";
const WAIT = 30_000;
const STEP_TIMEOUT = 180_000;

interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  errors: string[];
}

describe.runIf(hasChromium)("message features on the web page in headless Chromium", () => {
  let stopServer: (() => Promise<void>) | undefined;
  let baseUrl = "";
  let browser: Browser | undefined;
  const suffix = Math.random().toString(36).slice(2, 7);
  let alice: Person;
  let bob: Person;

  async function newPerson(name: string): Promise<Person> {
    const context = await browser!.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(`${name}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
        errors.push(`${name}: ${message.text()}`);
      }
    });
    // Delete for me and clear ask first.
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(baseUrl);
    await page.fill("#username", name);
    await page.fill("#password", PASSWORD);
    await page.click("#register-button");
    await page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
    return { name, context, page, errors };
  }

  const eventually = (read: () => Promise<string | null>, text: string) =>
    expect.poll(async () => (await read()) ?? "", { timeout: WAIT, interval: 100 }).toContain(text);
  /** The last message whose own text (not a quote of it) has `text`. */
  const message = (page: Page, text: string) =>
    page.locator("#messages li", { has: page.locator(".text", { hasText: text }) }).last();
  const count = (page: Page, text: string) =>
    page.locator("#messages li", { has: page.locator(".text", { hasText: text }) }).count();
  const conversationRow = (page: Page, title: string) =>
    page.locator("#conversations li", { hasText: title });

  async function sendText(page: Page, text: string): Promise<void> {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
    await expect
      .poll(() => message(page, text).locator(".status").textContent(), { timeout: WAIT })
      .toMatch(/^(sent|delivered|read)$/);
  }

  beforeAll(async () => {
    await ensureBrowserClient();
    const started = await startTestServer({ passwordHashLogN: 10 });
    stopServer = started.stop;
    baseUrl = started.server.url;
    browser = await launchChromium();
    alice = await newPerson(`alice_${suffix}`);
    bob = await newPerson(`bob_${suffix}`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stopServer?.();
  }, STEP_TIMEOUT);

  it(
    "reply: a click on reply quotes the message; the other page shows the quote",
    async () => {
      await alice.page.fill("#new-chat-username", bob.name);
      await alice.page.press("#new-chat-username", "Enter");
      await eventually(() => alice.page.textContent("#conversation-title"), bob.name);
      await sendText(alice.page, "Lunch at noon?");
      await conversationRow(bob.page, alice.name).click();
      const lunch = message(bob.page, "Lunch at noon?");
      await lunch.waitFor({ timeout: WAIT });
      await lunch.locator("button.reply").click();
      await eventually(() => bob.page.textContent("#compose-context-text"), "Replying to");
      await sendText(bob.page, "Sounds good");
      const reply = message(alice.page, "Sounds good");
      await reply.waitFor({ timeout: WAIT });
      await eventually(() => reply.locator(".quote").textContent(), "Lunch at noon?");
      await eventually(() => reply.locator(".quote strong").textContent(), alice.name);
    },
    STEP_TIMEOUT,
  );

  it(
    "mention: @name in a group is highlighted on the mentioned user's page",
    async () => {
      await alice.page.click("#new-group-box summary");
      await alice.page.fill("#new-group-name", "Project");
      await alice.page.fill("#new-group-members", bob.name);
      await alice.page.click("#new-group button");
      await eventually(() => alice.page.textContent("#conversation-title"), "Project");
      await sendText(alice.page, `@${bob.name} please review`);
      // Bob is in the direct chat: the group shows he was mentioned.
      const row = conversationRow(bob.page, "Project");
      await row.locator(".mention-badge").waitFor({ timeout: WAIT });
      await row.click();
      const mentioned = message(bob.page, "please review");
      await mentioned.waitFor({ timeout: WAIT });
      await eventually(() => mentioned.locator("mark.mention").textContent(), `@${bob.name}`);
      expect(await mentioned.getAttribute("class")).toContain("mentions-me");
    },
    STEP_TIMEOUT,
  );

  it(
    "edit: the sender edits; the other page shows the new text and 'edited'",
    async () => {
      await message(alice.page, "please review").locator("button.edit").click();
      await eventually(() => alice.page.textContent("#compose-context-text"), "Editing");
      await alice.page.fill("#text", `@${bob.name} please review today`);
      await alice.page.press("#text", "Enter");
      const edited = message(bob.page, "please review today");
      await edited.waitFor({ timeout: WAIT });
      await eventually(() => edited.locator(".edited").textContent(), "edited");
      await eventually(
        () => message(alice.page, "review today").locator(".edited").textContent(),
        "edited",
      );
    },
    STEP_TIMEOUT,
  );

  it(
    "react: counts reach the other page; a second click removes one's own",
    async () => {
      await message(bob.page, "review today").locator('button.reaction.add[data-key="👍"]').click();
      const chip = message(alice.page, "review today").locator('button.reaction[data-key="👍"]');
      await eventually(() => chip.textContent(), "👍 1");
      await chip.click();
      const bobChip = message(bob.page, "review today").locator('button.reaction[data-key="👍"]');
      await eventually(() => bobChip.textContent(), "👍 2");
      expect(await bobChip.getAttribute("class")).toContain("mine");
      await bobChip.click();
      await eventually(() => chip.textContent(), "👍 1");
    },
    STEP_TIMEOUT,
  );

  it(
    "pin: the owner pins; the other page lists it under Pinned",
    async () => {
      await message(alice.page, "review today").locator("button.pin").click();
      await eventually(
        () => message(alice.page, "review today").locator("button.pin").textContent(),
        "unpin",
      );
      await bob.page.click("#pins-button");
      await eventually(() => bob.page.textContent("#pins"), "please review today");
      await eventually(() => bob.page.textContent("#pins"), `pinned by ${alice.name}`);
    },
    STEP_TIMEOUT,
  );

  it(
    "forward: a message of the direct chat goes to the group, shown as forwarded on the other page",
    async () => {
      await conversationRow(bob.page, alice.name).click();
      await message(bob.page, "Lunch at noon?").locator("button.forward").click();
      const dialog = bob.page.locator("#forward-dialog");
      await dialog.waitFor({ state: "visible", timeout: WAIT });
      await dialog.locator("label", { hasText: "Project" }).locator("input").check();
      await bob.page.click("#forward-send");
      // Alice has the group open: the copy arrives, from Bob, forwarded from her.
      const copy = alice.page.locator("#messages li.forwarded", {
        has: alice.page.locator(".text", { hasText: "Lunch at noon?" }),
      });
      await copy.waitFor({ timeout: WAIT });
      await eventually(
        () => copy.locator(".forwarded-label").textContent(),
        `Forwarded from ${alice.name}`,
      );
      await eventually(() => copy.locator(".from").textContent(), bob.name);
    },
    STEP_TIMEOUT,
  );

  it(
    "search: the hits of both conversations, by the edited words; a hit opens its conversation",
    async () => {
      await alice.page.fill("#search-input", "lunch");
      await alice.page.press("#search-input", "Enter");
      await expect
        .poll(() => alice.page.locator("#search-results li").count(), { timeout: WAIT })
        .toBe(2);
      await bob.page.fill("#search-input", "today");
      await bob.page.press("#search-input", "Enter");
      const hit = bob.page.locator("#search-results li", { hasText: "please review today" });
      await hit.waitFor({ timeout: WAIT });
      await hit.click();
      await eventually(() => bob.page.textContent("#conversation-title"), "Project");
    },
    STEP_TIMEOUT,
  );

  it(
    "delete for me: gone from my page, still on the other's",
    async () => {
      await message(bob.page, "Lunch at noon?").locator("button.delete").click();
      await expect.poll(() => count(bob.page, "Lunch at noon?"), { timeout: WAIT }).toBe(0);
      // Still there for Alice, and gone for Bob after a reload (history hides it).
      expect(await count(alice.page, "Lunch at noon?")).toBe(1);
      await bob.page.reload();
      await bob.page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
      await conversationRow(bob.page, "Project").click();
      await message(bob.page, "please review today").waitFor({ timeout: WAIT });
      expect(await count(bob.page, "Lunch at noon?")).toBe(0);
    },
    STEP_TIMEOUT,
  );

  it(
    "clear: the conversation empties on my page only",
    async () => {
      await bob.page.click("#clear-button");
      await expect.poll(() => bob.page.locator("#messages li").count(), { timeout: WAIT }).toBe(0);
      expect(await count(alice.page, "please review today")).toBe(1);
      // New messages still come.
      await sendText(alice.page, "After the clear");
      await message(bob.page, "After the clear").waitFor({ timeout: WAIT });
      expect(await bob.page.locator("#messages li").count()).toBe(1);
      expect([...alice.errors, ...bob.errors]).toEqual([]);
    },
    STEP_TIMEOUT,
  );
});
