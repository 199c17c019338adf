import { isImError } from "@lucky-im/core";
import { describe, expect, it, vi } from "vitest";
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

/** The refusal's code and message: two answers that must not be told apart. */
async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImError(error), "expected a refusal").toBe(true);
  const { code, message } = error as { code: string; message: string };
  return { code, message };
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

  it("answers a reset before a valid code alike whether or not an account holds the recipient", async () => {
    const ctx = setup({ commonPasswords: ["letmein-2030"] });
    const { auth, box } = ctx;
    const userId = await userWithRecipient(ctx);
    const { username } = (await auth.getUser(userId))!;
    // The account has a live reset code; nobody@ has none (no account, none was sent).
    const sent = box.next();
    await auth.requestPasswordReset("ann@example.com");
    const { code } = await sent;
    await auth.requestPasswordReset("nobody@example.com");
    const wrong = code === "000000" ? "111111" : "000000";
    const both = async (password: string) =>
      [
        await refusal(auth.resetPassword("ann@example.com", wrong, password)),
        await refusal(auth.resetPassword("nobody@example.com", wrong, password)),
      ] as const;
    // A wrong code: one answer, no attempts left told (they would tell that a code was sent).
    const [known, unknown] = await both("battery staple 9");
    expect(known).toEqual(unknown);
    expect(known.code).toBe("unauthorized");
    // A common password: refused for everyone, before the code is looked at.
    const [knownCommon, unknownCommon] = await both("LetMeIn-2030");
    expect(knownCommon).toEqual(unknownCommon);
    expect(knownCommon.code).toBe("bad_request");
    // The username in the password: only checked once the code matched.
    const [knownName, unknownName] = await both(`${username}-rocks-2030`);
    expect(knownName).toEqual(unknownName);
    expect(knownName).toEqual(known);
    // Past the attempts the code is gone: still the same answer.
    const [gone, none] = await both("battery staple 9");
    expect(gone).toEqual(none);
    expect(gone).toEqual(known);
    // A code login answers the same way.
    expect(await refusal(auth.loginWithCode("ann@example.com", wrong))).toEqual(
      await refusal(auth.loginWithCode("nobody@example.com", wrong)),
    );
  });

  it("refuses a new password with the username only after the code, and keeps the code", async () => {
    const ctx = setup();
    const { auth, box } = ctx;
    const userId = await userWithRecipient(ctx);
    const { username } = (await auth.getUser(userId))!;
    const sent = box.next();
    await auth.requestPasswordReset("ann@example.com");
    const { code } = await sent;
    const refused = await refusal(auth.resetPassword("ann@example.com", code, `x${username}x9`));
    expect(refused).toEqual({ code: "bad_request", message: expect.stringContaining("username") });
    // The same code, another password: accepted (the refusal spent one attempt, not the code).
    const tokens = await auth.resetPassword("ann@example.com", code, "battery staple 9");
    expect(tokens.userId).toBe(userId);
  });

  it("counts every reset and code login against the per-address check limit first", async () => {
    const ctx = setup({
      commonPasswords: ["letmein-2030"],
      recoveryOptions: { checkLimitPerIp: { points: 2, durationMs: 60_000 } },
    });
    const { auth } = ctx;
    await userWithRecipient(ctx);
    // Two addresses of one IPv6 /64 share the budget; refused passwords count too.
    const reset = (ip: string) =>
      errorCode(auth.resetPassword("ann@example.com", "123456", "letmein-2030", { ip }));
    expect(await reset("2001:db8:1:2::1")).toBe("bad_request");
    expect(await reset("2001:db8:1:2::2")).toBe("bad_request");
    expect(await reset("2001:db8:1:2::3")).toBe("rate_limited");
    expect(await reset("2001:db8:1:3::1")).toBe("bad_request");
    expect(
      await errorCode(auth.loginWithCode("ann@example.com", "123456", { ip: "2001:db8:1:2::9" })),
    ).toBe("rate_limited");
  });

  it("limits code requests per IPv6 /64, and keeps each user's recipient checks apart", async () => {
    const ctx = setup({
      recoveryOptions: {
        requestLimitPerIp: { points: 2, durationMs: 60_000 },
        requestLimitPerRecipient: { points: 2, durationMs: 60_000 },
      },
    });
    const { auth, box } = ctx;
    await auth.requestLoginCode("a@example.com", { ip: "2001:db8:5:6::1" });
    await auth.requestLoginCode("b@example.com", { ip: "2001:db8:5:6::2" });
    expect(await errorCode(auth.requestLoginCode("c@example.com", { ip: "2001:db8:5:6::3" }))).toBe(
      "rate_limited",
    );
    await auth.requestLoginCode("c@example.com", { ip: "2001:db8:5:7::1" });
    // A stranger asking check codes for Ann's address uses up only their own budget.
    const { userId: eve } = await auth.register("eve", "correct horse");
    const { userId: ann } = await auth.register("ann", "correct horse");
    await auth.requestRecipientCode(eve, "ann@example.com");
    await auth.requestRecipientCode(eve, "ann@example.com");
    expect(await errorCode(auth.requestRecipientCode(eve, "ann@example.com"))).toBe("rate_limited");
    const sent = box.next();
    await auth.requestRecipientCode(ann, "ann@example.com");
    await auth.confirmRecipient(ann, "ann@example.com", (await sent).code);
    expect(await auth.getRecipient(ann)).toBe("ann@example.com");
  });

  it("sends codes per recipient and purpose: login codes do not use up reset codes", async () => {
    const errors: unknown[] = [];
    const ctx = setup({
      codeOptions: { sendLimitPerRecipient: { points: 2, durationMs: 60_000 } },
      onError: (error) => void errors.push(error),
    });
    const { auth, box } = ctx;
    await userWithRecipient(ctx); // one recipient-check code
    for (let i = 0; i < 2; i++) {
      const sent = box.next();
      await auth.requestLoginCode("ann@example.com");
      expect((await sent).purpose).toBe("account_login");
    }
    // The third login code is over the limit (refused in the background: the answer is alike).
    await auth.requestLoginCode("ann@example.com");
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(isImError(errors[0]) && errors[0].code).toBe("rate_limited");
    await auth.requestPasswordReset("ann@example.com");
    await vi.waitFor(() => expect(box.messages.at(-1)?.purpose).toBe("password_reset"));
    expect(errors).toHaveLength(1);
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

  it("checks the secret before the poll budget: a stranger with the id cannot spend it", async () => {
    const { auth } = setup({
      qrLoginOptions: {
        pollLimitPerChallenge: { points: 2, durationMs: 60_000 },
        pollFailureLimitPerIp: { points: 3, durationMs: 60_000 },
      },
    });
    const c = await auth.createLoginChallenge({ ip: "203.0.113.5" });
    // The stranger (behind the device's own address, even) read the id off the screen.
    const ip = "2001:db8:9:9::1";
    expect(await errorCode(auth.pollLoginChallenge(c.challengeId, "guess", { ip }))).toBe(
      "not_found",
    );
    expect(
      await errorCode(auth.pollLoginChallenge(c.challengeId, "guess", { ip: "2001:db8:9:9::2" })),
    ).toBe("not_found");
    // An unknown id is a failure too, counted per /64.
    expect(await errorCode(auth.pollLoginChallenge("y".repeat(22), c.secret, { ip }))).toBe(
      "not_found",
    );
    expect(await errorCode(auth.pollLoginChallenge(c.challengeId, "guess", { ip }))).toBe(
      "rate_limited",
    );
    expect(
      await errorCode(auth.pollLoginChallenge(c.challengeId, "guess", { ip: "198.51.100.1" })),
    ).toBe("not_found");
    // The holder of the secret, from the stranger's address: its whole budget is intact.
    expect((await auth.pollLoginChallenge(c.challengeId, c.secret, { ip })).status).toBe("pending");
    expect((await auth.pollLoginChallenge(c.challengeId, c.secret, { ip })).status).toBe("pending");
    expect(await errorCode(auth.pollLoginChallenge(c.challengeId, c.secret, { ip }))).toBe(
      "rate_limited",
    );
  });

  it("limits challenges per IPv6 /64", async () => {
    const { auth } = setup({
      qrLoginOptions: { createLimitPerIp: { points: 2, durationMs: 60_000 } },
    });
    await auth.createLoginChallenge({ ip: "2001:db8:7:7::1" });
    await auth.createLoginChallenge({ ip: "2001:db8:7:7::2" });
    expect(await errorCode(auth.createLoginChallenge({ ip: "2001:db8:7:7::3" }))).toBe(
      "rate_limited",
    );
    await auth.createLoginChallenge({ ip: "2001:db8:7:8::1" });
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
