import { isAbsolute } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

describe("choosing the store", () => {
  it("defaults to SQLite under ./data, and to PostgreSQL when its URL is set", () => {
    const sqlite = loadConfig({});
    expect(sqlite.store).toBe("sqlite");
    expect(isAbsolute(sqlite.sqlitePath)).toBe(true);
    expect(sqlite.sqlitePath.replaceAll("\\", "/").endsWith("data/lucky-im.sqlite")).toBe(true);
    expect(loadConfig({ LUCKY_IM_POSTGRES_URL: "postgres://db/x" }).store).toBe("postgres");
  });

  it("reads LUCKY_IM_STORE and LUCKY_IM_SQLITE_PATH", () => {
    expect(loadConfig({ LUCKY_IM_STORE: "memory" }).store).toBe("memory");
    const sqlite = loadConfig({ LUCKY_IM_STORE: "sqlite", LUCKY_IM_SQLITE_PATH: "/srv/chat.db" });
    expect([sqlite.store, sqlite.sqlitePath]).toEqual(["sqlite", "/srv/chat.db"]);
    expect(
      loadConfig({ LUCKY_IM_STORE: "postgres", LUCKY_IM_POSTGRES_URL: "postgres://db/x" }).store,
    ).toBe("postgres");
  });

  it("refuses an unknown store and one that contradicts LUCKY_IM_POSTGRES_URL", () => {
    expect(() => loadConfig({ LUCKY_IM_STORE: "mongo" })).toThrow(/LUCKY_IM_STORE/);
    expect(() => loadConfig({ LUCKY_IM_STORE: "postgres" })).toThrow(/LUCKY_IM_POSTGRES_URL/);
    expect(() =>
      loadConfig({ LUCKY_IM_STORE: "memory", LUCKY_IM_POSTGRES_URL: "postgres://db/x" }),
    ).toThrow(/contradicts/);
  });
});
