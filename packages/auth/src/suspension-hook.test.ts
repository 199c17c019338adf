import { isImError } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { createAuthService } from "./auth-service.js";
import { createMemoryCredentialStore } from "./memory/memory-credential-store.js";
import { createMemoryRefreshTokenStore } from "./memory/memory-refresh-token-store.js";
import { createPasswordHasher } from "./password-hasher.js";

/**
 * `isSuspended`: the one seam every token issue and refresh goes through, so that a
 * suspended user gets no token by any path, and a login racing a suspension keeps none.
 */

const PASSWORD = "correct horse battery";

function setup() {
  const suspended = new Set<string>();
  const refreshTokens = createMemoryRefreshTokenStore();
  const auth = createAuthService({
    credentials: createMemoryCredentialStore(),
    refreshTokens,
    signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
    issuer: "https://chat.test",
    audience: "chat",
    passwordHasher: createPasswordHasher({ logN: 10 }),
    commonPasswords: false,
    purgeIntervalMs: 0,
    isSuspended: (userId) => suspended.has(userId),
  });
  return { auth, suspended, refreshTokens };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImError(error), "expected a refusal").toBe(true);
  return (error as { code: string }).code;
}

describe("AuthServiceOptions.isSuspended", () => {
  it("refuses login and issueTokens with forbidden while suspended, and allows them again after", async () => {
    const { auth, suspended } = setup();
    const { userId } = await auth.register("ann", PASSWORD);
    suspended.add(userId);
    expect(await codeOf(auth.login({ username: "ann", password: PASSWORD }))).toBe("forbidden");
    expect(await codeOf(auth.issueTokens(userId))).toBe("forbidden");
    // A wrong password still answers unauthorized: the suspension is told only to the owner.
    expect(await codeOf(auth.login({ username: "ann", password: "wrong password" }))).toBe(
      "unauthorized",
    );
    suspended.delete(userId);
    expect((await auth.login({ username: "ann", password: PASSWORD })).userId).toBe(userId);
  });

  it("refuses a refresh and revokes its family: lifting the suspension does not revive it", async () => {
    const { auth, suspended } = setup();
    const { userId } = await auth.register("bob", PASSWORD);
    const tokens = await auth.login({ username: "bob", password: PASSWORD });
    suspended.add(userId);
    expect(await codeOf(auth.refresh(tokens.refreshToken))).toBe("forbidden");
    suspended.delete(userId);
    expect(await codeOf(auth.refresh(tokens.refreshToken))).toBe("unauthorized");
  });

  it("a login racing a suspension keeps no refresh token: checked again once the family is stored", async () => {
    const { auth, suspended, refreshTokens } = setup();
    const { userId } = await auth.register("cat", PASSWORD);
    // The suspension lands while the login stores its refresh family.
    const createFamily = refreshTokens.createFamily.bind(refreshTokens);
    let stored: string | undefined;
    refreshTokens.createFamily = async (family, record, now) => {
      await createFamily(family, record, now);
      stored = record.tokenHash;
      suspended.add(family.userId);
    };
    expect(await codeOf(auth.login({ username: "cat", password: PASSWORD }))).toBe("forbidden");
    expect(stored).toBeDefined();
    // The family stored by the refused login is revoked.
    const next = { tokenHash: "next", expiresAt: Date.now() + 60_000 };
    expect(await refreshTokens.rotate(stored!, next, Date.now())).toEqual({ status: "invalid" });
    expect(suspended.has(userId)).toBe(true);
  });

  it("a failed suspension lookup fails the call: no token when the answer is unknown", async () => {
    const refreshTokens = createMemoryRefreshTokenStore();
    const auth = createAuthService({
      credentials: createMemoryCredentialStore(),
      refreshTokens,
      signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
      issuer: "https://chat.test",
      audience: "chat",
      passwordHasher: createPasswordHasher({ logN: 10 }),
      commonPasswords: false,
      purgeIntervalMs: 0,
      isSuspended: async () => {
        throw new Error("moderation store down");
      },
    });
    await auth.register("dee", PASSWORD);
    await expect(auth.login({ username: "dee", password: PASSWORD })).rejects.toThrow(
      /moderation store down/,
    );
  });
});
