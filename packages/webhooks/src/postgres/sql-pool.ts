/**
 * The part of a `pg.Pool` the PostgreSQL webhook queue uses: pass your own
 * pool. Each call may run on another connection, so every queue method is
 * built from single statements.
 */
export interface SqlPool {
  /** Runs one statement with positional parameters (`$1`, `$2`, ...) and resolves with its rows. */
  query(
    text: string,
    values?: unknown[],
  ): Promise<{
    /** The rows the statement returned, one object per row keyed by column name. */
    // biome-ignore lint/suspicious/noExplicitAny: rows are typed by each query's caller, as in pg.
    rows: any[];
    /** How many rows the statement returned or changed (`null` for statements that count none). */
    rowCount: number | null;
  }>;
}

/** @internal Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
