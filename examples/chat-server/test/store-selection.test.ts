import { isAbsolute } from "node:path";
import { describe, expect, it } from "vitest";
import { loadStoreSelection } from "../src/store-selection.js";

describe("loadStoreSelection", () => {
  it("defaults to SQLite under ./data, and to PostgreSQL when its URL is set", () => {
    const sqlite = loadStoreSelection({});
    expect(sqlite.store).toBe("sqlite");
    expect(isAbsolute(sqlite.sqlitePath)).toBe(true);
    expect(sqlite.sqlitePath.replaceAll("\\", "/").endsWith("data/lucky-im.sqlite")).toBe(true);
    expect(loadStoreSelection({ LUCKY_IM_POSTGRES_URL: "postgres://db/x" }).store).toBe("postgres");
  });

  it("reads LUCKY_IM_STORE and LUCKY_IM_SQLITE_PATH", () => {
    expect(loadStoreSelection({ LUCKY_IM_STORE: "memory" }).store).toBe("memory");
    expect(
      loadStoreSelection({ LUCKY_IM_STORE: "SQLite", LUCKY_IM_SQLITE_PATH: "/srv/chat.db" }),
    ).toEqual({ store: "sqlite", sqlitePath: "/srv/chat.db" });
    expect(
      loadStoreSelection({ LUCKY_IM_STORE: "postgres", LUCKY_IM_POSTGRES_URL: "postgres://db/x" })
        .store,
    ).toBe("postgres");
  });

  it("refuses an unknown store and one that contradicts LUCKY_IM_POSTGRES_URL", () => {
    expect(() => loadStoreSelection({ LUCKY_IM_STORE: "mongo" })).toThrow(/LUCKY_IM_STORE/);
    expect(() => loadStoreSelection({ LUCKY_IM_STORE: "postgres" })).toThrow(
      /LUCKY_IM_POSTGRES_URL/,
    );
    expect(() =>
      loadStoreSelection({ LUCKY_IM_STORE: "memory", LUCKY_IM_POSTGRES_URL: "postgres://db/x" }),
    ).toThrow(/contradicts/);
  });
});
