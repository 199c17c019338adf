/** Where the server keeps messages, groups, cursors, users and refresh tokens. */
export type StoreKind = "sqlite" | "memory" | "postgres";

/** The store settings of {@link ChatServerConfig}, chosen by {@link chooseStore}. */
export interface StoreSelection {
  /**
   * `sqlite`: a local file, kept across restarts (one node). `memory`: lost
   * when the process stops. `postgres`: `LUCKY_IM_POSTGRES_URL` (several nodes).
   * @default "postgres" when LUCKY_IM_POSTGRES_URL is set, else "sqlite" (`LUCKY_IM_STORE`)
   */
  store: StoreKind;
  /**
   * The SQLite database file of the `sqlite` store (resolved against the
   * working directory; created with its directory).
   * @default "./data/lucky-im.sqlite" (`LUCKY_IM_SQLITE_PATH`)
   */
  sqlitePath: string;
  /**
   * The `memory` store keeps at most this many messages per conversation (the oldest go
   * first; clients are told, see docs/protocol.md 6.6). Unset: every message.
   * @default undefined (`LUCKY_IM_MEMORY_MAX_MESSAGES`)
   */
  memoryMaxMessages?: number;
  /**
   * The `memory` store drops messages older than this many ms. Unset: none.
   * @default undefined (`LUCKY_IM_MEMORY_MAX_AGE_MS`)
   */
  memoryMaxAgeMs?: number;
}

/**
 * Fills in the default store (PostgreSQL when its URL is set, else SQLite) and
 * checks that `LUCKY_IM_STORE` and `LUCKY_IM_POSTGRES_URL` agree. Returns the
 * problem, naming both variables, or undefined.
 */
export function chooseStore(config: {
  store?: StoreKind;
  postgresUrl?: string;
}): string | undefined {
  const hasPostgres = config.postgresUrl !== undefined;
  config.store ??= hasPostgres ? "postgres" : "sqlite";
  if (config.store === "postgres" && !hasPostgres) {
    return "LUCKY_IM_STORE=postgres needs LUCKY_IM_POSTGRES_URL";
  }
  if (config.store !== "postgres" && hasPostgres) {
    return `LUCKY_IM_STORE=${config.store} contradicts LUCKY_IM_POSTGRES_URL (unset one of them)`;
  }
  return undefined;
}
