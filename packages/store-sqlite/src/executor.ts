import type { CompiledQuery } from "kysely";
import type { SqliteConnection, SqliteStatement } from "./sqlite-connection.js";

/** Anything kysely can compile to one statement: a query builder or `sql\`\`.compile(db)`. */
export type Query<R> = { compile(): CompiledQuery<R> } | CompiledQuery<R>;

/** Most prepared statements kept; the store uses a few dozen distinct texts. */
const MAX_CACHED = 200;

/**
 * @internal Runs kysely-compiled statements synchronously on the
 * better-sqlite3 connection kysely's `SqliteDialect` also uses.
 *
 * Why not `await query.execute()` inside `db.transaction()`: a kysely
 * transaction yields to the event loop between its statements. Another
 * store instance of the same process (another connection to the same file)
 * may then wait for the write lock in better-sqlite3's busy handler, which
 * blocks the thread, so the transaction holding the lock could never finish.
 * Transactions here run start to end without yielding, with `BEGIN
 * IMMEDIATE` so that they take the write lock first (a deferred transaction
 * that upgrades a read lock fails with `SQLITE_BUSY` without waiting).
 */
export class Executor {
  private readonly statements = new Map<string, SqliteStatement>();
  /** The `synchronous` pragma in force on the connection. */
  private synchronous: "FULL" | "NORMAL" | undefined;

  /**
   * @param durable - `synchronous` of ordinary commits.
   * @param bookkeeping - `synchronous` of bookkeeping commits (see {@link Executor.transaction}).
   */
  constructor(
    readonly connection: SqliteConnection,
    private readonly durable: "FULL" | "NORMAL" = "FULL",
    private readonly bookkeeping: "FULL" | "NORMAL" = durable,
  ) {}

  /**
   * A prepared statement for a constant SQL text, for the hot path (an
   * append runs five statements): compiling a kysely query costs more than
   * running it on SQLite.
   */
  statement(sql: string): SqliteStatement {
    return this.prepare(sql);
  }

  private prepare(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.connection.prepare(sql);
      if (this.statements.size >= MAX_CACHED) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private compiled<R>(query: Query<R>): CompiledQuery<R> {
    return "compile" in query ? query.compile() : query;
  }

  /** Every row the statement returns. */
  all<R>(query: Query<R>): R[] {
    const { sql, parameters } = this.compiled(query);
    return this.prepare(sql).all(...parameters) as R[];
  }

  /** The first row, or undefined. */
  first<R>(query: Query<R>): R | undefined {
    const { sql, parameters } = this.compiled(query);
    return this.prepare(sql).get(...parameters) as R | undefined;
  }

  /** Runs a statement that returns no rows; returns how many rows it changed. */
  run(query: Query<unknown>): number {
    const { sql, parameters } = this.compiled(query);
    return this.prepare(sql).run(...parameters).changes;
  }

  /**
   * Runs `fn` in one `BEGIN IMMEDIATE` transaction (a savepoint when already
   * in one). A `bookkeeping` transaction (cursor moves, outbox marks and
   * leases) commits with the bookkeeping `synchronous` level: with `NORMAL`
   * its commit does not wait for the disk, and the next durable commit
   * syncs it along (the WAL is synced as a whole). Commits block the thread
   * (better-sqlite3 is synchronous), so one disk sync per ack would stall
   * every connection of the process.
   */
  transaction<T>(fn: () => T, kind: "durable" | "bookkeeping" = "durable"): T {
    const tx = this.connection.transaction(fn);
    if (this.connection.inTransaction) return tx() as T;
    // The pragma cannot change inside a transaction: set it before BEGIN.
    const level = kind === "bookkeeping" ? this.bookkeeping : this.durable;
    if (level !== this.synchronous) {
      this.connection.pragma(`synchronous = ${level}`);
      this.synchronous = level;
    }
    return tx.immediate() as T;
  }
}
