import { expect, it } from "vitest";
import type { CodeStore } from "../contracts/code-store.js";
import { type AuthStoreSuiteOptions, runAuthStoreSuite, T0, uid } from "./auth-store-suite.js";

/**
 * The `CodeStore` tests; `store` returns the store under test (call it inside
 * tests). `authStoreConformance` runs them with the other auth stores'.
 */
export function codeStoreTests(store: () => CodeStore): void {
  it("counts attempts on a live code and forgets expired ones", async () => {
    const codes = store();
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
    const codes = store();
    const recipient = uid("r");
    await codes.put({ recipient, purpose: "login", codeHash: "c1", expiresAt: T0 + 1000 });
    expect(await codes.consume(recipient, "login", "wrong")).toBe(false);
    const results = await Promise.all([1, 2, 3].map(() => codes.consume(recipient, "login", "c1")));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await codes.attempt(recipient, "login", T0)).toBeUndefined();
  });

  it("deletes and purges", async () => {
    const codes = store();
    const r1 = uid("r");
    const r2 = uid("r");
    await codes.put({ recipient: r1, purpose: "login", codeHash: "c", expiresAt: T0 + 10 });
    await codes.put({ recipient: r2, purpose: "login", codeHash: "c", expiresAt: T0 + 10_000 });
    await codes.delete(r2, "login");
    expect(await codes.attempt(r2, "login", T0)).toBeUndefined();
    expect(await codes.purgeExpired(T0 + 20)).toBeGreaterThanOrEqual(1);
    expect(await codes.attempt(r1, "login", T0)).toBeUndefined();
  });
}

/** The conformance suite of the `CodeStore` contract, alone.  */
export function codeStoreConformance(options: AuthStoreSuiteOptions<CodeStore>): void {
  runAuthStoreSuite(`${options.name}: CodeStore`, options, codeStoreTests);
}
