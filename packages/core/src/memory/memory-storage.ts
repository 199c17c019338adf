import type { Storage } from "../contracts/storage.js";
import {
  type DomainEventSourceStore,
  domainEventsOf,
  recordingDomainEvents,
} from "../domain/domain-event-sources.js";
import { type MessageChangeLimits, resolveMessageChangeLimits } from "../domain/message-change.js";
import { type PeopleLimits, resolvePeopleLimits } from "../domain/people-limits.js";
import { withStorageRuntime } from "../runtime/storage-runtime.js";
import { checkOption } from "../util/check-option.js";
import { createMemoryContactStore } from "./memory-contact-store.js";
import { createMemoryConversationSettingsStore } from "./memory-conversation-settings-store.js";
import { createMemoryCursorStore } from "./memory-cursor-store.js";
import { createMemoryDomainEvents } from "./memory-domain-event-store.js";
import { createMemoryGroupJoinStore } from "./memory-group-join-store.js";
import { createMemoryGroupStore } from "./memory-group-store.js";
import { createMemoryMessageChangeStore } from "./memory-message-change-store.js";
import { createMemoryMessageStore } from "./memory-message-store.js";
import { createMemoryModerationStore } from "./memory-moderation-store.js";
import { createMemoryOutboxStore } from "./memory-outbox-store.js";
import { peopleState } from "./memory-people-state.js";
import { createMemoryProfileStore } from "./memory-profile-store.js";
import { createMemoryRetention, type MemoryRetentionOptions } from "./memory-retention.js";
import {
  createMemoryStorageBackend,
  type MemoryStorageBackend,
  storageState,
} from "./memory-storage-backend.js";

/** Options of {@link createMemoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * The data to use. Instances given the same backend share everything, like
   * processes sharing one database.
   * @default a new, private backend
   */
  backend?: MemoryStorageBackend;
  /**
   * How long after its message's `ts` a new outbox entry becomes claimable by
   * the relay. The engine's fast path publishes right away and marks the entry
   * sent; the grace keeps the relay from re-publishing what the fast path is
   * still handling.
   * @default 2000
   */
  outboxGraceMs?: number;
  /**
   * The most messages one `range` call returns, whatever `limit` asks.
   * @default 1000
   */
  maxPageSize?: number;
  /**
   * The clock outbox claims compare `nextAttemptAt` and leases against, in
   * milliseconds since the epoch (replace it to test with a fake clock).
   * @default Date.now
   */
  now?: () => number;
  /**
   * Limits of the contact, profile and conversation-settings stores (lengths, pending
   * requests, page sizes); absent fields keep their defaults.
   * @default DEFAULT_PEOPLE_LIMITS
   */
  peopleLimits?: Partial<PeopleLimits>;
  /** Limits of edits, reactions, pins, replies, mentions and search (see `MessageChangeLimits`). */
  messageChanges?: Partial<MessageChangeLimits>;
  /**
   * Drop the oldest messages of a conversation beyond a count or an age, for a bounded heap
   * in the embedded mode or a dev server that runs for long (see {@link MemoryRetentionOptions}).
   * A client whose sync cursor is below what is left is told so (`synced.conversations[].oldestSeq`,
   * docs/protocol.md); an append repeated with the `cid` of a dropped message is stored anew.
   * Give every storage sharing a `backend` the same retention.
   * @default keep every message
   */
  retention?: MemoryRetentionOptions;
}

/**
 * Creates a {@link Storage} that keeps messages, cursors, groups, the
 * outbox, contacts, profiles and conversation settings in this process: the embedded default, for one process and for
 * tests. It keeps every invariant of the storage contracts (gap-free `seq`
 * under any concurrency, idempotent `append`, exclusive outbox claims) but
 * loses everything when the process ends, and holds every message in
 * memory unless `retention` bounds them: use `@lucky-im/store-postgres` in production.
 *
 * Bodies are copied on the way in and out, so neither the caller's draft nor
 * a returned message shares objects with what is stored. It opens no timer.
 *
 * @example
 * ```ts
 * const storage = createMemoryStorage();
 * const { message } = await storage.messages.append(draft);
 * ```
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): Storage {
  const backend = options.backend ?? createMemoryStorageBackend();
  const state = storageState(backend);
  const people = peopleState(backend);
  const peopleLimits = resolvePeopleLimits(options.peopleLimits);
  const outboxGraceMs = options.outboxGraceMs ?? 2000;
  const maxPageSize = options.maxPageSize ?? 1000;
  const now = options.now ?? Date.now;
  checkOption("core", "outboxGraceMs", outboxGraceMs, { min: 0 });
  checkOption("core", "maxPageSize", maxPageSize, { min: 1 });
  const changeLimits = resolveMessageChangeLimits(options.messageChanges);
  const retention = createMemoryRetention(state, options.retention, now);
  const domainEvents = createMemoryDomainEvents({ backend, now });
  /** A store whose event-recording writes record their events right after them (see `domainEvents`). */
  const recording = <T extends object>(name: DomainEventSourceStore, store: T): T =>
    recordingDomainEvents(name, store, domainEvents.enabled, async (method, args) => {
      const write = (store as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      const result = await write!.apply(store, args);
      // Recorded right after the write, in this process's memory: a crash loses both together.
      domainEvents.record(domainEventsOf(name, method, args, result, domainEvents.enabled()));
      return result;
    });
  // The runtime wrapper refuses calls after close (and makes close idempotent).
  const storage: Storage = {
    messages: createMemoryMessageStore({
      state,
      outboxGraceMs,
      maxPageSize,
      limits: changeLimits,
      now,
      retention,
    }),
    changes: createMemoryMessageChangeStore({ state, outboxGraceMs, limits: changeLimits }),
    cursors: recording("cursors", createMemoryCursorStore({ state })),
    groups: recording("groups", createMemoryGroupStore({ state })),
    groupJoins: recording("groupJoins", createMemoryGroupJoinStore({ state })),
    outbox: createMemoryOutboxStore({ state, now, retention }),
    contacts: recording("contacts", createMemoryContactStore({ people, limits: peopleLimits })),
    domainEvents: domainEvents.store,
    profiles: createMemoryProfileStore({ people, limits: peopleLimits }),
    conversationSettings: createMemoryConversationSettingsStore({
      state,
      limits: peopleLimits,
    }),
    moderation: createMemoryModerationStore({ backend }),
    async ping() {
      return true;
    },
    async close() {
      // The backend may be shared with other instances: closing one leaves the data alone.
    },
  };
  return withStorageRuntime(storage, { label: "[lucky-im] [core] memory storage" });
}
