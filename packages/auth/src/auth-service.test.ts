import { hasErrorCode, ImError, isImError } from "@lucky-im/core";
import {
  CompactEncrypt,
  decodeJwt,
  decodeProtectedHeader,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";
import { describe, expect, it } from "vitest";
import { type AuthServiceOptions, createAuthService, type RevokeEvent } from "./auth-service.js";
import { createEncryptionKeyRing } from "./encryption-key-ring.js";
import { createMemoryCodeStore } from "./memory/memory-code-store.js";
import { createMemoryCredentialStore } from "./memory/memory-credential-store.js";
import { createMemoryRefreshTokenStore } from "./memory/memory-refresh-token-store.js";
import { createPasswordHasher } from "./password-hasher.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";

function setup(overrides: Partial<AuthServiceOptions> = {}) {
  const revocations: RevokeEvent[] = [];
  const credentials = createMemoryCredentialStore();
  const refreshTokens = createMemoryRefreshTokenStore();
  const auth = createAuthService({
    credentials,
    refreshTokens,
    codes: createMemoryCodeStore(),
    signingKey: { secret: SECRET },
    issuer: "https://chat.test",
    audience: "chat",
    passwordHasher: createPasswordHasher({ logN: 10 }),
    onRevoke: (event) => void revocations.push(event),
    ...overrides,
  });
  return { auth, credentials, refreshTokens, revocations };
}

async function errorCode(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImError(error), "expected a refusal").toBe(true);
  return (error as { code: string }).code;
}

async function encryptTo(jwk: JWK, password: string, enc = "A256GCM") {
  return new CompactEncrypt(new TextEncoder().encode(password))
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc, kid: jwk.kid! })
    .encrypt(await importJWK(jwk, "RSA-OAEP-256"));
}

describe("createAuthService", () => {
  it("refuses control characters in usernames and finds users by name", async () => {
    const { auth } = setup();
    expect(await errorCode(auth.register("nul\u0000name", "correct horse"))).toBe("bad_request");
    expect(await errorCode(auth.register("tab\tname", "correct horse"))).toBe("bad_request");
    const { userId } = await auth.register("erin", "correct horse");
    expect(await auth.findUserByUsername("erin")).toEqual({ userId, username: "erin" });
    expect(await auth.findUserByUsername("nobody")).toBeUndefined();
    auth.close();
  });

  it("normalizes usernames at registration and login, and refuses lookalikes", async () => {
    const { auth } = setup();
    const { userId } = await auth.register("ａｌｉｃｅ", "correct horse");
    expect(await auth.findUserByUsername("alice")).toEqual({ userId, username: "alice" });
    expect(await auth.findUserByUsername("ａｌｉｃｅ")).toEqual({ userId, username: "alice" });
    expect(await errorCode(auth.register("alice", "correct horse"))).toBe("conflict");
    expect(await errorCode(auth.register("\u0430lice", "correct horse"))).toBe("bad_request");
    expect(await errorCode(auth.register("\u202Eecila", "correct horse"))).toBe("bad_request");
    expect(await errorCode(auth.register("ali\u200Bce", "correct horse"))).toBe("bad_request");
    expect(await auth.findUserByUsername("\u0430lice")).toBeUndefined();
    const tokens = await auth.login({ username: "ａｌｉｃｅ", password: "correct horse" });
    expect(tokens.userId).toBe(userId);
    expect(await errorCode(auth.login({ username: "\u0430lice", password: "correct horse" }))).toBe(
      "bad_request",
    );
    auth.close();
  });

  it("refuses common passwords and the username as a password at registration and change", async () => {
    const { auth } = setup();
    expect(await errorCode(auth.register("alice", "password1"))).toBe("bad_request");
    expect(await errorCode(auth.register("alice", "Alice12345"))).toBe("bad_request");
    expect(await errorCode(auth.register("aliceinwonderland", "aliceinwonderland"))).toBe(
      "bad_request",
    );
    const { userId } = await auth.register("alice", "correct horse");
    expect(await errorCode(auth.changePassword(userId, "correct horse", "qwertyuiop"))).toBe(
      "bad_request",
    );
    expect(await errorCode(auth.changePassword(userId, "correct horse", "im-alice-now"))).toBe(
      "bad_request",
    );
    // Nothing changed: the old password still logs in.
    await auth.login({ username: "alice", password: "correct horse" });
    auth.close();
  });

  it("purges expired refresh tokens and codes on its own timer", async () => {
    let clock = Date.now();
    const refreshTokens = createMemoryRefreshTokenStore();
    const codes = createMemoryCodeStore();
    const purged: string[] = [];
    const spy = <T extends { purgeExpired(now: number): Promise<number> }>(
      store: T,
      name: string,
    ): T => {
      const original = store.purgeExpired.bind(store);
      store.purgeExpired = async (at: number) => {
        purged.push(name);
        return original(at);
      };
      return store;
    };
    const { auth } = setup({
      refreshTokens: spy(refreshTokens, "refresh"),
      codes: spy(codes, "codes"),
      purgeIntervalMs: 20,
      now: () => clock,
    });
    clock += 1;
    await new Promise((resolve) => setTimeout(resolve, 100));
    auth.close();
    expect(purged).toContain("refresh");
    expect(purged).toContain("codes");
    const after = purged.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(purged.length, "close() stops the timer").toBe(after);
  });

  it("registers, refuses a taken username, and validates input", async () => {
    const { auth } = setup();
    const { userId } = await auth.register("alice", "correct horse");
    expect(userId).toMatch(/^u_/);
    expect(await auth.getUser(userId)).toEqual({ userId, username: "alice" });
    expect(await errorCode(auth.register("alice", "another password"))).toBe("conflict");
    expect(await errorCode(auth.register("bob", "short"))).toBe("bad_request");
    expect(await errorCode(auth.register("", "long enough"))).toBe("bad_request");
  });

  it("logs in with a password and issues tokens the authenticator accepts", async () => {
    const { auth } = setup();
    const { userId } = await auth.register("alice", "correct horse");
    const tokens = await auth.login(
      { username: "alice", password: "correct horse" },
      { deviceId: "d1", deviceClass: "mobile" },
    );
    expect(tokens).toMatchObject({ userId, expiresIn: 900, refreshExpiresIn: 2_592_000 });
    const claims = decodeJwt(tokens.accessToken);
    expect(claims).toMatchObject({ sub: userId, iss: "https://chat.test", aud: "chat", ver: 0 });
    expect(claims.exp! - claims.iat!).toBe(900);
    const principal = await auth.authenticator.authenticate(tokens.accessToken);
    expect(principal).toMatchObject({ userId, deviceId: "d1", deviceClass: "mobile" });
    expect(principal.expiresAt).toBe(claims.exp! * 1000);

    expect(await errorCode(auth.login({ username: "alice", password: "wrong horse" }))).toBe(
      "unauthorized",
    );
    expect(await errorCode(auth.login({ username: "nobody", password: "correct horse" }))).toBe(
      "unauthorized",
    );
  });

  it("logs in with a password encrypted to the published key (JWE)", async () => {
    let clock = Date.now();
    const encryptionKeys = createEncryptionKeyRing({ graceMs: 60_000, now: () => clock });
    const { auth } = setup({ encryptionKeys, now: () => clock });
    await auth.register("alice", "pässwörd ✓ long");
    const jwk = await auth.publicJwk();
    expect(jwk).toMatchObject({ kty: "RSA", alg: "RSA-OAEP-256", use: "enc" });
    const tokens = await auth.login({
      username: "alice",
      passwordJwe: await encryptTo(jwk, "pässwörd ✓ long"),
    });
    await auth.authenticator.authenticate(tokens.accessToken);
    await auth.login({
      username: "alice",
      passwordJwe: await encryptTo(jwk, "pässwörd ✓ long", "A128GCM"),
    });
    const wrongPassword = auth.login({
      username: "alice",
      passwordJwe: await encryptTo(jwk, "nope"),
    });
    expect(await errorCode(wrongPassword)).toBe("unauthorized");

    // The key rotates; after the grace period a JWE for the old kid is refused, clearly.
    const stale = await encryptTo(jwk, "pässwörd ✓ long");
    await encryptionKeys.rotate();
    clock += 61_000;
    const error = await auth
      .login({ username: "alice", passwordJwe: stale })
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, "unauthorized")).toBe(true);
    expect((error as Error).message).toContain(`unknown key id "${jwk.kid}"`);
    const fresh = await auth.publicJwk();
    await auth.login({ username: "alice", passwordJwe: await encryptTo(fresh, "pässwörd ✓ long") });
  });

  it("rotates refresh tokens and revokes the family on reuse, the newest token included", async () => {
    const { auth, revocations } = setup({ refreshReuseIntervalMs: 0 });
    const { userId } = await auth.register("alice", "correct horse");
    const first = await auth.login(
      { username: "alice", password: "correct horse" },
      { deviceId: "d1" },
    );
    const second = await auth.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await auth.authenticator.authenticate(second.accessToken)).deviceId).toBe("d1");
    const third = await auth.refresh(second.refreshToken);

    // An attacker replays the first token: refused, and the whole family dies.
    expect(await errorCode(auth.refresh(first.refreshToken))).toBe("unauthorized");
    expect(await errorCode(auth.refresh(third.refreshToken))).toBe("unauthorized");
    // Access tokens issued before the reuse are refused too.
    expect(await errorCode(auth.authenticator.authenticate(third.accessToken))).toBe(
      "unauthorized",
    );
    expect(revocations).toEqual([{ userId, reason: "refresh_reuse" }]);
    expect(await errorCode(auth.refresh("garbage"))).toBe("unauthorized");
  });

  it("answers concurrent refreshes of one token with the same successor, and revokes a reuse after the interval", async () => {
    let clock = Date.now();
    const { auth, revocations } = setup({ now: () => clock });
    const { userId } = await auth.register("alice", "correct horse");
    const first = await auth.login(
      { username: "alice", password: "correct horse" },
      { deviceId: "d1" },
    );
    const results = await Promise.all(
      Array.from({ length: 5 }, () => auth.refresh(first.refreshToken)),
    );
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    for (const r of results) {
      expect((await auth.authenticator.authenticate(r.accessToken)).deviceId).toBe("d1");
    }
    expect(revocations).toEqual([]);
    // The successor works, and the chain goes on.
    clock += 5_000;
    const second = await auth.refresh(results[0]!.refreshToken);
    await auth.authenticator.authenticate(second.accessToken);

    // Past the default 10 s interval, the first token is a reuse: the family dies.
    clock += 10_001;
    expect(await errorCode(auth.refresh(first.refreshToken))).toBe("unauthorized");
    expect(await errorCode(auth.refresh(second.refreshToken))).toBe("unauthorized");
    expect(revocations).toEqual([{ userId, reason: "refresh_reuse" }]);
    auth.close();
  });

  it("keeps other devices working after a reuse on one device", async () => {
    const { auth } = setup({ refreshReuseIntervalMs: 0 });
    await auth.register("alice", "correct horse");
    const phone = await auth.login({ username: "alice", password: "correct horse" });
    const laptop = await auth.login({ username: "alice", password: "correct horse" });
    await auth.refresh(phone.refreshToken);
    await errorCode(auth.refresh(phone.refreshToken));
    expect(await errorCode(auth.authenticator.authenticate(laptop.accessToken))).toBe(
      "unauthorized",
    );
    const renewed = await auth.refresh(laptop.refreshToken);
    await auth.authenticator.authenticate(renewed.accessToken);
  });

  it("logs a device out, and a user out everywhere", async () => {
    const { auth, revocations } = setup();
    const { userId } = await auth.register("alice", "correct horse");
    const a = await auth.login({ username: "alice", password: "correct horse" });
    const b = await auth.login({ username: "alice", password: "correct horse" });
    await auth.logout({ refreshToken: a.refreshToken });
    expect(await errorCode(auth.refresh(a.refreshToken))).toBe("unauthorized");
    expect(await errorCode(auth.authenticator.authenticate(a.accessToken))).toBe("unauthorized");
    const b2 = await auth.refresh(b.refreshToken);
    await auth.authenticator.authenticate(b2.accessToken);
    await auth.logout({ refreshToken: "unknown" });

    await auth.logout({ userId });
    expect(await errorCode(auth.refresh(b2.refreshToken))).toBe("unauthorized");
    expect(await errorCode(auth.authenticator.authenticate(b2.accessToken))).toBe("unauthorized");
    expect(revocations.map((r) => r.reason)).toEqual(["logout", "logout_all"]);
  });

  it("revokes every token on a password change and returns fresh ones", async () => {
    const { auth, revocations } = setup();
    const { userId } = await auth.register("alice", "correct horse");
    const old = await auth.login({ username: "alice", password: "correct horse" });
    expect(await errorCode(auth.changePassword(userId, "wrong horse", "new password"))).toBe(
      "unauthorized",
    );
    const fresh = await auth.changePassword(userId, "correct horse", "new password");
    expect(await errorCode(auth.authenticator.authenticate(old.accessToken))).toBe("unauthorized");
    expect(await errorCode(auth.refresh(old.refreshToken))).toBe("unauthorized");
    await auth.authenticator.authenticate(fresh.accessToken);
    await auth.refresh(fresh.refreshToken);
    expect(await errorCode(auth.login({ username: "alice", password: "correct horse" }))).toBe(
      "unauthorized",
    );
    await auth.login({ username: "alice", password: "new password" });
    expect(revocations).toEqual([{ userId, reason: "password_change" }]);
  });

  it("sees another node's revocation once its version cache expires", async () => {
    let clock = Date.now();
    const a = setup({ now: () => clock, versionCacheTtlMs: 5_000 });
    const b = createAuthService({
      credentials: a.credentials,
      refreshTokens: a.refreshTokens,
      signingKey: { secret: SECRET },
      issuer: "https://chat.test",
      audience: "chat",
      passwordHasher: createPasswordHasher({ logN: 10 }),
      versionCacheTtlMs: 5_000,
      now: () => clock,
    });
    const { userId } = await a.auth.register("alice", "correct horse");
    const tokens = await a.auth.login({ username: "alice", password: "correct horse" });
    await b.authenticator.authenticate(tokens.accessToken);
    await a.auth.logout({ userId });
    expect(await errorCode(a.auth.authenticator.authenticate(tokens.accessToken))).toBe(
      "unauthorized",
    );
    clock += 6_000;
    expect(await errorCode(b.authenticator.authenticate(tokens.accessToken))).toBe("unauthorized");
  });

  it("backs off wrong passwords per (user, IP) exponentially; the user still logs in from another IP", async () => {
    const { auth } = setup({
      loginBackoff: { freeFailures: 2, baseDelayMs: 200, maxDelayMs: 10_000 },
    });
    await auth.register("alice", "correct horse");
    const from = { ip: "10.6.6.6" };
    const attempt = (password: string, context = from) =>
      auth.login({ username: "alice", password }, context).catch((e: unknown) => e);
    expect(hasErrorCode(await attempt("guess"), "unauthorized")).toBe(true);
    expect(hasErrorCode(await attempt("guess"), "unauthorized")).toBe(true);
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      // Right after a failure past the free ones, even the right password waits.
      const refused = await attempt("correct horse");
      expect(hasErrorCode(refused, "rate_limited")).toBe(true);
      const retryAfterMs = (refused as { details: { retryAfterMs: number } }).details.retryAfterMs;
      waits.push(retryAfterMs);
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 50));
      expect(hasErrorCode(await attempt("guess"), "unauthorized")).toBe(true);
    }
    expect(waits).toEqual([200, 400, 800]);
    // The same user from another address is not held back at all.
    const tokens = await auth.login(
      { username: "alice", password: "correct horse" },
      { ip: "10.0.0.1" },
    );
    expect(tokens.userId).toBeDefined();
  });

  it("does not count malformed passwordJwe: nobody can lock a user out at no cost", async () => {
    const { auth } = setup();
    await auth.register("alice", "correct horse");
    for (let i = 0; i < 12; i++) {
      expect(
        await errorCode(auth.login({ username: "alice", passwordJwe: "not.a.jwe.at.all" })),
      ).toBe("bad_request");
    }
    for (let i = 0; i < 10; i++) {
      await errorCode(
        auth.login({ username: "alice", passwordJwe: "x.y.z.w.v" }, { ip: "10.6.6.6" }),
      );
    }
    expect(
      (await auth.login({ username: "alice", password: "correct horse" })).userId,
    ).toBeDefined();
    expect(
      (await auth.login({ username: "alice", password: "correct horse" }, { ip: "10.0.0.1" }))
        .userId,
    ).toBeDefined();
  });

  it("an unknown-user login refused by a full hash pool does not break later ones", async () => {
    let refuse = true;
    const real = createPasswordHasher({ logN: 10 });
    const { auth } = setup({
      passwordHasher: {
        ...real,
        hash: (password, context) =>
          refuse
            ? Promise.reject(new ImError("unavailable", "the hash pool is full"))
            : real.hash(password, context),
      },
    });
    expect(await errorCode(auth.login({ username: "ghost", password: "guess" }))).toBe(
      "unavailable",
    );
    refuse = false;
    expect(await errorCode(auth.login({ username: "ghost", password: "guess" }))).toBe(
      "unauthorized",
    );
  });

  it("still limits login attempts per IP", async () => {
    const { auth } = setup({ loginLimitPerIp: { points: 5, durationMs: 60_000 } });
    for (let i = 0; i < 5; i++) {
      expect(
        await errorCode(
          auth.login({ username: `user${i}`, password: "guess" }, { ip: "10.1.1.1" }),
        ),
      ).toBe("unauthorized");
    }
    expect(
      await errorCode(auth.login({ username: "user9", password: "guess" }, { ip: "10.1.1.1" })),
    ).toBe("rate_limited");
  });

  it("limits username lookups per asking user and per IP", async () => {
    const { auth } = setup({
      lookupLimitPerUser: { points: 3, durationMs: 60_000 },
      lookupLimitPerIp: { points: 5, durationMs: 60_000 },
    });
    const { userId } = await auth.register("erin", "correct horse");
    for (let i = 0; i < 3; i++) {
      await auth.findUserByUsername(`guess${i}`, { userId: "u_mallory", ip: "10.2.2.2" });
    }
    expect(
      await errorCode(auth.findUserByUsername("erin", { userId: "u_mallory", ip: "10.2.2.2" })),
    ).toBe("rate_limited");
    // Other users from that address share what is left of the address's 5.
    for (const asker of ["u_bob", "u_carol"]) {
      expect(await auth.findUserByUsername("erin", { userId: asker, ip: "10.2.2.2" })).toEqual({
        userId,
        username: "erin",
      });
    }
    expect(
      await errorCode(auth.findUserByUsername("erin", { userId: "u_dave", ip: "10.2.2.2" })),
    ).toBe("rate_limited");
    // Without a context (the host's own lookups) nothing is limited.
    expect(await auth.findUserByUsername("erin")).toBeDefined();
  });

  it("takes a custom rate limiter factory", async () => {
    const names: string[] = [];
    const { auth } = setup({
      rateLimiter: (spec) => {
        names.push(`${spec.name}:${spec.points}/${spec.durationMs}`);
        return { consume: async () => ({ allowed: false, remaining: 0, retryAfterMs: 1234 }) };
      },
    });
    expect(names.sort()).toEqual(
      [
        "auth_code_ip:20/3600000",
        "auth_code_recipient:5/3600000",
        ...Array.from(
          { length: 11 },
          (_, level) => `auth_login_backoff_${level}:1/${Math.min(900_000, 1000 * 2 ** level)}`,
        ),
        "auth_login_failures:1000000/3600000",
        "auth_login_ip:10/300000",
        "auth_login_user:10/300000",
        "auth_lookup_ip:60/60000",
        "auth_lookup_user:30/60000",
        "auth_qr_create_ip:10/600000",
        "auth_qr_decide_user:30/60000",
        "auth_qr_poll:120/120000",
        "auth_qr_poll_fail_ip:30/600000",
        "auth_recovery_check_ip:20/900000",
        "auth_recovery_ip:10/900000",
        "auth_recovery_recipient:3/900000",
      ].sort(),
    );
    expect(await errorCode(auth.login({ username: "x", password: "y" }))).toBe("rate_limited");
    expect(await errorCode(auth.sendCode("x@example.com"))).toBe("rate_limited");
  });

  it("rehashes a password made at an older cost on login", async () => {
    const credentials = createMemoryCredentialStore();
    const oldHasher = createPasswordHasher({ logN: 9 });
    await credentials.create({
      userId: "u_old",
      username: "olga",
      passwordHash: await oldHasher.hash("old cost pw"),
    });
    const { auth } = setup({ credentials });
    await auth.login({ username: "olga", password: "old cost pw" });
    const deadline = Date.now() + 20_000;
    while (
      (await credentials.findById("u_old"))!.passwordHash.includes("ln=9") &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await credentials.findById("u_old"))!.passwordHash).toContain("ln=10");
    await auth.login({ username: "olga", password: "old cost pw" });
  });

  it("signs with an RSA private key and a kid", async () => {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const { auth } = setup({
      signingKey: { privateKey: await exportPKCS8(privateKey), alg: "RS256", kid: "k1" },
    });
    await auth.register("alice", "correct horse");
    const tokens = await auth.login({ username: "alice", password: "correct horse" });
    expect(decodeProtectedHeader(tokens.accessToken)).toMatchObject({ alg: "RS256", kid: "k1" });
    await auth.authenticator.authenticate(tokens.accessToken);
    // An HS256 token signed with the service's shared secret has no business here.
    const { auth: hmac } = setup();
    await hmac.register("alice", "correct horse");
    const hs = await hmac.login({ username: "alice", password: "correct horse" });
    expect(await errorCode(auth.authenticator.authenticate(hs.accessToken))).toBe("unauthorized");
  });

  it("issues tokens after a verification code (code login)", async () => {
    const sent: string[] = [];
    const { auth } = setup({ codeSender: { send: async (m) => void sent.push(m.code) } });
    const { userId } = await auth.register("+15550123", "correct horse");
    await auth.sendCode("+15550123", { ip: "10.0.0.1" });
    await auth.verifyCode("+15550123", sent[0]!);
    const tokens = await auth.issueTokens(userId, { deviceClass: "mobile" });
    expect((await auth.authenticator.authenticate(tokens.accessToken)).deviceClass).toBe("mobile");
    expect(await errorCode(auth.issueTokens("u_nobody"))).toBe("unauthorized");
  });

  it("reports a failing onRevoke to onError without failing the call", async () => {
    const errors: unknown[] = [];
    const { auth } = setup({
      onRevoke: () => {
        throw new Error("kick failed");
      },
      onError: (e) => void errors.push(e),
    });
    const { userId } = await auth.register("alice", "correct horse");
    await auth.logout({ userId });
    expect(errors).toHaveLength(1);
  });
});

describe("hashes a client causes count against its address", () => {
  it("register and changePassword pass the client IP to the hasher, as login does", async () => {
    const real = createPasswordHasher({ logN: 10 });
    const keys: Array<string | undefined> = [];
    const recording = {
      hash: (password: string, context?: { key?: string }) => {
        keys.push(context?.key);
        return real.hash(password, context);
      },
      verify: (password: string, hash: string, context?: { key?: string }) => {
        keys.push(context?.key);
        return real.verify(password, hash, context);
      },
      needsRehash: (hash: string) => real.needsRehash(hash),
    };
    const { auth } = setup({ passwordHasher: recording });
    const { userId } = await auth.register("hashkey", "correct horse", { ip: "10.1.1.1" });
    await auth.login({ username: "hashkey", password: "correct horse" }, { ip: "10.1.1.2" });
    await auth.changePassword(userId, "correct horse", "battery staple", { ip: "10.1.1.3" });
    expect(keys).toEqual(["10.1.1.1", "10.1.1.2", "10.1.1.3", "10.1.1.3"]);
  });
});
