/**
 * The part of a `pg.Pool` (or `pg.Client`) this package uses: pass your own
 * pool. Each call may run on a different connection, so every store method is
 * one statement.
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

/** Options shared by the Postgres stores. */
export interface PostgresAuthOptions {
  /**
   * The schema that holds the auth tables (`auth_credentials`,
   * `auth_refresh_families`, `auth_refresh_tokens`, `auth_codes`).
   * @default "public"
   */
  schema?: string;
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A timestamptz column value as ms since epoch. */
export function toMs(value: Date | string | number): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

/** True for a PostgreSQL unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}
