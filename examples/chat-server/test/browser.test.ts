import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHROMIUM_PATH,
  ensureBrowserClient,
  launchChromium,
  NetworkSwitch,
  silentWav,
  tinyPng,
} from "./browser-harness.js";
import { api, registerUser, startTestServer, type TestUser, WsProbe } from "./helpers.js";
import { REPO_ROOT } from "./server-process.js";

/**
 * The web page (`public/`) in real headless Chromium: two users in two browser
 * contexts register, log in, chat both ways (typing indicator, unread counts,
 * read receipts, image and file, a voice message with its duration, recall), page through history, lose the
 * network and get what they missed, log in again in a new tab, make a group
 * and manage it from the group info panel, run an approval group and an invite link. A screenshot of the chat view goes to `.out/artifacts/chat-view.png`.
 */

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `[chat-server] browser test: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium); CI never skips`,
  );
}

const SCREENSHOT = join(REPO_ROOT, ".out", "artifacts", "chat-view.png");
const PASSWORD = "correct horse battery";
const WAIT = 30_000;
/** Each step waits on several things; the machine may be loaded. */
const STEP_TIMEOUT = 180_000;

interface Person {
  name: string;
  context: BrowserContext;
  network: NetworkSwitch;
  page: Page;
  /** Uncaught exceptions of the person's pages: a page bug. */
  errors: string[];
}

describe.runIf(hasChromium)("the web page in headless Chromium", () => {
  let stopServer: (() => Promise<void>) | undefined;
  let baseUrl = "";
  let browser: Browser | undefined;
  const suffix = Math.random().toString(36).slice(2, 7);
  let alice: Person;
  let bob: Person;
  let carol: TestUser;
  let carolSocket: WsProbe | undefined;

  async function openPage(person: Omit<Person, "page"> & { page?: Page }): Promise<Page> {
    const page = await person.context.newPage();
    page.on("pageerror", (error) => person.errors.push(`${person.name}: ${error.message}`));
    // The page must work under its Content-Security-Policy: a blocked resource is an error.
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
        person.errors.push(`${person.name}: ${message.text()}`);
      }
    });
    await page.goto(baseUrl);
    return page;
  }

  async function newPerson(name: string): Promise<Person> {
    const context = await browser!.newContext({ viewport: { width: 1100, height: 700 } });
    const network = await NetworkSwitch.attach(context);
    const person = { name, context, network, errors: [] as string[] };
    return { ...person, page: await openPage(person) };
  }

  /** Polls `read` until it contains `text`. */
  const eventually = (read: () => Promise<string | null>, text: string, timeout = WAIT) =>
    expect.poll(async () => (await read()) ?? "", { timeout, interval: 100 }).toContain(text);

  const message = (page: Page, text: string) =>
    page.locator("#messages li", { hasText: text }).last();
  const conversationRow = (page: Page, title: string) =>
    page.locator("#conversations li", { hasText: title });

  async function sendText(page: Page, text: string): Promise<void> {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
    // "sent", "delivered" or "read": the server stored it (no longer "sending…").
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
    carol = await registerUser(baseUrl, `carol_${suffix}_`);
  }, 300_000);

  afterAll(async () => {
    carolSocket?.close();
    await browser?.close();
    await stopServer?.();
  }, STEP_TIMEOUT);

  it(
    "registers and logs in both users with the page",
    async () => {
      for (const person of [alice, bob]) {
        const { page } = person;
        await page.fill("#username", person.name);
        await page.fill("#password", PASSWORD);
        await page.click("#register-button");
        await page.locator("#chat-view").waitFor({ state: "visible", timeout: WAIT });
        expect(await page.textContent("#me")).toBe(person.name);
        await page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
        expect(await page.isHidden("#auth-view")).toBe(true);
      }
      // A taken name is refused on the form.
      const extra = await openPage({ ...alice, errors: alice.errors });
      await extra.fill("#username", alice.name);
      await extra.fill("#password", PASSWORD);
      await extra.click("#register-button");
      await eventually(() => extra.textContent("#auth-error"), "taken");
      // So is a common password, with the server's reason.
      await extra.fill("#username", `dave_${suffix}`);
      await extra.fill("#password", "password123");
      await extra.click("#register-button");
      await eventually(() => extra.textContent("#auth-error"), "common");
      await extra.close();
    },
    STEP_TIMEOUT,
  );

  it(
    "chats both ways with unread count, typing indicator and read receipt",
    async () => {
      await alice.page.fill("#new-chat-username", bob.name);
      await alice.page.press("#new-chat-username", "Enter");
      await eventually(() => alice.page.textContent("#conversation-title"), bob.name);
      await sendText(alice.page, "Hi Bob, how are you?");

      // Bob is elsewhere: the conversation appears in his list with one unread.
      const row = conversationRow(bob.page, alice.name);
      await eventually(() => row.locator(".unread").textContent(), "1");
      await eventually(() => row.locator(".preview").textContent(), "Hi Bob");

      // He opens it: the message is there, the badge goes, Alice sees "read".
      await row.click();
      await message(bob.page, "Hi Bob, how are you?").waitFor({ timeout: WAIT });
      await expect.poll(() => row.locator(".unread").count(), { timeout: WAIT }).toBe(0);
      await eventually(
        () => message(alice.page, "Hi Bob, how are you?").locator(".status").textContent(),
        "read",
      );

      // Bob types: Alice sees the indicator; then his answer arrives.
      await bob.page.locator("#text").pressSequentially("Fine", { delay: 30 });
      await eventually(() => alice.page.textContent("#typing"), `${bob.name} is typing`);
      await bob.page.locator("#text").pressSequentially(", thanks!");
      await bob.page.press("#text", "Enter");
      await message(alice.page, "Fine, thanks!").waitFor({ timeout: WAIT });
      // The message ends the indicator.
      await expect.poll(() => alice.page.textContent("#typing"), { timeout: WAIT }).toBe("");
      // Alice has the conversation open: Bob's message is read at once.
      await eventually(
        () => message(bob.page, "Fine, thanks!").locator(".status").textContent(),
        "read",
      );
    },
    STEP_TIMEOUT,
  );

  it(
    "pins a conversation, shows who is online, and a new display name reaches the other user",
    async () => {
      // Bob is connected: Alice's row for him has a green dot.
      const bobRow = conversationRow(alice.page, bob.name);
      await expect.poll(() => bobRow.getAttribute("data-online"), { timeout: WAIT }).toBe("true");
      await expect
        .poll(() => bobRow.locator(".presence-dot.online").count(), { timeout: WAIT })
        .toBe(1);

      // A new group (no message yet) lists above Bob's conversation; pinning Bob's puts his first.
      const aliceToken = JSON.parse(
        (await alice.page.evaluate(() => sessionStorage.getItem("lucky-im.auth"))) ?? "null",
      ).accessToken as string;
      const groupName = `Pin check ${suffix}`;
      const created = await api(baseUrl, "POST", "/groups", {
        token: aliceToken,
        body: { name: groupName, members: [] },
      });
      expect(created.status).toBe(201);
      await eventually(() => alice.page.textContent("#conversations li:first-child"), groupName);
      await bobRow.click();
      await alice.page.click("#pin-button");
      await expect.poll(() => bobRow.getAttribute("data-pinned"), { timeout: WAIT }).toBe("true");
      await eventually(() => alice.page.textContent("#conversations li:first-child"), bob.name);
      await eventually(() => alice.page.textContent("#pin-button"), "Unpin");
      // The pin is stored: the server's list says so too.
      const list = await api(baseUrl, "GET", "/conversations", { token: aliceToken });
      expect(list.body[0].settings.pinnedAt).toBeGreaterThan(0);

      // Bob names himself in the Account box: Alice's list shows the new name at once.
      await bob.page.click("#account-box summary");
      await bob.page.fill("#display-name", "Bobby Tables");
      await bob.page.click("#profile-form button[type=submit]");
      await eventually(() => bob.page.textContent("#profile-status"), "Profile saved");
      await eventually(() => bobRow.locator("strong").textContent(), "Bobby Tables");
      await eventually(() => bob.page.textContent("#me"), "Bobby Tables");
      await bob.page.click("#account-box summary");
      expect([...alice.errors, ...bob.errors]).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    "a new device shows what the other side read, from the conversation list",
    async () => {
      // A fresh browser context: no localStorage, no receipt seen. The read mark comes from the server.
      const device = await newPerson(alice.name);
      try {
        await device.page.fill("#username", alice.name);
        await device.page.fill("#password", PASSWORD);
        await device.page.click("#login-button");
        await device.page.locator("#chat-view").waitFor({ state: "visible", timeout: WAIT });
        await conversationRow(device.page, bob.name).click();
        await message(device.page, "Hi Bob, how are you?").waitFor({ timeout: WAIT });
        await eventually(
          () => message(device.page, "Hi Bob, how are you?").locator(".status").textContent(),
          "read",
        );
        expect(device.errors).toEqual([]);
      } finally {
        await device.context.close();
      }
    },
    STEP_TIMEOUT,
  );

  it(
    "sends an image and a file",
    async () => {
      await alice.page.setInputFiles("#file-input", {
        name: "dot.png",
        mimeType: "image/png",
        buffer: tinyPng(48),
      });
      const image = bob.page.locator('#messages img[alt="dot.png"]');
      await image.waitFor({ timeout: WAIT });
      // The bytes came back through GET /files/:id and decoded as a PNG.
      await expect
        .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), {
          timeout: WAIT,
        })
        .toBe(48);

      await bob.page.setInputFiles("#file-input", {
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("shopping list: milk, eggs\n"),
      });
      const link = alice.page.locator("#messages a", { hasText: "notes.txt" });
      await link.waitFor({ timeout: WAIT });
      const href = await link.getAttribute("href");
      const file = await fetch(new URL(href!, baseUrl));
      expect(await file.text()).toBe("shopping list: milk, eggs\n");
    },
    STEP_TIMEOUT,
  );

  it(
    "shows upload progress and plays a voice message that seeks",
    async () => {
      // Every value the progress bar takes while Alice uploads, and whether it was shown.
      await alice.page.evaluate(() => {
        const bar = document.getElementById("upload-progress") as HTMLProgressElement;
        const seen: Array<{ value: number; max: number; hidden: boolean }> = [];
        (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
        new MutationObserver(() =>
          seen.push({ value: bar.value, max: bar.max, hidden: bar.hidden }),
        ).observe(bar, { attributes: true });
      });
      const wav = silentWav(3);
      await alice.page.setInputFiles("#file-input", {
        name: "voice.wav",
        mimeType: "audio/wav",
        buffer: wav,
      });
      const player = bob.page.locator("#messages audio[controls]");
      await player.waitFor({ timeout: WAIT });
      // The server read the duration at upload; the message carries it beside the player.
      const label = player.locator("xpath=following-sibling::*[contains(@class, 'duration')]");
      expect(await label.textContent()).toBe("0:03");
      expect(await alice.page.locator("#messages .media .duration").last().textContent()).toBe(
        "0:03",
      );
      const seen = await alice.page.evaluate(
        () =>
          (
            window as unknown as {
              progressSeen: Array<{ value: number; max: number; hidden: boolean }>;
            }
          ).progressSeen,
      );
      expect(seen.some((s) => !s.hidden && s.max === wav.length)).toBe(true);
      expect(seen.some((s) => s.value === wav.length)).toBe(true);
      expect(await alice.page.locator("#upload-progress").isHidden()).toBe(true);

      // The server answers ranges: Chromium can seek, then plays from there.
      const played = await player.evaluate(async (audio: HTMLAudioElement) => {
        if (audio.readyState < 1) {
          await new Promise((resolve) =>
            audio.addEventListener("loadedmetadata", resolve, { once: true }),
          );
        }
        const seeked = new Promise((resolve) =>
          audio.addEventListener("seeked", resolve, { once: true }),
        );
        audio.currentTime = 2;
        await seeked;
        audio.muted = true;
        await audio.play();
        await new Promise((resolve) =>
          audio.addEventListener("timeupdate", resolve, { once: true }),
        );
        audio.pause();
        return {
          duration: audio.duration,
          seekableEnd: audio.seekable.length ? audio.seekable.end(0) : 0,
          currentTime: audio.currentTime,
        };
      });
      expect(played.duration).toBeCloseTo(3, 1);
      expect(played.seekableEnd).toBeCloseTo(3, 1);
      expect(played.currentTime).toBeGreaterThanOrEqual(2);
    },
    STEP_TIMEOUT,
  );

  it(
    "recalls a message on both sides",
    async () => {
      await sendText(alice.page, "oops, wrong chat");
      await message(bob.page, "oops, wrong chat").waitFor({ timeout: WAIT });
      await message(alice.page, "oops, wrong chat").locator("button.recall").click();
      for (const page of [alice.page, bob.page]) {
        await expect
          .poll(() => page.locator("#messages li", { hasText: "oops, wrong chat" }).count(), {
            timeout: WAIT,
          })
          .toBe(0);
        await page.locator("#messages li.recalled").first().waitFor({ timeout: WAIT });
      }
    },
    STEP_TIMEOUT,
  );

  it(
    "pages through a long history",
    async () => {
      // Carol (a plain WebSocket client) writes 35 messages; a page holds 30.
      carolSocket = await WsProbe.connect(baseUrl, carol.accessToken);
      const aliceId = await alice.page.evaluate(
        () => JSON.parse(sessionStorage.getItem("lucky-im.auth") ?? "{}").userId as string,
      );
      for (let i = 1; i <= 35; i++) {
        const cid = `history-${i}`;
        carolSocket.send({
          type: "send",
          cid,
          to: { type: "user", id: aliceId },
          body: { type: "text", text: `history #${i}` },
        });
        await carolSocket.next((f) => f.type === "sent" && f.cid === cid);
      }
      const row = conversationRow(alice.page, carol.username);
      await eventually(() => row.locator(".unread").textContent(), "35");
      await row.click();
      await message(alice.page, "history #35").waitFor({ timeout: WAIT });
      expect(await alice.page.locator("#messages li").count()).toBe(30);
      expect(await alice.page.locator("#messages li", { hasText: "history #5" }).count()).toBe(0);
      expect(await alice.page.isVisible("#load-older")).toBe(true);
      await alice.page.click("#load-older");
      await expect
        .poll(() => alice.page.locator("#messages li").count(), { timeout: WAIT })
        .toBe(35);
      expect(await alice.page.textContent("#messages li:first-child")).toContain("history #1");
      expect(await alice.page.isHidden("#load-older")).toBe(true);
      // Back to Bob for the next steps.
      await conversationRow(alice.page, bob.name).click();
      await message(alice.page, "Fine, thanks!").waitFor({ timeout: WAIT });
    },
    STEP_TIMEOUT,
  );

  it(
    "shows reconnecting while offline and delivers the missed messages on return",
    async () => {
      await bob.network.setOffline(true);
      await bob.page.locator("#connection[data-state=reconnecting]").waitFor({ timeout: WAIT });
      expect(await bob.page.textContent("#connection")).toContain("reconnecting");

      await sendText(alice.page, "missed one");
      await sendText(alice.page, "missed two");
      expect(await message(bob.page, "missed one").count()).toBe(0);

      await bob.network.setOffline(false);
      await bob.page.locator("#connection[data-state=open]").waitFor({ timeout: 60_000 });
      await message(bob.page, "missed one").waitFor({ timeout: WAIT });
      await message(bob.page, "missed two").waitFor({ timeout: WAIT });
      // In order, once each.
      const texts = await bob.page.locator("#messages li .text").allTextContents();
      expect(texts.filter((t) => t.startsWith("missed"))).toEqual(["missed one", "missed two"]);
      await eventually(
        () => message(alice.page, "missed two").locator(".status").textContent(),
        "read",
      );
    },
    STEP_TIMEOUT,
  );

  it(
    "logs in again in a new tab after closing the page and sees what was missed",
    async () => {
      await bob.page.close();
      await sendText(alice.page, "are you still there?");

      // A new tab has no session: the login form, the password sent as a JWE.
      bob.page = await openPage(bob);
      await bob.page.locator("#auth-view").waitFor({ state: "visible", timeout: WAIT });
      const logins: string[] = [];
      bob.page.on("request", (request) => {
        if (request.url().endsWith("/auth/login")) logins.push(request.postData() ?? "");
      });
      await bob.page.fill("#username", bob.name);
      await bob.page.fill("#password", PASSWORD);
      await bob.page.click("#login-button");
      await bob.page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
      expect(logins).toHaveLength(1);
      expect(JSON.parse(logins[0]!)).toEqual({
        username: bob.name,
        passwordJwe: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+\.[\w-]*\.[\w-]+$/),
      });
      expect(logins[0]).not.toContain(PASSWORD);

      const row = conversationRow(bob.page, alice.name);
      await eventually(() => row.locator(".unread").textContent(), "1");
      await eventually(() => row.locator(".preview").textContent(), "are you still there?");
      await row.click();
      await message(bob.page, "are you still there?").waitFor({ timeout: WAIT });
      // The history before it is there too.
      await message(bob.page, "Hi Bob, how are you?").waitFor({ timeout: WAIT });
    },
    STEP_TIMEOUT,
  );

  it(
    "creates a group and adds a member",
    async () => {
      expect(await alice.page.isHidden("#add-members")).toBe(true); // a direct chat
      await alice.page.click("#new-group-box summary");
      await alice.page.fill("#new-group-name", "Weekend trip");
      await alice.page.fill("#new-group-members", bob.name);
      await alice.page.click("#new-group button");
      await eventually(() => alice.page.textContent("#conversation-title"), "Weekend trip");
      await sendText(alice.page, "Who brings the tent?");

      const row = conversationRow(bob.page, "Weekend trip");
      await eventually(() => row.locator(".unread").textContent(), "1");
      await row.click();
      await message(bob.page, "Who brings the tent?").waitFor({ timeout: WAIT });
      await sendText(bob.page, "I do");
      await message(alice.page, "I do").waitFor({ timeout: WAIT });

      // Alice adds Carol with the form: Carol can now read the group.
      await alice.page.fill("#add-members-input", carol.username);
      await alice.page.click("#add-members button");
      const groupId = await alice.page.evaluate(() =>
        document.querySelector("#conversations li.active")?.getAttribute("data-conversation-id"),
      );
      expect(groupId).toMatch(/^g:/);
      await expect
        .poll(
          async () => {
            const group = await api(baseUrl, "GET", `/groups/${groupId!.slice(2)}`, {
              token: carol.accessToken,
            });
            return group.status === 200
              ? (group.body.members as { userId: string }[]).map((m) => m.userId)
              : [];
          },
          { timeout: WAIT },
        )
        .toContain(carol.userId);
    },
    STEP_TIMEOUT,
  );

  it(
    "group info panel: the owner promotes a member, the admin renames, a third member's page shows it",
    async () => {
      // Carol (a member since the last step) on her own page, in the group.
      const carolPage = await newPerson(carol.username);
      try {
        await carolPage.page.fill("#username", carol.username);
        await carolPage.page.fill("#password", carol.password);
        await carolPage.page.click("#login-button");
        await carolPage.page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
        await sendText(alice.page, "Welcome, Carol");
        await conversationRow(carolPage.page, "Weekend trip").click();
        await message(carolPage.page, "Welcome, Carol").waitFor({ timeout: WAIT });

        // The owner's panel: every action on the others; promote Bob.
        await alice.page.click("#group-info-button");
        const bobRow = alice.page.locator("#group-members li", { hasText: bob.name });
        await bobRow.getByRole("button", { name: "Make admin" }).click();
        await eventually(() => bobRow.locator(".role").textContent(), "admin");
        expect(await alice.page.isVisible("#group-dismiss")).toBe(true);
        expect(await alice.page.isHidden("#group-leave")).toBe(true);

        // Bob, now an admin: rename and member actions, none of the owner's.
        await conversationRow(bob.page, "Weekend trip").click();
        await bob.page.click("#group-info-button");
        await bob.page.locator("#group-rename").waitFor({ state: "visible", timeout: WAIT });
        const bobsView = (name: string) => bob.page.locator("#group-members li", { hasText: name });
        await bobsView(carol.username)
          .getByRole("button", { name: "Mute" })
          .waitFor({ timeout: WAIT });
        expect(await bobsView(alice.name).getByRole("button").count()).toBe(0);
        expect(await bob.page.getByRole("button", { name: "Make admin" }).count()).toBe(0);
        expect(await bob.page.isHidden("#group-dismiss")).toBe(true);
        await mkdir(join(REPO_ROOT, ".out", "artifacts"), { recursive: true });
        await bob.page.screenshot({
          path: join(REPO_ROOT, ".out", "artifacts", "group-panel.png"),
        });
        await bob.page.fill("#group-rename-input", "Mountain trip");
        await bob.page.click("#group-rename button");

        // Carol sees the new name in her list and title; her panel offers only leaving.
        await eventually(() => carolPage.page.textContent("#conversation-title"), "Mountain trip");
        await conversationRow(carolPage.page, "Mountain trip").waitFor({ timeout: WAIT });
        await eventually(() => alice.page.textContent("#conversation-title"), "Mountain trip");
        await carolPage.page.click("#group-info-button");
        await eventually(() => carolPage.page.textContent("#group-summary"), "you are a member");
        expect(await carolPage.page.isHidden("#group-rename")).toBe(true);
        expect(await carolPage.page.isVisible("#group-leave")).toBe(true);
        expect(await carolPage.page.locator("#group-members button").count()).toBe(0);
        expect(carolPage.errors).toEqual([]);
      } finally {
        await carolPage.context.close();
      }
    },
    STEP_TIMEOUT,
  );

  it(
    "joins: an approval group (request, approve, chat), an invite link used once then revoked",
    async () => {
      // Alice makes an approval group from the panel.
      await alice.page.click("#new-group-box summary");
      await alice.page.fill("#new-group-name", "Book club");
      await alice.page.fill("#new-group-members", "");
      await alice.page.click("#new-group button");
      await eventually(() => alice.page.textContent("#conversation-title"), "Book club");
      await alice.page.click("#group-info-button");
      await alice.page
        .locator("#group-join-mode-label")
        .waitFor({ state: "visible", timeout: WAIT });
      const groupId = (await alice.page.textContent("#group-id"))!;
      expect(groupId.length).toBeGreaterThan(0);
      await alice.page.selectOption("#group-join-mode", "approval");
      await expect
        .poll(
          async () =>
            (
              await api(baseUrl, "GET", `/groups/${groupId}/join-settings`, {
                token: carol.accessToken,
              })
            ).body.joinMode,
          { timeout: WAIT },
        )
        .toBe("approval");

      // Bob asks with the group id.
      await bob.page.click("#join-box summary");
      await bob.page.fill("#join-input", groupId);
      await bob.page.fill("#join-message", "I read a lot");
      await bob.page.click("#join-form button");
      await eventually(() => bob.page.textContent("#join-status"), "Request sent");

      // Alice sees the request in her panel and approves it.
      const request = alice.page.locator("#group-requests li", { hasText: bob.name });
      await eventually(() => request.textContent(), "I read a lot");
      await request.getByRole("button", { name: "Approve" }).click();
      await alice.page
        .locator("#group-members li", { hasText: bob.name })
        .waitFor({ timeout: WAIT });

      // Bob, a member now, chats in the group.
      await conversationRow(bob.page, "Book club").click();
      await sendText(bob.page, "Thanks for having me");
      await message(alice.page, "Thanks for having me").waitFor({ timeout: WAIT });

      // An invite link: Carol joins with it once; Alice revokes it; Dave's use is refused.
      await alice.page.click("#group-create-link");
      const linkRow = alice.page.locator("#group-links li").first();
      await linkRow.waitFor({ timeout: WAIT });
      const code = (await linkRow.locator(".invite-code").textContent())!;
      const joined = await api(baseUrl, "POST", `/invite-links/${code}/join`, {
        token: carol.accessToken,
      });
      expect(joined.body).toEqual({ groupId, joined: true });
      await alice.page
        .locator("#group-members li", { hasText: carol.username })
        .waitFor({ timeout: WAIT });
      await eventually(() => linkRow.textContent(), "1 used");
      await linkRow.getByRole("button", { name: "Revoke" }).click();
      await expect
        .poll(() => alice.page.locator("#group-links li").count(), { timeout: WAIT })
        .toBe(0);

      const dave = await registerUser(baseUrl, `dave_${suffix}_`);
      const davePage = await newPerson(dave.username);
      try {
        await davePage.page.fill("#username", dave.username);
        await davePage.page.fill("#password", dave.password);
        await davePage.page.click("#login-button");
        await davePage.page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
        await davePage.page.click("#join-box summary");
        await davePage.page.fill("#join-input", code);
        await davePage.page.click("#join-form button");
        await eventually(() => davePage.page.textContent("#join-status"), "revoked");
        expect(await conversationRow(davePage.page, "Book club").count()).toBe(0);
        expect(davePage.errors).toEqual([]);
      } finally {
        await davePage.context.close();
      }
      expect([...alice.errors, ...bob.errors]).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    "adds a contact: request → accept → chat → block, and the blocked user's send is refused",
    async () => {
      const person = (page: Page, list: string, name: string) =>
        page.locator(`#${list} li`, { hasText: name });
      await alice.page.click("#contacts-box summary");
      await bob.page.click("#contacts-box summary");
      await alice.page.fill("#add-contact-username", bob.name);
      await alice.page.fill("#add-contact-message", "Shall we be contacts?");
      await alice.page.click("#add-contact button[type=submit]");
      await eventually(() => alice.page.textContent("#contacts-status"), "Request sent");
      await eventually(
        () => person(alice.page, "outgoing-requests", bob.name).textContent(),
        "pending",
      );

      // Bob's list fills from the `contact` frame: he accepts.
      const request = person(bob.page, "incoming-requests", alice.name);
      await eventually(() => request.textContent(), "Shall we be contacts?");
      await eventually(() => bob.page.textContent("#contacts-badge"), "1");
      await request.getByRole("button", { name: "Accept" }).click();
      await person(bob.page, "contact-list", alice.name).waitFor({ timeout: WAIT });
      const bobRow = person(alice.page, "contact-list", bob.name);
      await bobRow.waitFor({ timeout: WAIT });
      expect(await alice.page.locator("#outgoing-requests li").count()).toBe(0);

      // A remark, then a chat from the contact list.
      alice.page.once("dialog", (dialog) => void dialog.accept("Bobby"));
      await bobRow.getByRole("button", { name: "Remark" }).click();
      await eventually(() => bobRow.textContent(), `Bobby (${bob.name})`);
      await bobRow.getByRole("button", { name: "Chat" }).click();
      // The title shows Bob's display name once he set one (the profile step above), else his username.
      await expect
        .poll(
          async () => {
            const title = (await alice.page.textContent("#conversation-title")) ?? "";
            return title.includes(bob.name) || title.includes("Bobby Tables");
          },
          { timeout: WAIT, interval: 100 },
        )
        .toBe(true);
      await sendText(alice.page, "We are contacts now");
      await eventually(
        () => conversationRow(bob.page, alice.name).locator(".preview").textContent(),
        "We are contacts now",
      );

      // Alice blocks Bob: his next message is refused, with no word of a block.
      await bobRow.getByRole("button", { name: "Block" }).click();
      await person(alice.page, "blocked-list", bob.name).waitFor({ timeout: WAIT });
      expect(await alice.page.locator("#contact-list li").count()).toBe(0);
      await conversationRow(bob.page, alice.name).click();
      await message(bob.page, "We are contacts now").waitFor({ timeout: WAIT });
      await bob.page.fill("#text", "Hello? Anyone?");
      await bob.page.press("#text", "Enter");
      await eventually(() => bob.page.textContent("#chat-error"), "does not accept your messages");
      expect(await bob.page.textContent("#chat-error")).not.toContain("block");
      await expect.poll(() => message(alice.page, "Hello? Anyone?").count()).toBe(0);

      // Unblock: the blocked list empties (the contact does not come back).
      await person(alice.page, "blocked-list", bob.name)
        .getByRole("button", { name: "Unblock" })
        .click();
      await expect
        .poll(() => alice.page.locator("#blocked-list li").count(), { timeout: WAIT })
        .toBe(0);
      expect([...alice.errors, ...bob.errors]).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    "keeps the session and the receipts over a reload, and logs out",
    async () => {
      await alice.page.reload();
      await alice.page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
      expect(await alice.page.isHidden("#auth-view")).toBe(true);
      await conversationRow(alice.page, bob.name).click();
      // Bob read it before the reload; the history alone does not say so, the page remembers.
      await eventually(
        () => message(alice.page, "are you still there?").locator(".status").textContent(),
        "read",
      );

      const bobAuth = JSON.parse(
        (await bob.page.evaluate(() => sessionStorage.getItem("lucky-im.auth"))) ?? "null",
      ) as { refreshToken: string };
      await bob.page.click("#logout-button");
      await bob.page.locator("#auth-view").waitFor({ state: "visible", timeout: WAIT });
      expect(await bob.page.isHidden("#chat-view")).toBe(true);
      expect(await bob.page.evaluate(() => sessionStorage.getItem("lucky-im.auth"))).toBeNull();
      // "Log out" told the server: the refresh token of that tab is refused from now on.
      const reuse = await api(baseUrl, "POST", "/auth/refresh", {
        body: { refreshToken: bobAuth.refreshToken },
      });
      expect(reuse.status).toBe(401);
    },
    STEP_TIMEOUT,
  );

  it(
    "saves a screenshot of the chat view",
    async () => {
      await conversationRow(alice.page, bob.name).click();
      await message(alice.page, "are you still there?").waitFor({ timeout: WAIT });
      // A draft in the composer, for a lifelike picture.
      await alice.page.fill("#text", "See you on Saturday");
      await alice.page
        .locator('#messages img[alt="dot.png"]')
        .evaluate((img: HTMLImageElement) => img.decode());
      await mkdir(join(REPO_ROOT, ".out", "artifacts"), { recursive: true });
      await alice.page.screenshot({ path: SCREENSHOT });
      expect(existsSync(SCREENSHOT)).toBe(true);
      expect([...alice.errors, ...bob.errors]).toEqual([]);
    },
    STEP_TIMEOUT,
  );

  it(
    "changes the password in the Account box, then logs out everywhere",
    async () => {
      const page = alice.page;
      await page.click("#account-box summary");
      await page.fill("#current-password", "not the password");
      await page.fill("#new-password", "a brand new passphrase");
      await page.click("#password-form button[type=submit]");
      await eventually(() => page.textContent("#password-status"), "current password is wrong");

      await page.fill("#current-password", PASSWORD);
      await page.fill("#new-password", "password123");
      await page.click("#password-form button[type=submit]");
      await eventually(() => page.textContent("#password-status"), "common");

      await page.fill("#current-password", PASSWORD);
      await page.fill("#new-password", "a brand new passphrase");
      await page.click("#password-form button[type=submit]");
      await eventually(() => page.textContent("#password-status"), "Password changed");
      // The server closed the old session (4401); the page reconnects with its new tokens.
      await page.locator("#connection[data-state=open]").waitFor({ timeout: WAIT });
      const old = await api(baseUrl, "POST", "/auth/login", {
        body: { username: alice.name, password: PASSWORD },
      });
      expect(old.status).toBe(401);

      const { refreshToken } = JSON.parse(
        (await page.evaluate(() => sessionStorage.getItem("lucky-im.auth"))) ?? "null",
      ) as { refreshToken: string };
      page.once("dialog", (dialog) => void dialog.accept());
      await page.click("#logout-all-button");
      await page.locator("#auth-view").waitFor({ state: "visible", timeout: WAIT });
      const refused = await api(baseUrl, "POST", "/auth/refresh", { body: { refreshToken } });
      expect(refused.status).toBe(401);
      expect(alice.errors).toEqual([]);
    },
    STEP_TIMEOUT,
  );
});
