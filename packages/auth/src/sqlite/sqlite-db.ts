/**
 * The part of a SQLite connection the SQLite auth stores use: a
 * better-sqlite3 (12.x) `Database` satisfies it, so this package does not
 * depend on a driver at runtime. Statements run synchronously.
 */
export interface SqliteDb {
  /** Compiles a statement. */
  prepare(sql: string): SqliteDbStatement;
  /** Runs statements that return nothing (DDL, `BEGIN`/`COMMIT`). */
  exec(sql: string): unknown;
}

/** A prepared statement of a {@link SqliteDb}; parameters are positional (`?`). */
export interface SqliteDbStatement {
  /** Runs an INSERT, UPDATE or DELETE with these parameters. */
  run(...parameters: unknown[]): {
    /** How many rows the statement inserted, updated or deleted. */
    changes: number;
  };
  /** Runs a SELECT and returns its first row as an object, or `undefined` when there is none. */
  get(...parameters: unknown[]): unknown;
}

/** @internal Prepares each text once per connection. */
export function statementCache(db: SqliteDb): (sql: string) => SqliteDbStatement {
  const cache = new Map<string, SqliteDbStatement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/**
 * @internal Runs `fn` in one `BEGIN IMMEDIATE` transaction. `fn` is
 * synchronous, so nothing else of this process runs in between, and the
 * write lock taken first keeps other processes sharing the file out.
 */
export function immediate<T>(db: SqliteDb, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** @internal True for a SQLite unique or primary key violation. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
