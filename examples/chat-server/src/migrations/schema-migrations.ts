import { postgresAuthMigrations, sqliteAuthMigrations } from "@lucky-im/auth";
import { postgresPushMigrations, sqlitePushMigrations } from "@lucky-im/push";
import { postgresStoreMigrations } from "@lucky-im/store-postgres";
import { sqliteStoreMigrations } from "@lucky-im/store-sqlite";
import { postgresWebhookMigrations, sqliteWebhookMigrations } from "@lucky-im/webhooks";
import type BetterSqlite3 from "better-sqlite3";
import {
  Kysely,
  type MigrationResultSet,
  Migrator,
  type MigratorProps,
  PostgresDialect,
  SqliteDialect,
} from "kysely";
import type pg from "pg";
import { loginKeyMigrations } from "./login-key-migrations.js";

/** The database whose tables are migrated: the server's PostgreSQL schema or its SQLite file. */
export type MigrationTarget =
  | { kind: "postgres"; pool: pg.Pool; schema: string }
  | { kind: "sqlite"; database: BetterSqlite3.Database };

/** Which package's tables a migration belongs to. */
export type MigrationOwner = "store" | "auth" | "push" | "webhooks" | "server";

/** One migration and whether it ran. */
export interface MigrationState {
  owner: MigrationOwner;
  name: string;
  /** When it was applied; undefined: pending. */
  executedAt?: Date;
}

/** A migration that `up` or `down` ran. */
export interface MigrationStep {
  owner: MigrationOwner;
  name: string;
}

/**
 * `lucky-im migrate up|down|status` and the server's start, over every table the server uses:
 * the store's, the auth tables and its own (the login key, PostgreSQL only). Each package
 * ships its migrations with their own bookkeeping table, so they are composed here, in
 * dependency order, without one adapter importing another.
 */
export interface SchemaMigrations {
  /** Applies every pending migration, store first; returns what ran. */
  up(): Promise<MigrationStep[]>;
  /** Reverts the last applied migration of the last owner that has one (server, webhooks, push, auth, store). */
  down(): Promise<MigrationStep | undefined>;
  /** Every migration of every owner, applied or pending, in order. */
  status(): Promise<MigrationState[]>;
}

/** The migration sets of a target, in the order `up` runs them. */
function migrationSets(
  target: MigrationTarget,
): Array<{ owner: MigrationOwner; props: Omit<MigratorProps, "db"> }> {
  if (target.kind === "postgres") {
    return [
      { owner: "store", props: postgresStoreMigrations(target.schema) },
      { owner: "auth", props: postgresAuthMigrations(target.schema) },
      { owner: "push", props: postgresPushMigrations(target.schema) },
      { owner: "webhooks", props: postgresWebhookMigrations(target.schema) },
      { owner: "server", props: loginKeyMigrations(target.schema) },
    ];
  }
  return [
    { owner: "store", props: sqliteStoreMigrations() },
    { owner: "auth", props: sqliteAuthMigrations() },
    { owner: "push", props: sqlitePushMigrations() },
    { owner: "webhooks", props: sqliteWebhookMigrations() },
  ];
}

/** Throws naming the owner and the failed migration, with kysely's error as the cause. */
function check(owner: MigrationOwner, { error, results }: MigrationResultSet): MigrationStep[] {
  const failed = results?.find((r) => r.status === "Error");
  if (error !== undefined || failed) {
    const what = failed ? `migration ${failed.migrationName}` : "migrating";
    throw new Error(`[lucky-im] [migrate] ${owner}: ${what} failed`, { cause: error });
  }
  return (results ?? [])
    .filter((r) => r.status === "Success")
    .map((r) => ({ owner, name: r.migrationName }));
}

/**
 * The migrations of every table of the server on `target`. The pool or the connection is
 * the caller's and stays open. PostgreSQL: each owner migrates in its own transaction under
 * kysely's advisory lock, so nodes may start together. SQLite: kysely's lock does nothing
 * there, so each call runs in one `BEGIN IMMEDIATE` transaction, all or nothing.
 */
export function schemaMigrations(target: MigrationTarget): SchemaMigrations {
  const sqlite = target.kind === "sqlite" ? target.database : undefined;
  // Never destroyed: destroying it would end the caller's pool or close its connection.
  const db =
    target.kind === "postgres"
      ? new Kysely<unknown>({ dialect: new PostgresDialect({ pool: target.pool }) })
      : new Kysely<unknown>({ dialect: new SqliteDialect({ database: target.database }) });
  const owners = migrationSets(target).map(({ owner, props }) => ({
    owner,
    migrator: new Migrator({ db, ...props, disableTransactions: sqlite !== undefined }),
  }));

  const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
    if (!sqlite) return work();
    sqlite.exec("BEGIN IMMEDIATE");
    try {
      const result = await work();
      sqlite.exec("COMMIT");
      return result;
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
      throw error;
    }
  };

  const status = async (): Promise<MigrationState[]> => {
    const states: MigrationState[] = [];
    for (const { owner, migrator } of owners) {
      for (const info of await migrator.getMigrations()) {
        states.push({ owner, name: info.name, executedAt: info.executedAt });
      }
    }
    return states;
  };

  return {
    up: () =>
      inTransaction(async () => {
        const steps: MigrationStep[] = [];
        for (const { owner, migrator } of owners) {
          steps.push(...check(owner, await migrator.migrateToLatest()));
        }
        return steps;
      }),
    down: () =>
      inTransaction(async () => {
        for (const { owner, migrator } of [...owners].reverse()) {
          const applied = (await migrator.getMigrations()).some((m) => m.executedAt !== undefined);
          if (applied) return check(owner, await migrator.migrateDown())[0];
        }
        return undefined;
      }),
    status,
  };
}
