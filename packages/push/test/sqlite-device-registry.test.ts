import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterAll, beforeAll, describe, expect } from "vitest";
import {
  createSqliteDeviceRegistry,
  type DeviceRegistry,
  sqlitePushMigrations,
} from "../src/index.js";
import { deviceRegistryConformance } from "../src/testing/index.js";

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
});
