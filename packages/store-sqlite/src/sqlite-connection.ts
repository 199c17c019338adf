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
  /**
   * Wraps `fn` in a transaction (a savepoint when nested); `.immediate` starts it with `BEGIN IMMEDIATE`.
   * @typeParam F - The wrapped function; the transaction takes its parameters and returns its result.
   */
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
  /** Runs a SELECT with these positional parameters and returns every row, one object per row. */
  all(...parameters: unknown[]): unknown[];
  /** Runs a SELECT and returns its first row, or `undefined` when there is none. */
  get(...parameters: unknown[]): unknown;
  /** Runs an INSERT, UPDATE, DELETE or DDL statement. */
  run(...parameters: unknown[]): {
    /** How many rows the statement inserted, updated or deleted. */
    changes: number;
    /** The rowid of the last row inserted (the integer key of tables without one). */
    lastInsertRowid: number | bigint;
  };
}

/**
 * A transaction function (better-sqlite3), callable as is or with a `BEGIN` mode.
 * @typeParam F - The wrapped function.
 */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  /** Runs the function in a `BEGIN DEFERRED` transaction (a savepoint when nested); a throw rolls it back. */
  (...args: Parameters<F>): ReturnType<F>;
  /** Runs the function in a `BEGIN IMMEDIATE` transaction, taking the write lock first so it cannot fail with SQLITE_BUSY halfway. */
  immediate(...args: Parameters<F>): ReturnType<F>;
}
