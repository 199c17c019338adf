import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSqliteDeviceRegistry,
  createSqlitePushQueue,
  type DeviceRegistry,
  sqlitePushMigrations,
} from "../src/index.js";
import { deviceRegistryConformance, pushQueueConformance } from "../src/testing/index.js";

describe("SQLite device registry", () => {
  const database = new BetterSqlite3(":memory:");
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  let registry: DeviceRegistry;

  beforeAll(async () => {
    const migrator = new Migrator({ db, ...sqlitePushMigrations() });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    // Repeated migrations are harmless.
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    registry = createSqliteDeviceRegistry(database);
  });

  afterAll(() => db.destroy());

  deviceRegistryConformance({ name: "sqlite", create: () => registry });

  pushQueueConformance({
    name: "sqlite",
    create: () => {
      database.prepare("DELETE FROM push_jobs").run();
      return createSqlitePushQueue(database);
    },
  });

  it("applies every push migration, in order", async () => {
    const migrations = await new Migrator({ db, ...sqlitePushMigrations() }).getMigrations();
    expect(migrations.map((m) => [m.name, m.executedAt !== undefined])).toEqual([
      ["0001_push_devices", true],
      ["0002_push_jobs", true],
    ]);
  });
});
