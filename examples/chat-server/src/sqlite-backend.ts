import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createSqliteAuthStores, type SqliteAuthStores } from "@lucky-im/auth";
import {
  createSqliteDeviceRegistry,
  createSqlitePushQueue,
  type DeviceRegistry,
  type PushQueue,
} from "@lucky-im/push";
import { createSqliteStore, type SqliteConnection, type SqliteStore } from "@lucky-im/store-sqlite";
import { createSqliteWebhookQueue, type WebhookQueue } from "@lucky-im/webhooks";
import BetterSqlite3 from "better-sqlite3";
import { schemaMigrations } from "./migrations/schema-migrations.js";

/** How long to wait for another process's write lock on the file (e.g. `lucky-im migrate`), in ms. */
const BUSY_TIMEOUT_MS = 5000;

/** The `sqlite` store of the server: storage, auth stores, push devices and jobs, webhook deliveries in one file. */
export interface SqliteBackend {
  storage: SqliteStore;
  authStores: SqliteAuthStores;
  deviceRegistry: DeviceRegistry;
  pushQueue: PushQueue;
  webhookQueue: WebhookQueue;
  /** Closes the storage, then the connection. */
  close(): Promise<void>;
}

/**
 * Opens (or creates) the database file: one connection for the storage and
 * the auth tables, so that a restart keeps users, refresh tokens, messages,
 * groups and cursors. Runs the pending migrations of both first (one
 * transaction) unless `migrate` is false.
 */
export async function openSqliteBackend(
  path: string,
  options: { migrate: boolean },
): Promise<SqliteBackend> {
  mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (options.migrate) await schemaMigrations({ kind: "sqlite", database }).up();
    const storage = await createSqliteStore({
      database: database as unknown as SqliteConnection,
      migrate: false,
    });
    return {
      storage,
      authStores: createSqliteAuthStores(database),
      deviceRegistry: createSqliteDeviceRegistry(database),
      pushQueue: createSqlitePushQueue(database),
      webhookQueue: createSqliteWebhookQueue(database),
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
