import { type AuthStores, authStoreConformance } from "@lucky-im/auth/testing";
import { hasErrorCode } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import {
  createAuthService,
  createAuthTables,
  createPasswordHasher,
  createPostgresAuthStores,
} from "../src/index.js";

const url = await serviceUrl("postgres");

describe.runIf(url)("PostgreSQL auth stores", () => {
  const schema = uniqueName("auth_test");
  let pool: pg.Pool;
  let stores: AuthStores;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 4 });
    // Concurrent and repeated migrations must both be harmless.
    await Promise.all([createAuthTables(pool, schema), createAuthTables(pool, schema)]);
    await createAuthTables(pool, schema);
    stores = createPostgresAuthStores(pool, { schema });
  });

  afterAll(async () => {
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("creates the tables in the given schema", async () => {
    const { rows } = await pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [schema],
    );
    expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual([
      "auth_codes",
      "auth_credentials",
      "auth_login_challenges",
      "auth_refresh_families",
      "auth_refresh_tokens",
    ]);
  });

  // Created in beforeAll above, which runs before the suite's own.
  authStoreConformance({ name: "postgres", create: () => stores });

  it("runs the whole auth flow over the Postgres stores", async () => {
    const revoked: string[] = [];
    const auth = createAuthService({
      ...stores,
      signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
      issuer: "https://chat.test",
      audience: "chat",
      passwordHasher: createPasswordHasher({ logN: 10 }),
      // Reuse detection at once (the interval has its own test below).
      refreshReuseIntervalMs: 0,
      onRevoke: ({ userId }) => void revoked.push(userId),
    });
    const username = uniqueName("dora");
    const { userId } = await auth.register(username, "correct horse");
    expect(
      hasErrorCode(await auth.register(username, "x".repeat(9)).catch((e) => e), "conflict"),
    ).toBe(true);
    const first = await auth.login({ username, password: "correct horse" }, { deviceClass: "web" });
    expect((await auth.authenticator.authenticate(first.accessToken)).userId).toBe(userId);
    const second = await auth.refresh(first.refreshToken);
    const reuse = await auth.refresh(first.refreshToken).catch((e: unknown) => e);
    expect(hasErrorCode(reuse, "unauthorized")).toBe(true);
    expect(
      hasErrorCode(await auth.refresh(second.refreshToken).catch((e) => e), "unauthorized"),
    ).toBe(true);
    expect(revoked).toEqual([userId]);
    const refused = await auth.authenticator.authenticate(second.accessToken).catch((e) => e);
    expect(hasErrorCode(refused, "unauthorized")).toBe(true);
    const code = await pool.query(
      `SELECT count(*)::int AS n FROM "${schema}".auth_refresh_families WHERE user_id = $1 AND revoked_at IS NOT NULL`,
      [userId],
    );
    expect(code.rows[0].n).toBe(1);
  });

  it("gives five concurrent refreshes of one token the same working successor", async () => {
    const auth = createAuthService({
      ...stores,
      signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
      issuer: "https://chat.test",
      audience: "chat",
      passwordHasher: createPasswordHasher({ logN: 10 }),
      onRevoke: () => {},
    });
    const username = uniqueName("erin");
    await auth.register(username, "correct horse");
    const first = await auth.login({ username, password: "correct horse" });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => auth.refresh(first.refreshToken)),
    );
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    const next = await auth.refresh(results[0]!.refreshToken);
    await auth.authenticator.authenticate(next.accessToken);
    auth.close();
  });
});
