import { rm } from "node:fs/promises";
import type { CodeMessage } from "@lucky-im/auth";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ChatServer, createChatServer } from "../src/chat-server.js";
import type { ChatServerConfig } from "../src/config.js";
import { api, registerUser, type TestUser, testConfig, WsProbe } from "./helpers.js";

/**
 * `/auth/recipient*`, `/auth/password-reset*`, `/auth/code-login*` and `/auth/qr*`: the happy
 * paths, and every refusal as the documented status and error JSON (wrong, expired, reused
 * codes; unknown challenges; approving without being signed in; floods).
 */

const codes: CodeMessage[] = [];
let server: ChatServer;
let config: ChatServerConfig;
let base: string;

beforeAll(async () => {
  config = await testConfig();
  server = await createChatServer(config, {
    codeSender: { send: async (message) => void codes.push(message) },
  });
  base = server.url;
});

afterAll(async () => {
  await server?.close();
  if (config) await rm(config.filesDir, { recursive: true, force: true });
});

const probes: WsProbe[] = [];
afterEach(() => {
  for (const probe of probes.splice(0)) probe.close();
});

/** The newest code sent to the recipient for the purpose, waiting for it a little. */
async function codeFor(recipient: string, purpose: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = codes.findLast((m) => m.recipient === recipient && m.purpose.startsWith(purpose));
    if (found) return found.code;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no ${purpose} code for ${recipient}`);
}

let mailbox = 0;
const freshMail = () => `user${++mailbox}.${Math.random().toString(36).slice(2, 8)}@example.com`;

async function withRecipient(user: TestUser, recipient: string) {
  const asked = await api(base, "POST", "/auth/recipient", {
    token: user.accessToken,
    body: { recipient },
  });
  expect(asked.status).toBe(202);
  const code = await codeFor(recipient, "recipient.");
  const confirmed = await api(base, "POST", "/auth/recipient/confirm", {
    token: user.accessToken,
    body: { recipient, code },
  });
  expect(confirmed.status).toBe(200);
  expect(confirmed.body).toEqual({ recipient });
}

const other = (code: string) => (code === "000000" ? "111111" : "000000");

describe("account recipient", () => {
  it("is attached with a code, shown to its user only, and removed", async () => {
    const ann = await registerUser(base, "ann");
    const mail = freshMail();
    expect((await api(base, "GET", "/auth/recipient", { token: ann.accessToken })).body).toEqual({
      recipient: null,
    });
    expect((await api(base, "GET", "/auth/recipient")).status).toBe(401);
    const anonymous = await api(base, "POST", "/auth/recipient", { body: { recipient: mail } });
    expect(anonymous.status).toBe(401);
    const bad = await api(base, "POST", "/auth/recipient", {
      token: ann.accessToken,
      body: { recipient: "no way" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_request");
    await api(base, "POST", "/auth/recipient", {
      token: ann.accessToken,
      body: { recipient: mail },
    });
    const code = await codeFor(mail, "recipient.");
    const wrong = await api(base, "POST", "/auth/recipient/confirm", {
      token: ann.accessToken,
      body: { recipient: mail, code: other(code) },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("unauthorized");
    await api(base, "POST", "/auth/recipient/confirm", {
      token: ann.accessToken,
      body: { recipient: mail, code },
    });
    expect((await api(base, "GET", "/auth/recipient", { token: ann.accessToken })).body).toEqual({
      recipient: mail,
    });
    expect((await api(base, "DELETE", "/auth/recipient", { token: ann.accessToken })).status).toBe(
      204,
    );
    expect((await api(base, "GET", "/auth/recipient", { token: ann.accessToken })).body).toEqual({
      recipient: null,
    });
  });
});

describe("password reset", () => {
  it("resets with the code, refuses it reused, and ends every session of the user", async () => {
    const bob = await registerUser(base, "bob");
    const mail = freshMail();
    await withRecipient(bob, mail);
    const probe = await WsProbe.connect(base, bob.accessToken);
    probes.push(probe);
    const asked = await api(base, "POST", "/auth/password-reset", { body: { recipient: mail } });
    expect(asked.status).toBe(202);
    expect(typeof asked.body.expiresAt).toBe("number");
    const code = await codeFor(mail, "password_reset");
    const wrong = await api(base, "POST", "/auth/password-reset/confirm", {
      body: { recipient: mail, code: other(code), newPassword: "a new long passphrase" },
    });
    expect(wrong.status).toBe(401);
    const reset = await api(base, "POST", "/auth/password-reset/confirm", {
      body: { recipient: mail, code, newPassword: "a new long passphrase" },
    });
    expect(reset.status).toBe(200);
    expect(reset.body.userId).toBe(bob.userId);
    // The open socket is kicked, the old refresh token refused.
    expect(await probe.closed()).toBe(4401);
    const refresh = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: bob.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const reused = await api(base, "POST", "/auth/password-reset/confirm", {
      body: { recipient: mail, code, newPassword: "yet another passphrase" },
    });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe("unauthorized");
    const login = await api(base, "POST", "/auth/login", {
      body: { username: bob.username, password: "a new long passphrase" },
    });
    expect(login.status).toBe(200);
  });

  it("answers an unknown recipient as a known one, and refuses bad bodies", async () => {
    const unknown = await api(base, "POST", "/auth/password-reset", {
      body: { recipient: freshMail() },
    });
    expect(unknown.status).toBe(202);
    expect(Object.keys(unknown.body)).toEqual(["expiresAt"]);
    const missing = await api(base, "POST", "/auth/password-reset/confirm", {
      body: { recipient: freshMail(), code: "123456" },
    });
    expect(missing.status).toBe(400);
    const extra = await api(base, "POST", "/auth/password-reset", {
      body: { recipient: freshMail(), userId: "u_1" },
    });
    expect(extra.status).toBe(400);
  });

  it("rate limits a flood of requests for one recipient", async () => {
    const mail = freshMail();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await api(base, "POST", "/auth/password-reset", { body: { recipient: mail } })).status,
      );
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const limited = await api(base, "POST", "/auth/password-reset", { body: { recipient: mail } });
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("login by code", () => {
  it("logs in once with the code sent to the verified recipient", async () => {
    const cat = await registerUser(base, "cat");
    const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
    await withRecipient(cat, phone);
    expect(
      (await api(base, "POST", "/auth/code-login", { body: { recipient: phone } })).status,
    ).toBe(202);
    const code = await codeFor(phone, "account_login");
    const login = await api(base, "POST", "/auth/code-login/confirm", {
      body: { recipient: phone, code, deviceClass: "web" },
    });
    expect(login.status).toBe(200);
    expect(login.body.userId).toBe(cat.userId);
    const me = await api(base, "GET", "/users/me", { token: login.body.accessToken });
    expect(me.body.userId).toBe(cat.userId);
    const reused = await api(base, "POST", "/auth/code-login/confirm", {
      body: { recipient: phone, code },
    });
    expect(reused.status).toBe(401);
  });
});

describe("QR login", () => {
  it("the signed-in device sees the device, approves, the new device gets tokens once", async () => {
    const dan = await registerUser(base, "dan");
    const made = await api(base, "POST", "/auth/qr", {
      body: { description: "Chromium on a test box" },
    });
    expect(made.status).toBe(201);
    const { challengeId, secret, qr } = made.body;
    expect(qr).toBe(`lucky-im:login:${challengeId}`);
    const pending = await api(base, "POST", `/auth/qr/${challengeId}/poll`, { body: { secret } });
    expect(pending.body.status).toBe("pending");
    const seen = await api(base, "GET", `/auth/qr/${challengeId}`, { token: dan.accessToken });
    expect(seen.body).toMatchObject({ status: "pending", description: "Chromium on a test box" });
    expect(seen.body).not.toHaveProperty("secretHash");
    // Not signed in: refused, and nothing changed.
    const anonymous = await api(base, "POST", `/auth/qr/${challengeId}/approve`);
    expect(anonymous.status).toBe(401);
    const forged = await api(base, "POST", `/auth/qr/${challengeId}/approve`, {
      token: "not.a.token",
    });
    expect(forged.status).toBe(401);
    const waiting = api(base, "POST", `/auth/qr/${challengeId}/poll`, {
      body: { secret, waitMs: 20_000 },
    });
    const approved = await api(base, "POST", `/auth/qr/${challengeId}/approve`, {
      token: dan.accessToken,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe("approved");
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ status: "approved", userId: dan.userId });
    const me = await api(base, "GET", "/users/me", { token: got.body.accessToken });
    expect(me.body.userId).toBe(dan.userId);
    const again = await api(base, "POST", `/auth/qr/${challengeId}/poll`, { body: { secret } });
    expect(again.status).toBe(409);
    const twice = await api(base, "POST", `/auth/qr/${challengeId}/approve`, {
      token: dan.accessToken,
    });
    expect(twice.status).toBe(409);
  });

  it("declined, unknown, wrong secret, bad bodies", async () => {
    const eve = await registerUser(base, "eve");
    const made = await api(base, "POST", "/auth/qr", {});
    expect(made.status).toBe(201);
    const { challengeId, secret } = made.body;
    const declined = await api(base, "POST", `/auth/qr/${challengeId}/decline`, {
      token: eve.accessToken,
    });
    expect(declined.body.status).toBe("declined");
    const polled = await api(base, "POST", `/auth/qr/${challengeId}/poll`, { body: { secret } });
    expect(polled.body).toEqual({ status: "declined" });
    const unknownId = "A".repeat(22);
    for (const [method, path, token] of [
      ["GET", `/auth/qr/${unknownId}`, eve.accessToken],
      ["POST", `/auth/qr/${unknownId}/approve`, eve.accessToken],
    ] as const) {
      const answer = await api(base, method, path, { token });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe("not_found");
    }
    const unknownPoll = await api(base, "POST", `/auth/qr/${unknownId}/poll`, {
      body: { secret },
    });
    expect(unknownPoll.status).toBe(404);
    const fresh = await api(base, "POST", "/auth/qr", {});
    const wrongSecret = await api(base, "POST", `/auth/qr/${fresh.body.challengeId}/poll`, {
      body: { secret: "guess" },
    });
    expect(wrongSecret.status).toBe(404);
    const long = await api(base, "POST", "/auth/qr", { body: { description: "x".repeat(201) } });
    expect(long.status).toBe(400);
    const noSecret = await api(base, "POST", `/auth/qr/${fresh.body.challengeId}/poll`, {
      body: {},
    });
    expect(noSecret.status).toBe(400);
  });

  it("limits failed polls per address, never the secret holder's polls", async () => {
    const { challengeId, secret } = (await api(base, "POST", "/auth/qr", {})).body;
    // Someone who read the id off the screen guesses: 404 until the address's 30 failures.
    const statuses: number[] = [];
    for (let i = 0; i < 31 && !statuses.includes(429); i++) {
      const guess = await api(base, "POST", `/auth/qr/${challengeId}/poll`, {
        body: { secret: `guess-${i}` },
      });
      statuses.push(guess.status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set([404]));
    // The device holding the secret, from the same address, polls on.
    const polled = await api(base, "POST", `/auth/qr/${challengeId}/poll`, { body: { secret } });
    expect(polled.status).toBe(200);
    expect(polled.body.status).toBe("pending");
  });

  it("rate limits a flood of challenges from one address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await api(base, "POST", "/auth/qr", {})).status);
    // Three were made by the previous tests from this address; the limit is 10 per 10 minutes.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const last = await api(base, "POST", "/auth/qr", {});
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe("rate_limited");
  });
});
