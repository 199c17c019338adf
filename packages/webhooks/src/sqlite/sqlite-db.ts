/**
 * The part of a SQLite connection the SQLite webhook queue uses: a
 * better-sqlite3 (12.x) `Database` satisfies it, so this package does not
 * depend on a driver at runtime. Statements run synchronously.
 */
export interface SqliteDb {
  /** Compiles a statement. */
  prepare(sql: string): SqliteDbStatement;
  /** Runs statements that return nothing (`BEGIN`/`COMMIT`). */
  exec(sql: string): unknown;
}

/** A prepared statement of a {@link SqliteDb}; parameters are positional (`?`). */
export interface SqliteDbStatement {
  /** Runs an INSERT, UPDATE or DELETE with these parameters. */
  run(...parameters: unknown[]): {
    /** How many rows the statement inserted, updated or deleted. */
    changes: number;
  };
  /** Runs a SELECT and returns its first row, or `undefined`. */
  get(...parameters: unknown[]): unknown;
  /** Runs a SELECT and returns every row. */
  all(...parameters: unknown[]): unknown[];
}
