import { uniqueName } from "@lucky-im/core/testing";
import Database from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import {
  createMemoryWebhookQueue,
  createPostgresWebhookQueue,
  createSqliteWebhookQueue,
  postgresWebhookMigrations,
  sqliteWebhookMigrations,
} from "../src/index.js";
import { webhookQueueConformance } from "../src/testing/index.js";

webhookQueueConformance({ name: "memory", create: () => createMemoryWebhookQueue() });

describe("SQLite webhook queue", () => {
  webhookQueueConformance({
    name: "sqlite",
    async create() {
      const database = new Database(":memory:");
      const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
      const { error } = await new Migrator({ db, ...sqliteWebhookMigrations() }).migrateToLatest();
      if (error) throw error;
      return createSqliteWebhookQueue(database);
    },
  });
});

const url = await serviceUrl("postgres");

describe.runIf(url)("PostgreSQL webhook queue", () => {
  const schema = uniqueName("webhooks_test");
  let pool: pg.Pool;
  let db: Kysely<unknown>;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 6 });
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const { error } = await new Migrator({
      db,
      ...postgresWebhookMigrations(schema),
    }).migrateToLatest();
    if (error) throw error;
  });

  afterAll(async () => {
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  webhookQueueConformance({
    name: "postgres",
    async create() {
      await pool.query(`TRUNCATE "${schema}".webhook_deliveries`);
      return createPostgresWebhookQueue(pool, { schema });
    },
  });
});
