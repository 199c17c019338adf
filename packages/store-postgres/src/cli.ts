#!/usr/bin/env node
/**
 * The migrations CLI of @lucky-im/store-postgres:
 *
 *   lucky-im-store-postgres migrate [--connection-string <url>] [--schema <name>]
 *
 * The connection string defaults to $DATABASE_URL, then $LUCKY_IM_POSTGRES_URL; the
 * schema to $LUCKY_IM_PG_SCHEMA, then $LUCKY_IM_SCHEMA, then "lucky_im".
 *
 * Deprecated: `lucky-im migrate up|down|status` (the chat server's CLI) runs the
 * store's and the auth tables' migrations with the server's variables. This one
 * keeps working, migrates the store's tables only, and says so on stderr.
 */
import { parseArgs } from "node:util";
import { migrateToLatest } from "./migrate-to-latest.js";

const USAGE = `Usage: lucky-im-store-postgres migrate [--connection-string <url>] [--schema <name>]

  --connection-string  PostgreSQL URL (default: $DATABASE_URL, then $LUCKY_IM_POSTGRES_URL)
  --schema             schema to migrate (default: $LUCKY_IM_PG_SCHEMA, then $LUCKY_IM_SCHEMA, then "lucky_im")

Deprecated: use "lucky-im migrate up|down|status" (examples/chat-server), which
migrates the store's and the auth tables with the server's variables.`;

const DEPRECATION =
  '[lucky-im] [store-postgres] "lucky-im-store-postgres migrate" is deprecated and migrates the store\'s tables only: use "lucky-im migrate up" (LUCKY_IM_POSTGRES_URL, LUCKY_IM_SCHEMA), which runs the auth tables\' migrations too';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "connection-string": { type: "string" },
      schema: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] !== "migrate" || positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  console.error(DEPRECATION);
  const connectionString =
    values["connection-string"] ?? process.env.DATABASE_URL ?? process.env.LUCKY_IM_POSTGRES_URL;
  if (!connectionString) {
    console.error(
      "[lucky-im] [store-postgres] no connection string: pass --connection-string or set LUCKY_IM_POSTGRES_URL",
    );
    return 2;
  }
  const schema =
    values.schema ?? process.env.LUCKY_IM_PG_SCHEMA ?? process.env.LUCKY_IM_SCHEMA ?? "lucky_im";
  const { applied } = await migrateToLatest({ url: connectionString, schema });
  console.log(
    applied.length === 0
      ? `[lucky-im] [store-postgres] schema "${schema}" is up to date`
      : `[lucky-im] [store-postgres] schema "${schema}": applied ${applied.join(", ")}`,
  );
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
