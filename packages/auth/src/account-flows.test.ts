import { isImError } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { type AuthServiceOptions, createAuthService, type RevokeEvent } from "./auth-service.js";
import type { CodeMessage } from "./contracts/code-sender.js";
import { createMemoryCredentialStore } from "./memory/memory-credential-store.js";
import { createMemoryRefreshTokenStore } from "./memory/memory-refresh-token-store.js";
import { createPasswordHasher } from "./password-hasher.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";

/** A sender that keeps the codes, and lets a test wait for the next one. */
function inbox() {
  const messages: CodeMessage[] = [];
  const waiters: Array<(m: CodeMessage) => void> = [];
  return {
    messages,
    sender: {
      async send(message: CodeMessage) {
        messages.push(message);
        for (const wake of waiters.splice(0)) wake(message);
      },
    },
    next(): Promise<CodeMessage> {
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

function setup(overrides: Partial<AuthServiceOptions> = {}) {
  const revocations: RevokeEvent[] = [];
  const box = inbox();
  let clock = Date.UTC(2030, 0, 1);
  const auth = createAuthService({
    credentials: createMemoryCredentialStore(),
    refreshTokens: createMemoryRefreshTokenStore(),
    codeSender: box.sender,
    signingKey: { secret: SECRET },
    issuer: "https://chat.test",
    audience: "chat",
    passwordHasher: createPasswordHasher({ logN: 10 }),
    commonPasswords: false,
    purgeIntervalMs: 0,
    onRevoke: (event) => void revocations.push(event),
    now: () => clock,
    ...overrides,
  });
  return {
    auth,
    box,
    revocations,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

async function errorCode(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImError(error), "expected a refusal").toBe(true);
  return (error as { code: string }).code;
}

/** A user with a verified recipient. */
async function userWithRecipient(ctx: ReturnType<typeof setup>, recipient = "Ann@Example.com") {
  const { userId } = await ctx.auth.register(
    `ann${Math.random().toString(36).slice(2, 8)}`,
    "correct horse",
  );
  const sent = ctx.box.next();
  await ctx.auth.requestRecipientCode(userId, recipient);
  const { code } = await sent;
  expect(await ctx.auth.confirmRecipient(userId, recipient, code)).toEqual({
    recipient: recipient.toLowerCase(),
  });
  return userId;
}

describe("account recovery", () => {
  it("attaches a recipient only with the code sent to it, and only for the user who asked", async () => {
    const ctx = setup();
    const { auth, box } = ctx;
    const { userId } = await auth.register("bob", "correct horse");
    const { userId: eve } = await auth.register("eve", "correct horse");
    expect(await errorCode(auth.requestRecipientCode(userId, "not a recipient"))).toBe(
      "bad_request",
    );
    const sent = box.next();
    await auth.requestRecipientCode(userId, "+1 (555) 010-2000");
    const { code, recipient } = await sent;
    expect(recipient).toBe("+15550102000");
    // Eve cannot use Bob's code, and a wrong code is refused.
    expect(await errorCode(auth.confirmRecipient(eve, "+15550102000", code))).toBe("unauthorized");
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await errorCode(auth.confirmRecipient(userId, "+15550102000", wrong))).toBe(
      "unauthorized",
    );
    await auth.confirmRecipient(userId, "+15550102000", code);
    expect(await auth.getRecipient(userId)).toBe("+15550102000");
    // Reused code.
    expect(await errorCode(auth.confirmRecipient(userId, "+15550102000", code))).toBe(
      "unauthorized",
    );
    // Eve proves she holds it too (a shared phone): the account that has it keeps it.
    const eveSent = box.next();
    await auth.requestRecipientCode(eve, "+15550102000");
    const eveCode = (await eveSent).code;
    expect(await errorCode(auth.confirmRecipient(eve, "+15550102000", eveCode))).toBe("conflict");
    await auth.removeRecipient(userId);
    expect(await auth.getRecipient(userId)).toBeUndefined();
  });

  it("resets the password with the code: old password and every session revoked", async () => {
    const ctx = setup();
    const { auth, box, revocations } = ctx;
    const userId = await userWithRecipient(ctx);
    const user = await auth.getUser(userId);
    const before = await auth.login({ username: user!.username, password: "correct horse" });
    const sent = box.next();
    await auth.requestPasswordReset(" ANN@example.com ", { ip: "203.0.113.1" });
    const { code, purpose } = await sent;
    expect(purpose).toBe("password_reset");
    // A refused new password keeps the code.
    expect(await errorCode(auth.resetPassword("ann@example.com", code, "ann"))).toBe("bad_request");
    const tokens = await auth.resetPassword("ann@example.com", code, "battery staple 9");
    expect(tokens.userId).toBe(userId);
    expect(revocations).toContainEqual({ userId, reason: "password_reset" });
    expect(await errorCode(auth.refresh(before.refreshToken))).toBe("unauthorized");
    expect(await errorCode(auth.authenticator.authenticate(before.accessToken))).toBe(
      "unauthorized",
    );
    expect(
      await errorCode(auth.login({ username: user!.username, password: "correct horse" })),
    ).toBe("unauthorized");
    await auth.login({ username: user!.username, password: "battery staple 9" });
    await auth.authenticator.authenticate(tokens.accessToken);
    // Reused code.
    expect(await errorCode(auth.resetPassword("ann@example.com", code, "another one 12"))).toBe(
      "unauthorized",
    );
  });

  it("refuses an expired code and a wrong one, and forgets the code after the attempts", async () => {
    const ctx = setup();
    const { auth, box } = ctx;
    await userWithRecipient(ctx);
    let sent = box.next();
    await auth.requestPasswordReset("ann@example.com");
    let { code } = await sent;
    ctx.advance(300_001);
    expect(await errorCode(auth.resetPassword("ann@example.com", code, "battery staple 9"))).toBe(
      "unauthorized",
    );
    sent = box.next();
    await auth.requestPasswordReset("ann@example.com");
    ({ code } = await sent);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 3; i++) {
      expect(
        await errorCode(auth.resetPassword("ann@example.com", wrong, "battery staple 9")),
      ).toBe("unauthorized");
    }
    // Past the attempts, even the right code is refused.
    expect(await errorCode(auth.resetPassword("ann@example.com", code, "battery staple 9"))).toBe(
      "unauthorized",
    );
    expect(await errorCode(auth.resetPassword("ann@example.com", 42 as never, "x".repeat(9)))).toBe(
      "bad_request",
    );
  });

  it("answers a reset request for an unknown recipient exactly as for a known one, and limits both", async () => {
    const ctx = setup({
      recoveryOptions: { requestLimitPerRecipient: { points: 2, durationMs: 60_000 } },
    });
    const { auth, box } = ctx;
    await userWithRecipient(ctx);
    box.messages.length = 0;
    const known = await auth.requestPasswordReset("ann@example.com");
    const unknown = await auth.requestPasswordReset("nobody@example.com");
    expect(Object.keys(unknown)).toEqual(Object.keys(known));
    expect(unknown.expiresAt).toBe(known.expiresAt);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(box.messages.map((m) => m.recipient)).toEqual(["ann@example.com"]);
    expect(
      await errorCode(auth.resetPassword("nobody@example.com", "123456", "battery staple 9")),
    ).toBe("unauthorized");
    await auth.requestPasswordReset("ann@example.com");
    await auth.requestPasswordReset("nobody@example.com");
    expect(await errorCode(auth.requestPasswordReset("ann@example.com"))).toBe("rate_limited");
    expect(await errorCode(auth.requestPasswordReset("nobody@example.com"))).toBe("rate_limited");
  });

  it("limits requests and code checks per IP", async () => {
    const ctx = setup({
      recoveryOptions: {
        requestLimitPerIp: { points: 3, durationMs: 60_000 },
        checkLimitPerIp: { points: 2, durationMs: 60_000 },
      },
    });
    const { auth } = ctx;
    const ip = "198.51.100.7";
    for (let i = 0; i < 3; i++) await auth.requestLoginCode(`u${i}@example.com`, { ip });
    expect(await errorCode(auth.requestLoginCode("u9@example.com", { ip }))).toBe("rate_limited");
    expect(await errorCode(auth.loginWithCode("a@example.com", "123456", { ip }))).toBe(
      "unauthorized",
    );
    expect(await errorCode(auth.loginWithCode("b@example.com", "123456", { ip }))).toBe(
      "unauthorized",
    );
    expect(await errorCode(auth.loginWithCode("c@example.com", "123456", { ip }))).toBe(
      "rate_limited",
    );
  });

  it("logs in with a code sent to the verified recipient, once", async () => {
    const ctx = setup();
    const { auth, box } = ctx;
    const userId = await userWithRecipient(ctx, "+15550109999");
    const sent = box.next();
    await auth.requestLoginCode("+1 555 010 9999", { ip: "203.0.113.9" });
    const { code, purpose } = await sent;
    expect(purpose).toBe("account_login");
    // A reset code is not a login code, and the other way round.
    expect(await errorCode(auth.resetPassword("+15550109999", code, "battery staple 9"))).toBe(
      "unauthorized",
    );
    const tokens = await auth.loginWithCode("+15550109999", code, { deviceClass: "web" });
    expect((await auth.authenticator.authenticate(tokens.accessToken)).userId).toBe(userId);
    expect(await errorCode(auth.loginWithCode("+15550109999", code))).toBe("unauthorized");
  });
});

describe("QR login", () => {
  it("a signed-in device approves, the new device takes the tokens once", async () => {
    const { auth } = setup();
    const { userId } = await auth.register("carol", "correct horse");
    const ticket = await auth.createLoginChallenge({
      description: "Firefox on Linux",
      ip: "203.0.113.4",
      deviceClass: "web",
    });
    expect(await auth.pollLoginChallenge(ticket.challengeId, ticket.secret)).toEqual({
      status: "pending",
      expiresAt: ticket.expiresAt,
    });
    const view = await auth.getLoginChallenge(userId, ticket.challengeId);
    expect(view).toMatchObject({
      status: "pending",
      description: "Firefox on Linux",
      ip: "203.0.113.4",
    });
    expect(view).not.toHaveProperty("secretHash");
    // A waiting poll is woken by the approval on this node.
    const waiting = auth.pollLoginChallenge(ticket.challengeId, ticket.secret, { waitMs: 20_000 });
    await auth.approveLoginChallenge(userId, ticket.challengeId);
    const result = await waiting;
    expect(result.status).toBe("approved");
    if (result.status !== "approved") return;
    const principal = await auth.authenticator.authenticate(result.tokens.accessToken);
    expect(principal).toMatchObject({ userId, deviceClass: "web" });
    // Single use, and a second approval is a conflict.
    expect(await errorCode(auth.pollLoginChallenge(ticket.challengeId, ticket.secret))).toBe(
      "conflict",
    );
    expect(await errorCode(auth.approveLoginChallenge(userId, ticket.challengeId))).toBe(
      "conflict",
    );
  });

  it("declined, expired, unknown, wrong secret", async () => {
    const ctx = setup();
    const { auth } = ctx;
    const { userId } = await auth.register("dave", "correct horse");
    const a = await auth.createLoginChallenge({ description: "Phone" });
    await auth.declineLoginChallenge(userId, a.challengeId);
    expect(await auth.pollLoginChallenge(a.challengeId, a.secret)).toEqual({ status: "declined" });
    expect(await errorCode(auth.approveLoginChallenge(userId, a.challengeId))).toBe("conflict");
    const b = await auth.createLoginChallenge();
    expect(await errorCode(auth.pollLoginChallenge(b.challengeId, "not-the-secret"))).toBe(
      "not_found",
    );
    expect(await errorCode(auth.pollLoginChallenge("x".repeat(22), b.secret))).toBe("not_found");
    expect(await errorCode(auth.getLoginChallenge(userId, "../../etc"))).toBe("not_found");
    ctx.advance(120_000);
    expect(await errorCode(auth.approveLoginChallenge(userId, b.challengeId))).toBe("not_found");
    expect(await errorCode(auth.pollLoginChallenge(b.challengeId, b.secret))).toBe("not_found");
  });

  it("refuses bad descriptions and floods", async () => {
    const { auth } = setup({
      qrLoginOptions: {
        createLimitPerIp: { points: 2, durationMs: 60_000 },
        pollLimitPerChallenge: { points: 2, durationMs: 60_000 },
        decideLimitPerUser: { points: 2, durationMs: 60_000 },
      },
    });
    const { userId } = await auth.register("erin", "correct horse");
    expect(await errorCode(auth.createLoginChallenge({ description: "x".repeat(201) }))).toBe(
      "bad_request",
    );
    expect(await errorCode(auth.createLoginChallenge({ description: "a\u0000b" }))).toBe(
      "bad_request",
    );
    const ip = "192.0.2.1";
    const c = await auth.createLoginChallenge({ ip });
    await auth.createLoginChallenge({ ip });
    expect(await errorCode(auth.createLoginChallenge({ ip }))).toBe("rate_limited");
    await auth.pollLoginChallenge(c.challengeId, c.secret);
    await auth.pollLoginChallenge(c.challengeId, c.secret);
    expect(await errorCode(auth.pollLoginChallenge(c.challengeId, c.secret))).toBe("rate_limited");
    await auth.getLoginChallenge(userId, c.challengeId);
    await auth.getLoginChallenge(userId, c.challengeId);
    expect(await errorCode(auth.approveLoginChallenge(userId, c.challengeId))).toBe("rate_limited");
  });
});
