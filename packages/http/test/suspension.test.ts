import type { AddressInfo } from "node:net";
import {
  type CodeMessage,
  createAuthService,
  createMemoryCodeStore,
  createMemoryCredentialStore,
  createMemoryRefreshTokenStore,
  createPasswordHasher,
} from "@lucky-im/auth";
import { createImServer, createMemoryTransport, type ImServer } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImHttpOptions, imHttpPlugin } from "../src/index.js";

/**
 * A suspension (`im.admin.suspend`, `POST /admin/users/:userId/suspension`) holds on every
 * HTTP path, not only at password login and WebSocket auth: a suspended user's bearer token
 * is refused with 403, and no route issues or refreshes their tokens (refresh, login by
 * code, QR login, password reset). Suspending through the admin route revokes their refresh
 * tokens for good: lifting the suspension does not bring them back.
 */

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

/** A sender that keeps the codes; a test waits for the next one. */
function inbox() {
  const waiters: Array<(m: CodeMessage) => void> = [];
  return {
    sender: {
      async send(message: CodeMessage) {
        for (const wake of waiters.splice(0)) wake(message);
      },
    },
    next(): Promise<CodeMessage> {
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

const box = inbox();
const transport = createMemoryTransport();
/** Who the engine takes for an admin (set once the admin registered). */
let adminId = "";
let im: ImServer;
const auth = createAuthService({
  credentials: createMemoryCredentialStore(),
  refreshTokens: createMemoryRefreshTokenStore(),
  codes: createMemoryCodeStore(),
  codeSender: box.sender,
  signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
  issuer: "https://chat.test",
  audience: "chat",
  passwordHasher: createPasswordHasher({ logN: 10 }),
  commonPasswords: false,
  purgeIntervalMs: 0,
  // The seam: every token issue and refresh asks the engine.
  isSuspended: async (userId) => (await im.admin.suspensionOf(userId)) !== undefined,
});
im = createImServer({
  transport,
  authenticator: auth.authenticator,
  logger: { info() {}, warn() {}, error() {} },
  admin: { isAdmin: (userId) => userId === adminId },
});

const PASSWORD = "correct horse battery staple";
const apps: FastifyInstance[] = [];
let url = "";

async function mount(options: Partial<ImHttpOptions> = {}): Promise<string> {
  const app = Fastify();
  await app.register(imHttpPlugin, { prefix: "/im", im, auth, ...options });
  await app.listen({ port: 0, host: "127.0.0.1" });
  apps.push(app);
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; base?: string } = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${options.base ?? url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
}

interface User {
  username: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

async function login(username: string, password = PASSWORD): Promise<User> {
  const answer = await call("POST", "/im/auth/login", { body: { username, password } });
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  return {
    username,
    userId: answer.json.userId as string,
    accessToken: answer.json.accessToken as string,
    refreshToken: answer.json.refreshToken as string,
  };
}

async function newUser(prefix: string): Promise<User> {
  const username = uniqueName(prefix);
  const registered = await call("POST", "/im/auth/register", {
    body: { username, password: PASSWORD },
  });
  expect(registered.status).toBe(201);
  return login(username);
}

/** Attaches a verified recipient to the user (for reset and code login). */
async function withRecipient(user: User): Promise<string> {
  const recipient = `${user.username}@example.com`;
  const sent = box.next();
  const asked = await call("POST", "/im/auth/recipient", {
    token: user.accessToken,
    body: { recipient },
  });
  expect(asked.status).toBe(202);
  const { code } = await sent;
  const confirmed = await call("POST", "/im/auth/recipient/confirm", {
    token: user.accessToken,
    body: { recipient, code },
  });
  expect(confirmed.status).toBe(200);
  return recipient;
}

function expectSuspended(answer: { status: number; json: Json }): void {
  expect(answer.status, JSON.stringify(answer.json)).toBe(403);
  expect(answer.json.error).toEqual({ code: "forbidden", message: "this account is suspended" });
}

let admin: User;

beforeAll(async () => {
  await im.start();
  url = await mount();
  admin = await newUser("root");
  adminId = admin.userId;
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await im.close();
  auth.close();
});

/** Suspends as the application would, without the HTTP route (no token revoked). */
async function suspendDirectly(user: User): Promise<void> {
  await im.admin.suspend({ userId: adminId, claims: {} }, user.userId, { reason: "spam" });
}

async function lift(user: User): Promise<void> {
  expect(await im.admin.unsuspend({ userId: adminId, claims: {} }, user.userId)).toBe(true);
}

describe("a suspended user over HTTP", () => {
  it("is refused with 403 forbidden on a bearer route, even with a token issued before", async () => {
    const bob = await newUser("bob");
    expect((await call("GET", "/im/users/me", { token: bob.accessToken })).status).toBe(200);
    await suspendDirectly(bob);
    expectSuspended(await call("GET", "/im/users/me", { token: bob.accessToken }));
    expectSuspended(await call("GET", "/im/conversations", { token: bob.accessToken }));
    // A body route refuses before reading the body.
    expectSuspended(
      await call("POST", "/im/groups", {
        token: bob.accessToken,
        body: { name: "g", members: [] },
      }),
    );
    await lift(bob);
    expect((await call("GET", "/im/users/me", { token: bob.accessToken })).status).toBe(200);
  });

  it("is refused by an application's own `authenticate` too", async () => {
    const carol = await newUser("carol");
    const base = await mount({
      authenticate: async () => carol.userId,
      routes: { auth: false, account: false },
    });
    expect((await call("GET", "/im/conversations", { base })).status).toBe(200);
    await suspendDirectly(carol);
    expectSuspended(await call("GET", "/im/conversations", { base }));
    await lift(carol);
  });

  it("cannot refresh; the refused refresh token stays dead after the suspension is lifted", async () => {
    const dan = await newUser("dan");
    await suspendDirectly(dan);
    expectSuspended(
      await call("POST", "/im/auth/refresh", { body: { refreshToken: dan.refreshToken } }),
    );
    await lift(dan);
    const again = await call("POST", "/im/auth/refresh", {
      body: { refreshToken: dan.refreshToken },
    });
    expect(again.status).toBe(401);
    await login(dan.username);
  });

  it("cannot log in with a password, a login code, a QR code or a password reset", async () => {
    const erin = await newUser("erin");
    const recipient = await withRecipient(erin);
    // A QR challenge approved before the suspension is not honoured after it.
    const challenge = await call("POST", "/im/auth/qr", { body: {} });
    expect(challenge.status).toBe(201);
    const challengeId = challenge.json.challengeId as string;
    const approved = await call("POST", `/im/auth/qr/${challengeId}/approve`, {
      token: erin.accessToken,
    });
    expect(approved.status).toBe(200);
    const codeSent = box.next();
    expect((await call("POST", "/im/auth/code-login", { body: { recipient } })).status).toBe(202);
    const loginCode = (await codeSent).code;

    await suspendDirectly(erin);
    expectSuspended(
      await call("POST", "/im/auth/login", {
        body: { username: erin.username, password: PASSWORD },
      }),
    );
    expectSuspended(
      await call("POST", "/im/auth/code-login/confirm", { body: { recipient, code: loginCode } }),
    );
    expectSuspended(
      await call("POST", `/im/auth/qr/${challengeId}/poll`, {
        body: { secret: challenge.json.secret },
      }),
    );
    // Nor can a suspended user approve another device.
    const other = await call("POST", "/im/auth/qr", { body: {} });
    expectSuspended(
      await call("POST", `/im/auth/qr/${other.json.challengeId}/approve`, {
        token: erin.accessToken,
      }),
    );
    const resetSent = box.next();
    expect((await call("POST", "/im/auth/password-reset", { body: { recipient } })).status).toBe(
      202,
    );
    const resetCode = (await resetSent).code;
    expectSuspended(
      await call("POST", "/im/auth/password-reset/confirm", {
        body: { recipient, code: resetCode, newPassword: "another long passphrase" },
      }),
    );
    await lift(erin);
  });

  it("suspended through the admin route: refresh tokens are revoked for good; a fresh login works after the lift", async () => {
    const fay = await newUser("fay");
    const suspended = await call("POST", `/im/admin/users/${fay.userId}/suspension`, {
      token: admin.accessToken,
      body: { reason: "spam" },
    });
    expect(suspended.status).toBe(201);
    const lifted = await call("DELETE", `/im/admin/users/${fay.userId}/suspension`, {
      token: admin.accessToken,
    });
    expect(lifted.json).toEqual({ lifted: true });
    // Never presented while suspended, yet dead: the suspension revoked it.
    const refresh = await call("POST", "/im/auth/refresh", {
      body: { refreshToken: fay.refreshToken },
    });
    expect(refresh.status).toBe(401);
    expect((await call("GET", "/im/users/me", { token: fay.accessToken })).status).toBe(401);
    const fresh = await login(fay.username);
    expect((await call("GET", "/im/users/me", { token: fresh.accessToken })).status).toBe(200);
    const refreshed = await call("POST", "/im/auth/refresh", {
      body: { refreshToken: fresh.refreshToken },
    });
    expect(refreshed.status).toBe(200);
  });
});
