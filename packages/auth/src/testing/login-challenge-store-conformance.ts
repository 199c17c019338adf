import { hasErrorCode } from "@lucky-im/core";
import { expect, it } from "vitest";
import type { LoginChallenge, LoginChallengeStore } from "../contracts/login-challenge-store.js";
import { type AuthStoreSuiteOptions, runAuthStoreSuite, T0, uid } from "./auth-store-suite.js";

function challenge(overrides: Partial<LoginChallenge> = {}): Omit<LoginChallenge, "status"> {
  return {
    challengeId: uid("qr"),
    secretHash: "s1",
    description: "Firefox on Linux",
    createdAt: T0,
    expiresAt: T0 + 120_000,
    ...overrides,
  };
}

/**
 * The `LoginChallengeStore` tests; `store` returns the store under test (call
 * it inside tests). `authStoreConformance` runs them with the other auth stores'.
 */
export function loginChallengeStoreTests(store: () => LoginChallengeStore): void {
  it("creates a pending challenge, keeps optional fields, and refuses a taken id", async () => {
    const challenges = store();
    const full = challenge({ ip: "203.0.113.5", deviceId: "d1", deviceClass: "web" });
    await challenges.create(full);
    expect(await challenges.get(full.challengeId, T0)).toEqual({ ...full, status: "pending" });
    const bare = challenge();
    await challenges.create(bare);
    expect(await challenges.get(bare.challengeId, T0)).toEqual({ ...bare, status: "pending" });
    const taken = await challenges.create(full).catch((e: unknown) => e);
    expect(hasErrorCode(taken, "conflict")).toBe(true);
    expect(await challenges.get(uid("qr"), T0)).toBeUndefined();
    expect(await challenges.get(full.challengeId, full.expiresAt)).toBeUndefined();
  });

  it("decides a pending challenge once; approved ones are consumed once, by their secret", async () => {
    const challenges = store();
    const c = challenge();
    await challenges.create(c);
    const decisions = await Promise.all([
      challenges.decide(c.challengeId, "u1", "approved", T0 + 1),
      challenges.decide(c.challengeId, "u2", "declined", T0 + 1),
    ]);
    expect(decisions.filter(Boolean)).toHaveLength(1);
    const approved = await challenges.get(c.challengeId, T0 + 2);
    if (approved?.status !== "approved") {
      // The decline won: nothing to consume.
      expect(approved).toMatchObject({ status: "declined", userId: "u2" });
      expect(await challenges.consume(c.challengeId, "s1", T0 + 2)).toBeUndefined();
      return;
    }
    expect(approved.userId).toBe("u1");
    expect(await challenges.consume(c.challengeId, "wrong", T0 + 2)).toBeUndefined();
    const takes = await Promise.all(
      [1, 2, 3].map(() => challenges.consume(c.challengeId, "s1", T0 + 2)),
    );
    expect(takes.filter(Boolean)).toEqual([{ ...c, status: "consumed", userId: "u1" }]);
    expect((await challenges.get(c.challengeId, T0 + 3))?.status).toBe("consumed");
    expect(await challenges.decide(c.challengeId, "u1", "approved", T0 + 3)).toBeUndefined();
  });

  it("neither decides nor consumes an expired or unknown challenge, nor consumes a pending one", async () => {
    const challenges = store();
    const c = challenge({ expiresAt: T0 + 10 });
    await challenges.create(c);
    expect(await challenges.consume(c.challengeId, "s1", T0 + 1)).toBeUndefined();
    expect(await challenges.decide(c.challengeId, "u1", "approved", T0 + 10)).toBeUndefined();
    expect(await challenges.decide(uid("qr"), "u1", "approved", T0)).toBeUndefined();
    const late = challenge({ expiresAt: T0 + 10 });
    await challenges.create(late);
    await challenges.decide(late.challengeId, "u1", "approved", T0 + 1);
    expect(await challenges.consume(late.challengeId, "s1", T0 + 10)).toBeUndefined();
  });

  it("a declined challenge stays declined", async () => {
    const challenges = store();
    const c = challenge();
    await challenges.create(c);
    expect(await challenges.decide(c.challengeId, "u1", "declined", T0)).toMatchObject({
      status: "declined",
      userId: "u1",
    });
    expect(await challenges.decide(c.challengeId, "u1", "approved", T0)).toBeUndefined();
    expect(await challenges.consume(c.challengeId, "s1", T0)).toBeUndefined();
  });

  it("purges expired challenges", async () => {
    const challenges = store();
    const old = challenge({ expiresAt: T0 + 10 });
    const fresh = challenge({ expiresAt: T0 + 10_000 });
    await challenges.create(old);
    await challenges.create(fresh);
    expect(await challenges.purgeExpired(T0 + 20)).toBeGreaterThanOrEqual(1);
    expect(await challenges.get(fresh.challengeId, T0 + 20)).toMatchObject({ status: "pending" });
  });
}

/** The conformance suite of the `LoginChallengeStore` contract, alone. */
export function loginChallengeStoreConformance(
  options: AuthStoreSuiteOptions<LoginChallengeStore>,
): void {
  runAuthStoreSuite(`${options.name}: LoginChallengeStore`, options, loginChallengeStoreTests);
}
