import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  ConfigError,
  checkOption,
  resolveMessageChangeLimits,
  resolvePeopleLimits,
  type Storage,
  withStorageRuntime,
} from "@lucky-im/core";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, type SqliteDatabase, SqliteDialect, sql } from "kysely";
import { makeRun, type StoreContext } from "./context.js";
import type { Database } from "./database.js";
import { Executor } from "./executor.js";
import { runMigrations } from "./migrations.js";
import { SearchIndexer } from "./search-indexer.js";
import type { SqliteConnection } from "./sqlite-connection.js";
import { createSqliteContactStore } from "./sqlite-contact-store.js";
import { createSqliteConversationSettingsStore } from "./sqlite-conversation-settings-store.js";
import { createSqliteCursorStore } from "./sqlite-cursor-store.js";
import { createSqliteDomainEvents } from "./sqlite-domain-event-store.js";
import { toStoreError } from "./sqlite-errors.js";
import { createSqliteGroupJoinStore } from "./sqlite-group-join-store.js";
import { createSqliteGroupStore } from "./sqlite-group-store.js";
import { createSqliteMessageChangeStore } from "./sqlite-message-change-store.js";
import { createSqliteMessageStore } from "./sqlite-message-store.js";
import { createSqliteModerationStore } from "./sqlite-moderation-store.js";
import { createSqliteOutboxStore } from "./sqlite-outbox-store.js";
import { createSqliteProfileStore } from "./sqlite-profile-store.js";
import type { SqliteStoreOptions } from "./sqlite-store-options.js";

/** The SQLite {@link Storage}: messages, cursors, groups and the outbox in one database file. */
export interface SqliteStore extends Storage {
  /** The database file (`:memory:` for an in-memory database). */
  readonly path: string;
}

/** @internal Opens the connection the options name; `owned` when the store must close it. */
export function openConnection(options: SqliteStoreOptions): {
  connection: SqliteConnection;
  owned: boolean;
} {
  if (options.database && options.path !== undefined) {
    throw new ConfigError("store-sqlite", "give either path or database, not both");
  }
  if (options.database) return { connection: options.database, owned: false };
  if (!options.path)
    throw new ConfigError("store-sqlite", "give path or database", { option: "path" });
  try {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    // The structural type is narrower than @types/better-sqlite3 (its generics differ).
    const connection = new BetterSqlite3(options.path) as unknown as SqliteConnection;
    return { connection, owned: true };
  } catch (error) {
    throw toStoreError(error, `opening "${options.path}"`);
  }
}

/** @internal Sets the pragmas every connection of the store needs. */
export function configure(connection: SqliteConnection, options: SqliteStoreOptions): void {
  const busyTimeoutMs = Math.floor(
    checkOption("store-sqlite", "busyTimeoutMs", options.busyTimeoutMs, { default: 5000, min: 0 }),
  );
  const synchronous = options.synchronous ?? "full";
  if (synchronous !== "full" && synchronous !== "normal") {
    throw new ConfigError(
      "store-sqlite",
      `option synchronous must be "full" or "normal", got ${synchronous}`,
      { option: "synchronous" },
    );
  }
  // First: the WAL switch below may itself wait for another connection.
  connection.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // WAL: readers never block the writer nor the writer readers, and a
  // commit appends to the log instead of rewriting pages.
  connection.pragma("journal_mode = WAL");
  connection.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  // Group members go with their group (ON DELETE CASCADE).
  connection.pragma("foreign_keys = ON");
}

/** The options {@link createSqliteStore} checks as numbers. */
type NumericOption =
  | "maxPageSize"
  | "outboxGraceMs"
  | "groupCommitWindowMs"
  | "groupCommitMaxBatch"
  | "searchIndexIntervalMs"
  | "searchIndexMaxBatch";

/**
 * Creates the SQLite storage of Lucky IM: messages, conversations, cursors,
 * groups and the outbox in one database file, on kysely's `SqliteDialect`
 * and better-sqlite3. Runs pending migrations first (unless `migrate: false`).
 *
 * Every write is one `BEGIN IMMEDIATE` transaction run start to end without
 * yielding; an append writes the message, its `seq` and its outbox entry
 * together, is idempotent on (from, cid), and appends arriving within
 * `groupCommitWindowMs` share one commit. Failures reject with an `ImError`: `unavailable`
 * when the file is locked past `busyTimeoutMs` or cannot be written.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from "@lucky-im/store-sqlite";
 *
 * const storage = await createSqliteStore({ path: "./data/lucky-im.sqlite" });
 * // hand `storage` to the engine; on shutdown:
 * await storage.close();
 * ```
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  /** A numeric option, checked against its rule (a ConfigError names it). */
  const option = (name: NumericOption, rule: Parameters<typeof checkOption>[3]) =>
    checkOption("store-sqlite", name, options[name], rule);
  const resolved = {
    maxPageSize: option("maxPageSize", { default: 200, min: 1 }),
    messageChanges: resolveMessageChangeLimits(options.messageChanges),
    outboxGraceMs: option("outboxGraceMs", { default: 2000, min: 0 }),
    groupCommit: options.groupCommit ?? true,
    // Every append waits up to this long: a second is already far past useful.
    groupCommitWindowMs: option("groupCommitWindowMs", { default: 2, min: 0, max: 1000 }),
    groupCommitMaxBatch: Math.floor(option("groupCommitMaxBatch", { default: 500, min: 1 })),
    people: resolvePeopleLimits(options.peopleLimits),
    searchIndex: {
      // Node runs a longer timer after 1 ms.
      intervalMs: option("searchIndexIntervalMs", { default: 50, min: 1, max: 2_147_483_647 }),
      maxBatch: Math.floor(option("searchIndexMaxBatch", { default: 500, min: 1 })),
    },
  };
  const { connection, owned } = openConnection(options);
  const db = new Kysely<Database>({
    // kysely's statement shape is a subset of better-sqlite3's.
    dialect: new SqliteDialect({ database: connection as unknown as SqliteDatabase }),
  });
  try {
    configure(connection, options);
    if (options.migrate ?? true) await runMigrations(db as Kysely<unknown>, connection);
  } catch (error) {
    if (owned) connection.close();
    throw toStoreError(error, "opening the store");
  }

  const durable = options.synchronous === "normal" ? "NORMAL" : "FULL";
  const exec = new Executor(
    connection,
    durable,
    (options.asyncBookkeepingCommits ?? true) ? "NORMAL" : durable,
  );
  const searchIndex = new SearchIndexer(exec, resolved.searchIndex);
  const ctx: StoreContext = {
    db,
    exec,
    options: resolved,
    searchIndex,
    run: makeRun(),
    nextTouch: () =>
      (
        exec.statement("SELECT coalesce(max(touched_at), 0) + 1 AS t FROM conversations").get() as {
          t: number;
        }
      ).t,
  };
  const messages = createSqliteMessageStore(ctx);
  const domainEvents = createSqliteDomainEvents(ctx);

  const store: SqliteStore = {
    path: options.path ?? (connection as { name?: string }).name ?? "",
    messages: messages.store,
    changes: createSqliteMessageChangeStore(ctx),
    cursors: domainEvents.recording("cursors", createSqliteCursorStore),
    groups: domainEvents.recording("groups", createSqliteGroupStore),
    groupJoins: domainEvents.recording("groupJoins", createSqliteGroupJoinStore),
    outbox: createSqliteOutboxStore(ctx),
    contacts: domainEvents.recording("contacts", createSqliteContactStore),
    domainEvents: domainEvents.store,
    profiles: createSqliteProfileStore(ctx),
    conversationSettings: createSqliteConversationSettingsStore(ctx),
    moderation: createSqliteModerationStore(ctx),

    async ping() {
      try {
        exec.first(sql`SELECT 1`.compile(db));
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      // Appends accepted before close wait for their group commit: commit them
      // before the connection goes.
      await messages.drain();
      searchIndex.stop();
      // The connection itself, not `db.destroy()`: kysely closes only a
      // connection it has used, and would close one the caller passed in.
      if (owned) connection.close();
    },
  };
  searchIndex.start();
  // The runtime wrapper makes close idempotent and refuses every call made after it.
  return withStorageRuntime(store, { label: "[lucky-im] [store-sqlite] storage" });
}
