/**
 * One behaviour suite for the auth store contracts, run against the in-memory
 * stores and against PostgreSQL.
 */
import { randomUUID } from "node:crypto";
import { hasErrorCode } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import type { CodeStore, CredentialStore, RefreshTokenStore } from "../src/index.js";

export interface AuthStores {
  credentials: CredentialStore;
  refreshTokens: RefreshTokenStore;
  codes: CodeStore;
}

const uid = (p: string) => `${p}_${randomUUID()}`;
const T0 = Date.UTC(2030, 0, 1);

export function authStoreSuites(name: string, stores: () => AuthStores): void {
  describe(`${name}: CredentialStore`, () => {
    it("creates, finds, and refuses a taken username or id with conflict", async () => {
      const { credentials } = stores();
      const userId = uid("u");
      const username = uid("alice");
      const created = await credentials.create({ userId, username, passwordHash: "h1" });
      expect(created).toEqual({ userId, username, passwordHash: "h1", tokenVersion: 0 });
      expect(await credentials.findByUsername(username)).toEqual(created);
      expect(await credentials.findById(userId)).toEqual(created);
      expect(await credentials.findById(uid("nobody"))).toBeUndefined();
      expect(await credentials.findByUsername(uid("nobody"))).toBeUndefined();
      const taken = await credentials
        .create({ userId: uid("u"), username, passwordHash: "h2" })
        .catch((e: unknown) => e);
      expect(hasErrorCode(taken, "conflict")).toBe(true);
      const sameId = await credentials
        .create({ userId, username: uid("bob"), passwordHash: "h2" })
        .catch((e: unknown) => e);
      expect(hasErrorCode(sameId, "conflict")).toBe(true);
    });

    it("updates the hash, bumps the token version, and honours ifPasswordHash", async () => {
      const { credentials } = stores();
      const userId = uid("u");
      await credentials.create({ userId, username: uid("carol"), passwordHash: "h1" });
      expect(await credentials.getTokenVersion(userId)).toBe(0);
      const rehashed = await credentials.setPasswordHash(userId, "h2");
      expect(rehashed).toMatchObject({ passwordHash: "h2", tokenVersion: 0 });
      const changed = await credentials.setPasswordHash(userId, "h3", { revokeTokens: true });
      expect(changed).toMatchObject({ passwordHash: "h3", tokenVersion: 1 });
      expect(
        await credentials.setPasswordHash(userId, "stale", { ifPasswordHash: "h2" }),
      ).toBeUndefined();
      expect((await credentials.findById(userId))?.passwordHash).toBe("h3");
      expect(
        await credentials.setPasswordHash(userId, "h4", { ifPasswordHash: "h3" }),
      ).toMatchObject({ passwordHash: "h4" });
      expect(await credentials.incrementTokenVersion(userId)).toBe(2);
      expect(await credentials.getTokenVersion(userId)).toBe(2);
      expect(await credentials.getTokenVersion(uid("nobody"))).toBeUndefined();
      expect(await credentials.incrementTokenVersion(uid("nobody"))).toBeUndefined();
      expect(await credentials.setPasswordHash(uid("nobody"), "x")).toBeUndefined();
    });
  });

  describe(`${name}: RefreshTokenStore`, () => {
    const token = (expiresAt = T0 + 60_000) => ({ tokenHash: uid("h"), expiresAt });

    it("rotates, detects reuse, and then refuses the newest token of the family", async () => {
      const { refreshTokens } = stores();
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
      const { refreshTokens } = stores();
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
      const { refreshTokens } = stores();
      const t1 = token();
      await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("u") }, t1, T0);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => refreshTokens.rotate(t1.tokenHash, token(), T0 + 1)),
      );
      expect(results.filter((r) => r.status === "rotated")).toHaveLength(1);
    });

    it("answers a rotated token with the same successor within the reuse interval, and as a reuse after it", async () => {
      const { refreshTokens } = stores();
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
      const { refreshTokens } = stores();
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
      const { refreshTokens } = stores();
      const family = { familyId: uid("rf"), userId: uid("u") };
      const t1 = token();
      await refreshTokens.createFamily(family, t1, T0);
      expect(await refreshTokens.revokeByToken(t1.tokenHash, T0, uid("mallory"))).toBeUndefined();
      expect((await refreshTokens.rotate(t1.tokenHash, token(), T0 + 1)).status).toBe("rotated");
      expect(await refreshTokens.revokeByToken(t1.tokenHash, T0 + 2, family.userId)).toEqual(
        family,
      );
    });

    it("revokes by token and by user", async () => {
      const { refreshTokens } = stores();
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
      const { refreshTokens } = stores();
      const old = token(T0 + 10);
      const live = token(T0 + 10_000_000);
      await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("u") }, old, T0);
      await refreshTokens.createFamily({ familyId: uid("rf"), userId: uid("u") }, live, T0);
      expect(await refreshTokens.purgeExpired(T0 + 20)).toBeGreaterThanOrEqual(1);
      expect(await refreshTokens.revokeByToken(old.tokenHash, T0 + 30)).toBeUndefined();
      expect((await refreshTokens.rotate(live.tokenHash, token(), T0 + 30)).status).toBe("rotated");
    });
  });

  describe(`${name}: CodeStore`, () => {
    it("counts attempts on a live code and forgets expired ones", async () => {
      const { codes } = stores();
      const recipient = uid("r");
      await codes.put({ recipient, purpose: "login", codeHash: "c1", expiresAt: T0 + 1000 });
      expect(await codes.attempt(recipient, "login", T0)).toEqual({
        recipient,
        purpose: "login",
        codeHash: "c1",
        expiresAt: T0 + 1000,
        attempts: 1,
      });
      expect((await codes.attempt(recipient, "login", T0 + 1))?.attempts).toBe(2);
      expect(await codes.attempt(recipient, "register", T0)).toBeUndefined();
      expect(await codes.attempt(recipient, "login", T0 + 1000)).toBeUndefined();
      // A new code replaces the old one and resets the attempts.
      await codes.put({ recipient, purpose: "login", codeHash: "c2", expiresAt: T0 + 5000 });
      expect(await codes.attempt(recipient, "login", T0 + 1000)).toMatchObject({
        codeHash: "c2",
        attempts: 1,
      });
    });

    it("consumes a code once, by its hash", async () => {
      const { codes } = stores();
      const recipient = uid("r");
      await codes.put({ recipient, purpose: "login", codeHash: "c1", expiresAt: T0 + 1000 });
      expect(await codes.consume(recipient, "login", "wrong")).toBe(false);
      const results = await Promise.all(
        [1, 2, 3].map(() => codes.consume(recipient, "login", "c1")),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await codes.attempt(recipient, "login", T0)).toBeUndefined();
    });

    it("deletes and purges", async () => {
      const { codes } = stores();
      const r1 = uid("r");
      const r2 = uid("r");
      await codes.put({ recipient: r1, purpose: "login", codeHash: "c", expiresAt: T0 + 10 });
      await codes.put({ recipient: r2, purpose: "login", codeHash: "c", expiresAt: T0 + 10_000 });
      await codes.delete(r2, "login");
      expect(await codes.attempt(r2, "login", T0)).toBeUndefined();
      expect(await codes.purgeExpired(T0 + 20)).toBeGreaterThanOrEqual(1);
      expect(await codes.attempt(r1, "login", T0)).toBeUndefined();
    });
  });
}
