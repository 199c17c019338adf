import { expect, it } from "vitest";
import type { RefreshTokenStore } from "../contracts/refresh-token-store.js";
import { type AuthStoreSuiteOptions, runAuthStoreSuite, T0, uid } from "./auth-store-suite.js";

/**
 * The `RefreshTokenStore` tests; `store` returns the store under test (call it inside
 * tests). `authStoreConformance` runs them with the other auth stores'.
 */
export function refreshTokenStoreTests(store: () => RefreshTokenStore): void {
  const token = (expiresAt = T0 + 60_000) => ({ tokenHash: uid("h"), expiresAt });

  it("rotates, detects reuse, and then refuses the newest token of the family", async () => {
    const refreshTokens = store();
    const family = { familyId: uid("rf"), userId: uid("u"), deviceId: "d1", deviceClass: "web" };
    const t1 = token();
    await refreshTokens.createFamily(family, t1, T0);
    const t2 = token();
    expect(await refreshTokens.rotate(t1.tokenHash, t2, T0 + 1)).toEqual({
      status: "rotated",
      family,
    });
    const t3 = token();
    expect(await refreshTokens.rotate(t1.tokenHash, t3, T0 + 2)).toEqual({
      status: "reused",
      family,
    });
    // The family is revoked: t2, the newest, is refused, and t3 was never added.
    expect(await refreshTokens.rotate(t2.tokenHash, token(), T0 + 3)).toEqual({
      status: "invalid",
    });
    expect(await refreshTokens.rotate(t3.tokenHash, token(), T0 + 3)).toEqual({
      status: "invalid",
    });
    expect(await refreshTokens.rotate(uid("unknown"), token(), T0)).toEqual({
      status: "invalid",
    });
  });

  it("keeps optional device fields absent and refuses an expired token", async () => {
    const refreshTokens = store();
    const family = { familyId: uid("rf"), userId: uid("u") };
    const t1 = token(T0 + 1000);
    await refreshTokens.createFamily(family, t1, T0);
    expect(await refreshTokens.rotate(t1.tokenHash, token(), T0 + 1000)).toEqual({
      status: "invalid",
    });
    const t2 = token(T0 + 1000);
    await refreshTokens.createFamily({ familyId: uid("rf"), userId: family.userId }, t2, T0);
    const rotated = await refreshTokens.rotate(t2.tokenHash, token(), T0 + 999);
    expect(rotated.status).toBe("rotated");
    expect(rotated.status === "rotated" && Object.keys(rotated.family).sort()).toEqual([
      "familyId",
      "userId",
    ]);
  });

  it("lets only one of concurrent rotations of a token succeed", async () => {
    const refreshTokens = store();
    const t1 = token();
    await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("u") }, t1, T0);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => refreshTokens.rotate(t1.tokenHash, token(), T0 + 1)),
    );
    expect(results.filter((r) => r.status === "rotated")).toHaveLength(1);
  });

  it("answers a rotated token with the same successor within the reuse interval, and as a reuse after it", async () => {
    const refreshTokens = store();
    const family = { familyId: uid("rf"), userId: uid("u") };
    const t1 = token();
    await refreshTokens.createFamily(family, t1, T0);
    const options = { reuseIntervalMs: 10_000, sealedSuccessor: "sealed-t2" };
    const t2 = token();
    // Five concurrent rotations: one rotates, the others replay its successor.
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        refreshTokens.rotate(t1.tokenHash, i === 0 ? t2 : token(), T0 + 1, {
          ...options,
          sealedSuccessor: i === 0 ? "sealed-t2" : `sealed-other-${i}`,
        }),
      ),
    );
    const rotated = results.filter((r) => r.status === "rotated");
    expect(rotated).toHaveLength(1);
    const kept = results.indexOf(rotated[0]!) === 0 ? "sealed-t2" : "sealed-other";
    for (const r of results.filter((r) => r.status !== "rotated")) {
      expect(r.status).toBe("replayed");
      expect(r.status === "replayed" && r.sealedSuccessor.startsWith(kept)).toBe(true);
      expect(r.status === "replayed" && r.family).toEqual(family);
    }
    const sealed = new Set(
      results.map((r) => (r.status === "replayed" ? r.sealedSuccessor : undefined)),
    );
    sealed.delete(undefined);
    expect(sealed.size).toBe(1);
    // Still within the interval: replayed again, nothing revoked.
    expect((await refreshTokens.rotate(t1.tokenHash, token(), T0 + 9_000, options)).status).toBe(
      "replayed",
    );
    // After the interval: a reuse, and the family is revoked.
    expect(await refreshTokens.rotate(t1.tokenHash, token(), T0 + 20_000, options)).toEqual({
      status: "reused",
      family,
    });
    expect((await refreshTokens.rotate(t1.tokenHash, token(), T0 + 20_001, options)).status).toBe(
      "invalid",
    );
  });

  it("refuses a replay within the reuse interval once the family is logged out", async () => {
    const refreshTokens = store();
    const family = { familyId: uid("rf"), userId: uid("u") };
    const t1 = token();
    await refreshTokens.createFamily(family, t1, T0);
    const options = { reuseIntervalMs: 10_000, sealedSuccessor: "sealed" };
    expect((await refreshTokens.rotate(t1.tokenHash, token(), T0 + 1, options)).status).toBe(
      "rotated",
    );
    expect(await refreshTokens.revokeByToken(t1.tokenHash, T0 + 2)).toEqual(family);
    expect(await refreshTokens.rotate(t1.tokenHash, token(), T0 + 3, options)).toEqual({
      status: "invalid",
    });
  });

  it("revokes by token only for the owner when a user is given", async () => {
    const refreshTokens = store();
    const family = { familyId: uid("rf"), userId: uid("u") };
    const t1 = token();
    await refreshTokens.createFamily(family, t1, T0);
    expect(await refreshTokens.revokeByToken(t1.tokenHash, T0, uid("mallory"))).toBeUndefined();
    expect((await refreshTokens.rotate(t1.tokenHash, token(), T0 + 1)).status).toBe("rotated");
    expect(await refreshTokens.revokeByToken(t1.tokenHash, T0 + 2, family.userId)).toEqual(family);
  });

  it("revokes by token and by user", async () => {
    const refreshTokens = store();
    const userId = uid("u");
    const a = token();
    const b = token();
    const c = token();
    const fa = { familyId: uid("rf"), userId };
    await refreshTokens.createFamily(fa, a, T0);
    await refreshTokens.createFamily({ familyId: uid("rf"), userId }, b, T0);
    await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("other") }, c, T0);
    expect(await refreshTokens.revokeByToken(a.tokenHash, T0)).toEqual(fa);
    expect(await refreshTokens.revokeByToken(uid("unknown"), T0)).toBeUndefined();
    expect((await refreshTokens.rotate(a.tokenHash, token(), T0 + 1)).status).toBe("invalid");
    expect((await refreshTokens.rotate(b.tokenHash, token(), T0 + 1)).status).toBe("rotated");
    await refreshTokens.revokeUser(userId, T0 + 2);
    const bNext = token();
    expect((await refreshTokens.rotate(b.tokenHash, bNext, T0 + 3)).status).toBe("invalid");
    expect((await refreshTokens.rotate(c.tokenHash, token(), T0 + 3)).status).toBe("rotated");
  });

  it("purges expired tokens", async () => {
    const refreshTokens = store();
    const old = token(T0 + 10);
    const live = token(T0 + 10_000_000);
    await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("u") }, old, T0);
    await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("u") }, live, T0);
    expect(await refreshTokens.purgeExpired(T0 + 20)).toBeGreaterThanOrEqual(1);
    expect(await refreshTokens.revokeByToken(old.tokenHash, T0 + 30)).toBeUndefined();
    expect((await refreshTokens.rotate(live.tokenHash, token(), T0 + 30)).status).toBe("rotated");
  });
}

/** The conformance suite of the `RefreshTokenStore` contract, alone.  */
export function refreshTokenStoreConformance(
  options: AuthStoreSuiteOptions<RefreshTokenStore>,
): void {
  runAuthStoreSuite(`${options.name}: RefreshTokenStore`, options, refreshTokenStoreTests);
}
