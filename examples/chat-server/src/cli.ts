#!/usr/bin/env node
/**
 * `lucky-im migrate up|down|status`: the versioned migrations of every table the chat server
 * uses (store, auth, login key), on the database the server's own variables name
 * (`LUCKY_IM_STORE`, `LUCKY_IM_POSTGRES_URL`, `LUCKY_IM_SCHEMA`, `LUCKY_IM_SQLITE_PATH`).
 * It ships with the server, which depends on every adapter, so no adapter imports another.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { type ChatServerConfig, ConfigError, loadConfig } from "./config.js";
import {
  type MigrationTarget,
  type SchemaMigrations,
  schemaMigrations,
} from "./migrations/schema-migrations.js";

const USAGE = `Usage: lucky-im migrate <up|down|status>

  up      apply every pending migration (store, then auth, then the server's own)
  down    revert the last applied migration
  status  list every migration, applied (with its time) or pending

The database is the chat server's: LUCKY_IM_STORE, LUCKY_IM_POSTGRES_URL,
LUCKY_IM_SCHEMA, LUCKY_IM_SQLITE_PATH (see examples/chat-server/README.md).
The server migrates on start unless LUCKY_IM_MIGRATE=false.`;

const COMMANDS = ["up", "down", "status"] as const;
type Command = (typeof COMMANDS)[number];

/** How long to wait for the server's write lock on the SQLite file, in ms. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** Opens the server's database; `close` releases it. */
function openTarget(config: ChatServerConfig): {
  target: MigrationTarget;
  where: string;
  close(): Promise<void>;
} {
  if (config.store === "postgres" && config.postgresUrl) {
    const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 1 });
    return {
      target: { kind: "postgres", pool, schema: config.schema },
      where: `PostgreSQL schema "${config.schema}"`,
      close: () => pool.end(),
    };
  }
  mkdirSync(dirname(config.sqlitePath), { recursive: true });
  const database = new BetterSqlite3(config.sqlitePath);
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return {
    target: { kind: "sqlite", database },
    where: `SQLite file ${config.sqlitePath}`,
    close: async () => {
      database.close();
    },
  };
}

async function run(command: Command, migrations: SchemaMigrations, where: string): Promise<void> {
  if (command === "up") {
    const steps = await migrations.up();
    console.log(
      steps.length === 0
        ? `${where} is up to date`
        : `${where}: applied ${steps.map((s) => `${s.owner}/${s.name}`).join(", ")}`,
    );
  } else if (command === "down") {
    const step = await migrations.down();
    console.log(
      step ? `${where}: reverted ${step.owner}/${step.name}` : `${where}: nothing to revert`,
    );
  } else {
    console.log(where);
    for (const m of await migrations.status()) {
      const state = m.executedAt ? `applied ${m.executedAt.toISOString()}` : "pending";
      console.log(`  ${m.owner.padEnd(7)} ${m.name.padEnd(28)} ${state}`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [verb, command, ...rest] = positionals;
  if (verb !== "migrate" || !COMMANDS.includes(command as Command) || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  let config: ChatServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (config.store === "memory") {
    console.error(
      "[lucky-im] LUCKY_IM_STORE=memory keeps no tables: nothing to migrate (set LUCKY_IM_POSTGRES_URL or LUCKY_IM_STORE=sqlite)",
    );
    return 2;
  }
  const { target, where, close } = openTarget(config);
  try {
    await run(command as Command, schemaMigrations(target), where);
  } finally {
    await close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
