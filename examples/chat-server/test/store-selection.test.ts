import { isAbsolute } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { startTestServer } from "./helpers.js";

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

  it("bounds the memory store with LUCKY_IM_MEMORY_MAX_MESSAGES and LUCKY_IM_MEMORY_MAX_AGE_MS", async () => {
    const config = loadConfig({
      LUCKY_IM_STORE: "memory",
      LUCKY_IM_MEMORY_MAX_MESSAGES: "2",
      LUCKY_IM_MEMORY_MAX_AGE_MS: "3600000",
    });
    expect([config.memoryMaxMessages, config.memoryMaxAgeMs]).toEqual([2, 3_600_000]);
    expect(() => loadConfig({ LUCKY_IM_MEMORY_MAX_MESSAGES: "0" })).toThrow(
      /LUCKY_IM_MEMORY_MAX_MESSAGES/,
    );
    const { server, stop } = await startTestServer({ memoryMaxMessages: 2 });
    try {
      for (let i = 0; i < 4; i++) {
        await server.im.send({
          from: "u1",
          to: "u2",
          cid: `c${i}`,
          body: { type: "text", text: "x" },
        });
      }
      const storage = server.im.storage;
      let cursor: Awaited<ReturnType<typeof storage.cursors.cursors>>[number] | undefined;
      for (let i = 0; i < 200 && cursor?.oldestSeq !== 3; i++) {
        // The engine marks outbox entries sent in batches; until then the messages stay.
        await new Promise((resolve) => setTimeout(resolve, 10));
        [cursor] = await storage.cursors.cursors("u2", ["d:u1:u2"]);
      }
      expect(cursor).toMatchObject({ lastSeq: 4, oldestSeq: 3 });
    } finally {
      await stop();
    }
  });
});
