import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  createSqliteAuthStores,
  createSqliteAuthTables,
  type SqliteAuthStores,
} from "@lucky-im/auth";
import { createSqliteStore, type SqliteConnection, type SqliteStore } from "@lucky-im/store-sqlite";
import BetterSqlite3 from "better-sqlite3";

/** The `sqlite` store of the server: storage and auth stores in one file. */
export interface SqliteBackend {
  storage: SqliteStore;
  authStores: SqliteAuthStores;
  /** Closes the storage, then the connection. */
  close(): Promise<void>;
}

/**
 * Opens (or creates) the database file: one connection for the storage
 * (migrated on open) and the auth tables, so that a restart keeps users,
 * refresh tokens, messages, groups and cursors.
 */
export async function openSqliteBackend(path: string): Promise<SqliteBackend> {
  mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  try {
    const storage = await createSqliteStore({
      database: database as unknown as SqliteConnection,
    });
    createSqliteAuthTables(database);
    return {
      storage,
      authStores: createSqliteAuthStores(database),
      async close() {
        await storage.close();
        database.close();
      },
    };
  } catch (error) {
    database.close();
    throw error;
  }
}
