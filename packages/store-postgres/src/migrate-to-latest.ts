import { Kysely, PostgresDialect, type PostgresPool } from "kysely";
import { type MigrateResult, runMigrations } from "./migrations.js";
import { toStoreError } from "./pg-errors.js";
import { guardPool, openPool } from "./postgres-store.js";

export type { MigrateResult } from "./migrations.js";

/** Options of {@link migrateToLatest}. Give either `pool` or `url`. */
export interface MigrateOptions {
  /** A `pg.Pool` to run on; it is left open. */
  pool?: PostgresPool;
  /** A connection URL; a pool is opened for the migration and ended after it. */
  url?: string;
  /** @deprecated Use `url`. */
  connectionString?: string;
  /**
   * The schema to migrate (created if missing); kysely's migration tables live in it too.
   * @default "lucky_im"
   */
  schema?: string;
}

/**
 * Brings a schema up to date with this package's migrations, using kysely's
 * `Migrator` and its lock (safe when several processes run it at once).
 * `createPostgresStore` does the same unless `migrate: false`; this is for a
 * deploy step, and is what `lucky-im-store-postgres migrate` runs.
 *
 * @example
 * ```ts
 * const { applied } = await migrateToLatest({ url, schema: "chat" });
 * ```
 */
export async function migrateToLatest(options: MigrateOptions): Promise<MigrateResult> {
  const schema = options.schema ?? "lucky_im";
  const { pool, owned } = openPool(options);
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: guardPool(pool) }) });
  try {
    return await runMigrations(db, schema);
  } catch (error) {
    throw toStoreError(error, `migrating schema "${schema}"`);
  } finally {
    if (owned) await db.destroy();
  }
}
