/**
 * The part of a better-sqlite3 `Database` this package uses. Declared here
 * so that the public types do not depend on `@types/better-sqlite3`; a
 * better-sqlite3 12.x `Database` satisfies it.
 */
export interface SqliteConnection {
  /** Compiles a statement. */
  prepare(sql: string): SqliteStatement;
  /** Runs statements that return nothing (pragmas, DDL). */
  exec(sql: string): unknown;
  /** Runs a pragma; with `{ simple: true }` returns its first value. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps `fn` in a transaction (a savepoint when nested); `.immediate` starts it with `BEGIN IMMEDIATE`. */
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  /** Closes the connection. */
  close(): unknown;
  /** False once closed. */
  readonly open: boolean;
  /** True while a transaction is open. */
  readonly inTransaction: boolean;
}

/** A prepared statement (better-sqlite3 `Statement`). */
export interface SqliteStatement {
  /** True when the statement returns rows. */
  readonly reader: boolean;
  all(...parameters: unknown[]): unknown[];
  get(...parameters: unknown[]): unknown;
  run(...parameters: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** A transaction function (better-sqlite3), callable as is or with a `BEGIN` mode. */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  immediate(...args: Parameters<F>): ReturnType<F>;
}
