import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAuthTables, createSqliteAuthTables } from "@lucky-im/auth";
import { uniqueName } from "@lucky-im/core/testing";
import {
  migrateToLatest as migratePostgresStore,
  postgresStoreMigrations,
} from "@lucky-im/store-postgres";
import {
  migrateToLatest as migrateSqliteStore,
  sqliteStoreMigrations,
} from "@lucky-im/store-sqlite";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { schemaMigrations } from "../src/migrations/schema-migrations.js";
import { api } from "./helpers.js";
import { ensureBuilt, PACKAGE_DIR, ServerProcess } from "./server-process.js";

const run = promisify(execFile);
const postgresUrl = await serviceUrl("postgres");

const PUSH_TABLES = ["push_devices", "push_jobs"];
const WEBHOOK_TABLES = ["webhook_deliveries"];
const AUTH_TABLES = [
  "auth_codes",
  "auth_credentials",
  "auth_login_challenges",
  "auth_refresh_families",
  "auth_refresh_tokens",
];

/** Runs `lucky-im migrate <command>` as a child process with exactly the server's variables. */
async function cli(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(PACKAGE_DIR, "dist/cli.js"), "migrate", command],
      { env: { PATH: process.env.PATH ?? "", ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("lucky-im migrate on SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "lucky-im-migrate-"));
  let n = 0;
  const freshPath = () => join(dir, `db-${++n}.sqlite`);
  const tables = (path: string): string[] => {
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      return (
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%migration%' ORDER BY name",
          )
          .all() as { name: string }[]
      ).map((r) => r.name);
    } finally {
      db.close();
    }
  };

  // The store's own tables and migrations, whatever the store package ships today.
  let STORE_TABLES: string[] = [];
  let storeSteps: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    const path = freshPath();
    await migrateSqliteStore({ path });
    STORE_TABLES = tables(path);
    storeSteps = Object.keys(await sqliteStoreMigrations().provider.getMigrations()).map(
      (name) => `store/${name}`,
    );
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("up creates every table, status lists them applied, down reverts the last", async () => {
    const database = new BetterSqlite3(freshPath());
    try {
      const migrations = schemaMigrations({ kind: "sqlite", database });
      expect((await migrations.status()).every((m) => m.executedAt === undefined)).toBe(true);
      const steps = await migrations.up();
      expect(steps.map((s) => `${s.owner}/${s.name}`)).toEqual([
        ...storeSteps,
        "auth/0001_auth_tables",
        "auth/0002_account_recovery",
        "push/0001_push_devices",
        "push/0002_push_jobs",
        "webhooks/0001_webhook_deliveries",
      ]);
      expect(await migrations.up()).toEqual([]);
      expect((await migrations.status()).every((m) => m.executedAt instanceof Date)).toBe(true);

      expect(await migrations.down()).toEqual({
        owner: "webhooks",
        name: "0001_webhook_deliveries",
      });
      expect(await migrations.down()).toEqual({ owner: "push", name: "0002_push_jobs" });
      expect(await migrations.down()).toEqual({ owner: "push", name: "0001_push_devices" });
      expect(await migrations.down()).toEqual({ owner: "auth", name: "0002_account_recovery" });
      expect(await migrations.down()).toEqual({ owner: "auth", name: "0001_auth_tables" });
      const status = await migrations.status();
      expect(status.filter((m) => m.executedAt === undefined).map((m) => m.name)).toEqual([
        "0001_auth_tables",
        "0002_account_recovery",
        "0001_push_devices",
        "0002_push_jobs",
        "0001_webhook_deliveries",
      ]);
      expect(await migrations.down()).toEqual({
        owner: "store",
        name: storeSteps.at(-1)?.slice("store/".length),
      });
    } finally {
      database.close();
    }
  });

  it("migrates a file the old code made (IF NOT EXISTS auth tables, no auth bookkeeping) and keeps its rows", async () => {
    const path = freshPath();
    await migrateSqliteStore({ path });
    const old = new BetterSqlite3(path);
    createSqliteAuthTables(old);
    old
      .prepare(
        "INSERT INTO auth_credentials (user_id, username, password_hash, created_at, updated_at) VALUES ('u1', 'alice', 'h', 0, 0)",
      )
      .run();
    old.close();

    const { code, stdout } = await cli("up", { LUCKY_IM_SQLITE_PATH: path });
    expect(code).toBe(0);
    expect(stdout).toContain("applied auth/0001_auth_tables");
    expect(stdout).not.toContain("store/");
    expect(tables(path)).toEqual(
      [...AUTH_TABLES, ...PUSH_TABLES, ...WEBHOOK_TABLES, ...STORE_TABLES].sort(),
    );
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.prepare("SELECT username FROM auth_credentials").all()).toEqual([
      { username: "alice" },
    ]);
    db.close();
  });

  it("adds successor_sealed to a refresh-token table of the first SQLite release", async () => {
    const path = freshPath();
    const old = new BetterSqlite3(path);
    old.exec(
      "CREATE TABLE auth_refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER)",
    );
    old.close();
    expect((await cli("up", { LUCKY_IM_SQLITE_PATH: path })).code).toBe(0);
    const db = new BetterSqlite3(path, { readonly: true });
    const columns = db.prepare("SELECT name FROM pragma_table_info('auth_refresh_tokens')").all();
    db.close();
    expect(columns).toContainEqual({ name: "successor_sealed" });
  });

  it("runs as a child process with the server's variables: up, status, down", async () => {
    const path = freshPath();
    const env = { LUCKY_IM_STORE: "sqlite", LUCKY_IM_SQLITE_PATH: path };
    const pending = await cli("status", env);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toMatch(/auth\s+0001_auth_tables\s+pending/);

    const up = await cli("up", env);
    expect(up.code).toBe(0);
    expect(tables(path)).toEqual(
      [...AUTH_TABLES, ...PUSH_TABLES, ...WEBHOOK_TABLES, ...STORE_TABLES].sort(),
    );
    const applied = await cli("status", env);
    expect(applied.stdout).toMatch(/store\s+0001_initial\s+applied \d{4}-/);
    expect(applied.stdout).not.toContain("pending");

    const down = await cli("down", env);
    expect(down.stdout).toContain("reverted webhooks/0001_webhook_deliveries");
    expect(tables(path)).toEqual([...AUTH_TABLES, ...PUSH_TABLES, ...STORE_TABLES].sort());
  });

  it("the server migrates at start, and leaves it to the deploy with LUCKY_IM_MIGRATE=false", async () => {
    const path = freshPath();
    const env = {
      LUCKY_IM_SQLITE_PATH: path,
      LUCKY_IM_FILES_DIR: join(dir, `files-${n}`),
      LUCKY_IM_PASSWORD_HASH_LOG_N: "12",
      LUCKY_IM_JWT_SECRET: "migrate cli test secret, at least 32 bytes",
    };
    expect((await cli("up", env)).code).toBe(0);
    expect((await cli("down", env)).stdout).toContain("reverted webhooks/0001_webhook_deliveries");
    expect((await cli("down", env)).stdout).toContain("reverted push/0002_push_jobs");
    expect((await cli("down", env)).stdout).toContain("reverted push/0001_push_devices");
    expect((await cli("down", env)).stdout).toContain("reverted auth/0002_account_recovery");
    expect((await cli("down", env)).stdout).toContain("reverted auth/0001_auth_tables");
    const register = async (server: ServerProcess, username: string) =>
      (
        await api(server.url, "POST", "/auth/register", {
          body: { username, password: "correct horse battery" },
        })
      ).status;

    // Not migrated at start: the auth tables the deploy did not create are missing.
    const unmigrated = await ServerProcess.start({ ...env, LUCKY_IM_MIGRATE: "false" });
    try {
      expect(await register(unmigrated, "alice_off")).toBeGreaterThanOrEqual(500);
    } finally {
      unmigrated.kill();
    }
    expect(tables(path)).toEqual(STORE_TABLES);

    // The default: the start applies what is pending.
    const migrating = await ServerProcess.start(env);
    try {
      expect(await register(migrating, "alice_on")).toBe(201);
    } finally {
      migrating.kill();
    }
    expect((await cli("status", env)).stdout).not.toContain("pending");
  });

  it("refuses a bad command and the memory store with a clear message", async () => {
    const bad = await cli("sideways", { LUCKY_IM_SQLITE_PATH: freshPath() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Usage: lucky-im migrate <up|down|status>");
    const memory = await cli("up", { LUCKY_IM_STORE: "memory" });
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain("LUCKY_IM_STORE=memory keeps no tables");
  });
});

describe.runIf(postgresUrl)("lucky-im migrate on PostgreSQL", () => {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 4 });
  const schemas: string[] = [];
  const freshSchema = () => {
    const schema = uniqueName("migrate_cli");
    schemas.push(schema);
    return schema;
  };
  const tables = async (schema: string): Promise<string[]> => {
    const { rows } = await pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT LIKE '%migration%' ORDER BY table_name",
      [schema],
    );
    return rows.map((r: { table_name: string }) => r.table_name);
  };
  let STORE_TABLES: string[] = [];
  let ALL: string[] = [];
  let storeSteps: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    const schema = freshSchema();
    await migratePostgresStore({ pool, schema });
    STORE_TABLES = await tables(schema);
    ALL = [
      ...AUTH_TABLES,
      ...PUSH_TABLES,
      ...WEBHOOK_TABLES,
      "example_login_keys",
      ...STORE_TABLES,
    ].sort();
    storeSteps = Object.keys(await postgresStoreMigrations(schema).provider.getMigrations()).map(
      (name) => `store/${name}`,
    );
  }, 300_000);
  afterAll(async () => {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("up creates every table, status lists them applied, down reverts the last", async () => {
    const schema = freshSchema();
    const migrations = schemaMigrations({ kind: "postgres", pool, schema });
    expect((await migrations.status()).map((m) => `${m.owner}/${m.name}`)).toEqual([
      ...storeSteps,
      "auth/0001_auth_tables",
      "auth/0002_account_recovery",
      "push/0001_push_devices",
      "push/0002_push_jobs",
      "webhooks/0001_webhook_deliveries",
      "server/0001_login_keys",
    ]);
    // Nodes starting together: both succeed, each migration runs once.
    const [a, b] = await Promise.all([migrations.up(), migrations.up()]);
    expect(a.length + b.length).toBe(storeSteps.length + 6);
    expect(await tables(schema)).toEqual(ALL);
    expect((await migrations.status()).every((m) => m.executedAt instanceof Date)).toBe(true);

    expect(await migrations.down()).toEqual({ owner: "server", name: "0001_login_keys" });
    expect(await migrations.down()).toEqual({
      owner: "webhooks",
      name: "0001_webhook_deliveries",
    });
    expect(await migrations.down()).toEqual({ owner: "push", name: "0002_push_jobs" });
    expect(await migrations.down()).toEqual({ owner: "push", name: "0001_push_devices" });
    expect(await migrations.down()).toEqual({ owner: "auth", name: "0002_account_recovery" });
    expect(await migrations.down()).toEqual({ owner: "auth", name: "0001_auth_tables" });
    expect(await tables(schema)).toEqual(STORE_TABLES);
    const pending = (await migrations.status()).filter((m) => m.executedAt === undefined);
    expect(pending.map((m) => m.owner)).toEqual([
      "auth",
      "auth",
      "push",
      "push",
      "webhooks",
      "server",
    ]);
  });

  it("migrates a schema the old code made (createAuthTables, the server's own login-key table) and keeps its rows", async () => {
    const schema = freshSchema();
    await migratePostgresStore({ pool, schema });
    await createAuthTables(pool, schema);
    await pool.query(
      `CREATE TABLE "${schema}".example_login_keys (id text PRIMARY KEY, sealed text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    await pool.query(
      `INSERT INTO "${schema}".auth_credentials (user_id, username, password_hash) VALUES ('u1', 'alice', 'h')`,
    );
    await pool.query(
      `INSERT INTO "${schema}".example_login_keys (id, sealed) VALUES ('current', 'v1.x')`,
    );

    const env = { LUCKY_IM_POSTGRES_URL: postgresUrl as string, LUCKY_IM_SCHEMA: schema };
    const up = await cli("up", env);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(
      "applied auth/0001_auth_tables, auth/0002_account_recovery, push/0001_push_devices, push/0002_push_jobs, webhooks/0001_webhook_deliveries, server/0001_login_keys",
    );
    expect(up.stdout).not.toContain("store/");
    expect(await tables(schema)).toEqual(ALL);
    const { rows } = await pool.query(`SELECT username FROM "${schema}".auth_credentials`);
    expect(rows).toEqual([{ username: "alice" }]);
    const keys = await pool.query(`SELECT sealed FROM "${schema}".example_login_keys`);
    expect(keys.rows).toEqual([{ sealed: "v1.x" }]);
  });

  it("runs as a child process with the server's variables: up, status, down", async () => {
    const schema = freshSchema();
    const env = {
      LUCKY_IM_STORE: "postgres",
      LUCKY_IM_POSTGRES_URL: postgresUrl as string,
      LUCKY_IM_SCHEMA: schema,
    };
    const pending = await cli("status", env);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toContain(`PostgreSQL schema "${schema}"`);
    expect(pending.stdout).toMatch(/server\s+0001_login_keys\s+pending/);

    expect((await cli("up", env)).code).toBe(0);
    expect(await tables(schema)).toEqual(ALL);
    const applied = await cli("status", env);
    expect(applied.stdout).toMatch(/auth\s+0001_auth_tables\s+applied \d{4}-/);
    expect(applied.stdout).not.toContain("pending");

    const down = await cli("down", env);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("reverted server/0001_login_keys");
    expect(await tables(schema)).not.toContain("example_login_keys");
  });
});
