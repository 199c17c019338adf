import { isAbsolute, resolve } from "node:path";

/** Where the server keeps messages, groups, cursors, users and refresh tokens. */
export type StoreKind = "sqlite" | "memory" | "postgres";

/** The store settings of {@link ChatServerConfig}, read by {@link loadStoreSelection}. */
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
}

const KINDS: readonly StoreKind[] = ["sqlite", "memory", "postgres"];

/**
 * Reads `LUCKY_IM_STORE` and `LUCKY_IM_SQLITE_PATH`. Throws, naming the
 * variable, on an unknown store or one that contradicts `LUCKY_IM_POSTGRES_URL`.
 */
export function loadStoreSelection(env: Record<string, string | undefined>): StoreSelection {
  const postgresUrl = env.LUCKY_IM_POSTGRES_URL?.trim() || undefined;
  const raw = env.LUCKY_IM_STORE?.trim().toLowerCase() || undefined;
  const store = (raw ?? (postgresUrl ? "postgres" : "sqlite")) as StoreKind;
  if (!KINDS.includes(store)) {
    throw new Error(
      `[lucky-im] [chat-server] LUCKY_IM_STORE must be "sqlite", "memory" or "postgres", got "${raw}"`,
    );
  }
  if ((store === "postgres") !== (postgresUrl !== undefined)) {
    throw new Error(
      store === "postgres"
        ? "[lucky-im] [chat-server] LUCKY_IM_STORE=postgres needs LUCKY_IM_POSTGRES_URL"
        : `[lucky-im] [chat-server] LUCKY_IM_STORE=${store} contradicts LUCKY_IM_POSTGRES_URL (unset one of them)`,
    );
  }
  const path = env.LUCKY_IM_SQLITE_PATH?.trim() || "./data/lucky-im.sqlite";
  return { store, sqlitePath: isAbsolute(path) ? path : resolve(process.cwd(), path) };
}
