import { createHash } from "node:crypto";
import {
  ConfigError,
  checkOption,
  consoleBackgroundErrors,
  reportBackgroundError,
  resolveMessageChangeLimits,
  resolvePeopleLimits,
  type Storage,
  withStorageRuntime,
} from "@lucky-im/core";
import { Kysely, PostgresDialect, type PostgresPool, sql } from "kysely";
import pg from "pg";
import {
  bookkeepingCommitCondition,
  type FaultInjection,
  makeRun,
  type StoreContext,
  tableRefs,
} from "./context.js";
import type { Database } from "./database.js";
import { runMigrations } from "./migrations.js";
import { listenOutbox } from "./outbox-notifications.js";
import { cannotConnect, isConnectionError, poolTarget, toStoreError } from "./pg-errors.js";
import { createPostgresContactStore } from "./postgres-contact-store.js";
import { createPostgresConversationSettingsStore } from "./postgres-conversation-settings-store.js";
import { createPostgresCursorStore } from "./postgres-cursor-store.js";
import { createPostgresDomainEvents } from "./postgres-domain-event-store.js";
import { createPostgresGroupJoinStore } from "./postgres-group-join-store.js";
import { createPostgresGroupStore } from "./postgres-group-store.js";
import { createPostgresMessageChangeStore } from "./postgres-message-change-store.js";
import { createPostgresMessageStore } from "./postgres-message-store.js";
import { createPostgresModerationStore } from "./postgres-moderation-store.js";
import { createPostgresOutboxStore } from "./postgres-outbox-store.js";
import { createPostgresProfileStore } from "./postgres-profile-store.js";
import type { PostgresStoreOptions } from "./postgres-store-options.js";
import { assertSchemaName } from "./schema-name.js";

/** Stops an outbox wake-up subscription; resolves once its connection is released. */
export type Unsubscribe = () => Promise<void>;

/**
 * The PostgreSQL {@link Storage}: messages, cursors, groups and the outbox
 * in one schema, plus a wake-up hint for outbox relays.
 */
export interface PostgresStore extends Storage {
  /** The schema this store lives in. */
  readonly schema: string;
  /**
   * Subscribes to outbox wake-up hints (PostgreSQL `LISTEN/NOTIFY`), an
   * addition to the core `OutboxStore` contract for the engine's relay:
   * `onWake` is called when outbox entries may have become claimable (new
   * entries reaching the end of their grace, entries released by
   * `markFailed`, or after the listening connection was lost and restored).
   * Wakes are coalesced and never carry data: the relay answers with a
   * `claim`, and MUST keep polling, because a hint can be lost (a NOTIFY is
   * not durable, and appends send at most one per half grace per store).
   * Holds one pooled connection while subscribed.
   *
   * @example
   * ```ts
   * const stop = store.outboxNotifications(() => relay.runNow());
   * // ...
   * await stop();
   * ```
   */
  outboxNotifications(onWake: () => void): Unsubscribe;
}

/** The NOTIFY channel of a schema (channel names are limited to 63 bytes). */
function channelFor(schema: string): string {
  const plain = `lucky_im_outbox_${schema}`;
  return plain.length <= 63
    ? plain
    : `lucky_im_outbox_${createHash("sha256").update(schema).digest("hex").slice(0, 40)}`;
}

/**
 * @internal The connection URL the options give: `url`, or its deprecated alias
 * `connectionString`; both with different values is a ConfigError.
 */
export function connectionUrl(options: {
  url?: string;
  connectionString?: string;
}): string | undefined {
  const { url, connectionString } = options;
  if (url !== undefined && connectionString !== undefined && url !== connectionString) {
    throw new ConfigError(
      "store-postgres",
      "options url and connectionString (its deprecated alias) disagree; set url only",
      { option: "url" },
    );
  }
  return url ?? connectionString;
}

/** @internal Opens the pool the options name; `owned` when the store must end it. */
export function openPool(
  options: Pick<
    PostgresStoreOptions,
    "pool" | "url" | "connectionString" | "maxConnections" | "connectTimeoutMs" | "onError"
  >,
): { pool: PostgresPool; owned: boolean } {
  const url = connectionUrl(options);
  if (options.pool && url) {
    throw new ConfigError("store-postgres", "give either pool or url, not both", { option: "url" });
  }
  if (options.pool) return { pool: options.pool, owned: false };
  if (!url) {
    throw new ConfigError("store-postgres", "give pool or url", { option: "url" });
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: checkOption("store-postgres", "maxConnections", options.maxConnections, {
      default: 10,
      min: 1,
    }),
    connectionTimeoutMillis: checkOption(
      "store-postgres",
      "connectTimeoutMs",
      options.connectTimeoutMs,
      { default: 5000, min: 1 },
    ),
  });
  // pg emits `error` for idle connections the server dropped; unhandled, it
  // would crash the process. The pool replaces them by itself.
  const onError = options.onError ?? consoleBackgroundErrors("store-postgres");
  pool.on("error", (error) =>
    reportBackgroundError(
      onError,
      toStoreError(error, "idle pool connection"),
      "idle pool connection",
    ),
  );
  return { pool, owned: true };
}

/**
 * @internal Wraps a pool so every connection it hands out has an `error`
 * listener. `pg` emits `error` on a checked-out client whose server went
 * away; kysely attaches no listener, and an unhandled `error` event would
 * crash the process. Nothing is lost by ignoring it here: the operation
 * using the client fails with the same cause, and the pool discards the
 * broken client on release.
 */
export function guardPool(pool: PostgresPool): PostgresPool {
  const guarded = new WeakSet<object>();
  const ignore = () => {};
  return {
    async connect() {
      const client = await pool.connect();
      if (!guarded.has(client)) {
        guarded.add(client);
        (client as { on?: (event: string, listener: () => void) => void }).on?.("error", ignore);
      }
      return client;
    },
    end: () => pool.end(),
  };
}

/**
 * @internal The factory with test seams; the package exports
 * {@link createPostgresStore} only.
 */
export async function createPostgresStoreWithFaults(
  options: PostgresStoreOptions,
  faults?: FaultInjection,
): Promise<PostgresStore> {
  const schema = options.schema ?? "lucky_im";
  assertSchemaName(schema);
  const outboxGraceMs = checkOption("store-postgres", "outboxGraceMs", options.outboxGraceMs, {
    default: 2000,
    min: 0,
  });
  const resolved = {
    schema,
    maxPageSize: checkOption("store-postgres", "maxPageSize", options.maxPageSize, {
      default: 200,
      min: 1,
    }),
    outboxGraceMs,
    groupCommit: options.groupCommit ?? true,
    groupCommitWindowMs: checkOption(
      "store-postgres",
      "groupCommitWindowMs",
      options.groupCommitWindowMs,
      { default: 1, min: 0 },
    ),
    groupCommitMaxBatch: checkOption(
      "store-postgres",
      "groupCommitMaxBatch",
      options.groupCommitMaxBatch,
      { default: 500, min: 1 },
    ),
    groupCommitMaxInFlight: Math.floor(
      checkOption("store-postgres", "groupCommitMaxInFlight", options.groupCommitMaxInFlight, {
        default: 2,
        min: 1,
      }),
    ),
    appendRetries: checkOption("store-postgres", "appendRetries", options.appendRetries, {
      default: 3,
      min: 0,
    }),
    asyncBookkeepingCommits: options.asyncBookkeepingCommits ?? true,
    readBatch:
      (options.readBatch ?? true)
        ? {
            maxBatch: Math.floor(
              checkOption("store-postgres", "readBatchMaxSize", options.readBatchMaxSize, {
                default: 500,
                min: 1,
              }),
            ),
            maxInFlight: Math.floor(
              checkOption("store-postgres", "readBatchMaxInFlight", options.readBatchMaxInFlight, {
                default: 4,
                min: 1,
              }),
            ),
          }
        : undefined,
    onError: options.onError ?? consoleBackgroundErrors("store-postgres"),
    people: resolvePeopleLimits(options.peopleLimits),
    messageChanges: resolveMessageChangeLimits(options.messageChanges),
  };
  const { pool, owned } = openPool(options);
  const root = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardPool(pool) }) });
  if (options.migrate ?? true) {
    try {
      await runMigrations(root as Kysely<unknown>, schema);
    } catch (error) {
      if (owned) await root.destroy().catch(() => {});
      throw isConnectionError(error)
        ? cannotConnect(error, poolTarget(pool))
        : toStoreError(error, `migrating schema "${schema}"`);
    }
  }

  const listeners = new Set<Unsubscribe>();
  const ctx: StoreContext = {
    db: root.withSchema(schema),
    options: resolved,
    tables: tableRefs(schema),
    channel: channelFor(schema),
    bookkeepingCommit: bookkeepingCommitCondition(resolved.asyncBookkeepingCommits),
    notify: { lastAt: 0, intervalMs: Math.min(1000, outboxGraceMs / 2) },
    faults,
    run: makeRun(),
  };
  const messages = createPostgresMessageStore(ctx);
  const domainEvents = createPostgresDomainEvents(ctx);

  const store: PostgresStore = {
    schema,
    messages: messages.store,
    changes: createPostgresMessageChangeStore(ctx),
    cursors: domainEvents.recording("cursors", createPostgresCursorStore),
    groups: domainEvents.recording("groups", createPostgresGroupStore),
    groupJoins: domainEvents.recording("groupJoins", createPostgresGroupJoinStore),
    outbox: createPostgresOutboxStore(ctx),
    contacts: domainEvents.recording("contacts", createPostgresContactStore),
    domainEvents: domainEvents.store,
    profiles: createPostgresProfileStore(ctx),
    conversationSettings: createPostgresConversationSettingsStore(ctx),
    moderation: createPostgresModerationStore(ctx),

    async ping() {
      try {
        await sql`SELECT 1`.execute(root);
        return true;
      } catch {
        return false;
      }
    },

    outboxNotifications(onWake) {
      const stop = listenOutbox({
        connect: () => pool.connect(),
        channel: ctx.channel,
        onWake,
        onError: (error) =>
          reportBackgroundError(
            resolved.onError,
            toStoreError(error, "outbox LISTEN"),
            "outbox LISTEN",
          ),
        reconnectDelayMs: 1000,
      });
      const unsubscribe: Unsubscribe = async () => {
        listeners.delete(unsubscribe);
        await stop();
      };
      listeners.add(unsubscribe);
      return unsubscribe;
    },

    async close() {
      // Appends accepted before close still commit (or fail) before the pool goes.
      await messages.drain();
      await Promise.allSettled([...listeners].map((stop) => stop()));
      if (owned) await root.destroy();
    },
  };
  // The runtime wrapper makes close idempotent and refuses every call made after it.
  return withStorageRuntime(store, { label: "[lucky-im] [store-postgres] storage" });
}

/**
 * Creates the PostgreSQL storage of Lucky IM: messages, conversations,
 * cursors, groups and the outbox, on kysely and `pg`. Runs pending
 * migrations first (unless `migrate: false`).
 *
 * Appends are atomic (message, seq and outbox entry in one transaction),
 * idempotent on (from, cid), gap-free in `seq` across any number of nodes,
 * and group-committed by default. Failures reject with an `ImError`:
 * `unavailable` when PostgreSQL cannot be reached.
 *
 * @example
 * ```ts
 * import { createPostgresStore } from "@lucky-im/store-postgres";
 *
 * const storage = await createPostgresStore({
 *   url: process.env.DATABASE_URL,
 *   schema: "chat",
 * });
 * // hand `storage` to the engine; on shutdown:
 * await storage.close();
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return createPostgresStoreWithFaults(options);
}
