import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuthStores, authStoreConformance } from "@lucky-im/auth/testing";
import { hasErrorCode } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAuthService,
  createPasswordHasher,
  createSqliteAuthStores,
  createSqliteAuthTables,
} from "../src/index.js";

describe("SQLite auth stores", () => {
  const dir = mkdtempSync(join(tmpdir(), "lucky-im-auth-"));
  const path = join(dir, "auth.sqlite");
  let db: BetterSqlite3.Database;
  let stores: AuthStores;

  beforeAll(() => {
    db = new BetterSqlite3(path);
    db.pragma("journal_mode = WAL");
    // Repeated migrations must be harmless.
    createSqliteAuthTables(db);
    createSqliteAuthTables(db);
    stores = createSqliteAuthStores(db);
  });

  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the tables", () => {
    const rows = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as { name: string }[];
    expect(rows.map((r) => r.name)).toEqual([
      "auth_codes",
      "auth_credentials",
      "auth_login_challenges",
      "auth_refresh_families",
      "auth_refresh_tokens",
    ]);
  });

  // Created in beforeAll above, which runs before the suite's own.
  authStoreConformance({ name: "sqlite", create: () => stores });

  it("runs the whole auth flow, and a refresh token survives reopening the file", async () => {
    const options = {
      signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
      issuer: "https://chat.test",
      audience: "chat",
      passwordHasher: createPasswordHasher({ logN: 10 }),
      // Reuse detection at once (the shared suites test the interval).
      refreshReuseIntervalMs: 0,
    };
    const auth = createAuthService({ ...stores, ...options });
    const username = uniqueName("dora");
    const { userId } = await auth.register(username, "correct horse");
    expect(
      hasErrorCode(await auth.register(username, "x".repeat(9)).catch((e) => e), "conflict"),
    ).toBe(true);
    const first = await auth.login({ username, password: "correct horse" }, { deviceClass: "web" });
    const second = await auth.refresh(first.refreshToken);
    expect(
      hasErrorCode(await auth.refresh(first.refreshToken).catch((e) => e), "unauthorized"),
    ).toBe(true);

    // A restart: a new connection to the same file keeps users and tokens.
    const again = await auth.login({ username, password: "correct horse" });
    const reopened = new BetterSqlite3(path);
    try {
      const after = createAuthService({ ...createSqliteAuthStores(reopened), ...options });
      const next = await after.refresh(again.refreshToken);
      expect((await after.authenticator.authenticate(next.accessToken)).userId).toBe(userId);
      // The family the reuse above revoked stays revoked.
      expect(
        hasErrorCode(await after.refresh(second.refreshToken).catch((e) => e), "unauthorized"),
      ).toBe(true);
    } finally {
      reopened.close();
    }
  });
});
