import type {
  BackgroundErrorHandler,
  MessageChangeLimits,
  MessageDraft,
  PeopleLimits,
} from "@lucky-im/core";
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "./database.js";
import type { NotifyState } from "./outbox-notifications.js";
import { toStoreError } from "./pg-errors.js";

/**
 * @internal Test seams, never exported from the package: they let tests
 * make a transaction fail at a precise point.
 */
export interface FaultInjection {
  /**
   * Called for each append statement with the drafts it writes; returning
   * true makes the statement fail after its messages and outbox rows were
   * inserted (a division by zero evaluated once both inserts ran), before commit.
   */
  failAfterInsert?(drafts: readonly MessageDraft[]): boolean;
}

/** @internal Options after defaults were applied. */
export interface ResolvedOptions {
  schema: string;
  maxPageSize: number;
  outboxGraceMs: number;
  groupCommit: boolean;
  groupCommitWindowMs: number;
  groupCommitMaxBatch: number;
  groupCommitMaxInFlight: number;
  appendRetries: number;
  /** See PostgresStoreOptions.asyncBookkeepingCommits. */
  asyncBookkeepingCommits: boolean;
  /** Read batching; undefined: off. */
  readBatch: { maxBatch: number; maxInFlight: number } | undefined;
  onError: BackgroundErrorHandler;
  /** Limits of the contact, profile and settings stores. */
  people: PeopleLimits;
  /** Limits of the message change store. */
  messageChanges: MessageChangeLimits;
}

/** @internal What the stores of one {@link PostgresStore} share. */
export interface StoreContext {
  /** Kysely with `withSchema(schema)` applied. */
  db: Kysely<Database>;
  options: ResolvedOptions;
  /** Qualified table identifiers for raw SQL. */
  tables: Record<keyof Database, RawBuilder<unknown>>;
  /** The NOTIFY channel of this schema's outbox. */
  channel: string;
  /** Throttle state of the outbox NOTIFY. */
  notify: NotifyState;
  faults: FaultInjection | undefined;
  /**
   * A condition (always true) to AND into the WHERE of a bookkeeping UPDATE:
   * it turns `synchronous_commit` off for that statement's own transaction
   * when `asyncBookkeepingCommits` is on (TRUE otherwise).
   */
  bookkeepingCommit: RawBuilder<unknown>;
  /**
   * Runs a store operation and maps its errors to `ImError`. Calls after close never get
   * here: the store's runtime wrapper (`withStorageRuntime`) refuses them.
   */
  run<T>(what: string, operation: () => Promise<T>): Promise<T>;
}

/** @internal Qualified identifiers of every table in `schema`. */
export function tableRefs(schema: string): Record<keyof Database, RawBuilder<unknown>> {
  const ref = (name: string) => sql.id(schema, name) as RawBuilder<unknown>;
  return {
    conversations: ref("conversations"),
    messages: ref("messages"),
    cursors: ref("cursors"),
    groups: ref("groups"),
    group_members: ref("group_members"),
    outbox: ref("outbox"),
    contact_requests: ref("contact_requests"),
    contacts: ref("contacts"),
    blocks: ref("blocks"),
    privacy_settings: ref("privacy_settings"),
    profiles: ref("profiles"),
    change_counters: ref("change_counters"),
    message_changes: ref("message_changes"),
    message_edits: ref("message_edits"),
    reactions: ref("reactions"),
    pins: ref("pins"),
    hidden_messages: ref("hidden_messages"),
    conversation_clears: ref("conversation_clears"),
    group_join_settings: ref("group_join_settings"),
    group_join_tickets: ref("group_join_tickets"),
    group_invite_links: ref("group_invite_links"),
    group_invite_link_uses: ref("group_invite_link_uses"),
    suspensions: ref("suspensions"),
    moderation_reports: ref("moderation_reports"),
    moderation_audit: ref("moderation_audit"),
    domain_events: ref("domain_events"),
  };
}

/**
 * @internal The {@link StoreContext.bookkeepingCommit} condition. `set_config(..., true)`
 * lasts until the end of the statement's implicit transaction, so it reaches its commit
 * and no other; PostgreSQL evaluates the uncorrelated sub-select once.
 */
export function bookkeepingCommitCondition(asyncCommit: boolean): RawBuilder<unknown> {
  return asyncCommit
    ? sql`(SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL`
    : sql`TRUE`;
}

/** @internal Builds the `run` helper of a {@link StoreContext}. */
export function makeRun(): StoreContext["run"] {
  return async (what, operation) => {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, what);
    }
  };
}

/** @internal Milliseconds since the epoch of a timestamp column (a Date, or a string if a custom type parser is installed). */
export function toMs(value: Date | string | number): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}
