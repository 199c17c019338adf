import type { MessageChangeLimits, PeopleLimits } from "@lucky-im/core";
import type { Kysely } from "kysely";
import type { Database } from "./database.js";
import type { Executor } from "./executor.js";
import type { SearchIndexer, SearchIndexerOptions } from "./search-indexer.js";
import { toStoreError } from "./sqlite-errors.js";

/** @internal Options after defaults were applied. */
export interface ResolvedOptions {
  maxPageSize: number;
  outboxGraceMs: number;
  groupCommit: boolean;
  /** 0: one turn of the event loop. */
  groupCommitWindowMs: number;
  groupCommitMaxBatch: number;
  /** Limits of the contact, profile and settings stores. */
  people: PeopleLimits;
  /** Limits of the message change store. */
  messageChanges: MessageChangeLimits;
  /** When and how much the search indexer indexes. */
  searchIndex: SearchIndexerOptions;
}

/** @internal What the stores of one {@link SqliteStore} share. */
export interface StoreContext {
  /** Builds (compiles) queries; never awaited: {@link Executor} runs them. */
  db: Kysely<Database>;
  /** Runs compiled queries and transactions synchronously. */
  exec: Executor;
  options: ResolvedOptions;
  /** Indexes appended messages for search in batches; a search catches it up first. */
  searchIndex: SearchIndexer;
  /**
   * Runs a store operation and maps its errors to `ImError`. Calls after close never get
   * here: the store's runtime wrapper (`withStorageRuntime`) refuses them.
   */
  run<T>(what: string, operation: () => T | Promise<T>): Promise<T>;
  /** The next value of `conversations.touched_at` (call inside a write transaction). */
  nextTouch(): number;
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
