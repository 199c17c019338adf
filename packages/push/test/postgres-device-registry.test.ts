import { uniqueName } from "@lucky-im/core/testing";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import {
  createPostgresDeviceRegistry,
  createPostgresPushQueue,
  type DeviceRegistry,
  postgresPushMigrations,
} from "../src/index.js";
import { deviceRegistryConformance, pushQueueConformance } from "../src/testing/index.js";

const url = await serviceUrl("postgres");

describe.runIf(url)("PostgreSQL device registry", () => {
  const schema = uniqueName("push_test");
  let pool: pg.Pool;
  let db: Kysely<unknown>;
  let registry: DeviceRegistry;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 4 });
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const { error } = await new Migrator({
      db,
      ...postgresPushMigrations(schema),
    }).migrateToLatest();
    if (error) throw error;
    registry = createPostgresDeviceRegistry(pool, { schema });
  });

  afterAll(async () => {
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  deviceRegistryConformance({ name: "postgres", create: () => registry });

  pushQueueConformance({
    name: "postgres",
    create: async () => {
      await pool.query(`TRUNCATE "${schema}".push_jobs`);
      return createPostgresPushQueue(pool, { schema });
    },
  });

  it("applies every push migration, in order", async () => {
    const migrations = await new Migrator({
      db,
      ...postgresPushMigrations(schema),
    }).getMigrations();
    expect(migrations.map((m) => [m.name, m.executedAt !== undefined])).toEqual([
      ["0001_push_devices", true],
      ["0002_push_jobs", true],
    ]);
  });

  it("keeps tokens longer than an index entry allows", async () => {
    const token = "t".repeat(4096);
    await registry.register({ userId: "long", deviceId: "d", platform: "web", token });
    expect((await registry.listByUser("long"))[0]?.token).toBe(token);
    expect(await registry.dropToken("web", token)).toBe(1);
  });

  it("migrates down and up again", async () => {
    const migrator = new Migrator({ db, ...postgresPushMigrations(schema) });
    expect((await migrator.migrateDown()).error).toBeUndefined();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await registry.listByUser("anyone")).toEqual([]);
    expect(await createPostgresPushQueue(pool, { schema }).stats()).toEqual({
      pending: 0,
      leased: 0,
      dead: 0,
    });
  });
});
