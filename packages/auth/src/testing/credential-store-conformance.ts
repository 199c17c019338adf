import { hasErrorCode } from "@lucky-im/core";
import { expect, it } from "vitest";
import type { CredentialStore } from "../contracts/credential-store.js";
import { type AuthStoreSuiteOptions, runAuthStoreSuite, uid } from "./auth-store-suite.js";

/**
 * The `CredentialStore` tests; `store` returns the store under test (call it inside
 * tests). `authStoreConformance` runs them with the other auth stores'.
 */
export function credentialStoreTests(store: () => CredentialStore): void {
  it("creates, finds, and refuses a taken username or id with conflict", async () => {
    const credentials = store();
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
    const credentials = store();
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
    expect(await credentials.setPasswordHash(userId, "h4", { ifPasswordHash: "h3" })).toMatchObject(
      { passwordHash: "h4" },
    );
    expect(await credentials.incrementTokenVersion(userId)).toBe(2);
    expect(await credentials.getTokenVersion(userId)).toBe(2);
    expect(await credentials.getTokenVersion(uid("nobody"))).toBeUndefined();
    expect(await credentials.incrementTokenVersion(uid("nobody"))).toBeUndefined();
    expect(await credentials.setPasswordHash(uid("nobody"), "x")).toBeUndefined();
  });

  it("attaches a recipient to one user at most, finds by it, and detaches it", async () => {
    const credentials = store();
    const alice = uid("u");
    const bob = uid("u");
    await credentials.create({ userId: alice, username: uid("alice"), passwordHash: "h" });
    await credentials.create({ userId: bob, username: uid("bob"), passwordHash: "h" });
    const mail = `${uid("a")}@example.com`;
    expect(await credentials.findByRecipient(mail)).toBeUndefined();
    expect(await credentials.setRecipient(alice, mail)).toMatchObject({
      userId: alice,
      recipient: mail,
    });
    expect((await credentials.findByRecipient(mail))?.userId).toBe(alice);
    expect((await credentials.findById(alice))?.recipient).toBe(mail);
    const taken = await credentials.setRecipient(bob, mail).catch((e: unknown) => e);
    expect(hasErrorCode(taken, "conflict")).toBe(true);
    expect((await credentials.findById(bob))?.recipient).toBeUndefined();
    // Setting it again is fine; a new one replaces the old one, which is then free.
    await credentials.setRecipient(alice, mail);
    const other = `${uid("b")}@example.com`;
    await credentials.setRecipient(alice, other);
    expect(await credentials.findByRecipient(mail)).toBeUndefined();
    expect((await credentials.setRecipient(bob, mail))?.recipient).toBe(mail);
    const detached = await credentials.setRecipient(alice, null);
    expect(detached?.recipient).toBeUndefined();
    expect(await credentials.findByRecipient(other)).toBeUndefined();
    expect(await credentials.setRecipient(uid("nobody"), other)).toBeUndefined();
  });
}

/** The conformance suite of the `CredentialStore` contract, alone.  */
export function credentialStoreConformance(options: AuthStoreSuiteOptions<CredentialStore>): void {
  runAuthStoreSuite(`${options.name}: CredentialStore`, options, credentialStoreTests);
}
