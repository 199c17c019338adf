import { randomUUID } from "node:crypto";
import type { DomainEventStore } from "../contracts/domain-event-store.js";
import type { DomainEvent, DomainEventKind, NewDomainEvent } from "../domain/domain-event.js";
import { cloneValue } from "./clone-value.js";
import type { MemoryStorageBackend } from "./memory-storage-backend.js";

interface StoredEvent {
  event: DomainEvent;
  leaseUntil?: number;
}

/** @internal The domain events of one backend (shared by the storages over it, like a table). */
interface DomainEventState {
  /** Insertion ordered: claims take the oldest first. */
  events: Map<string, StoredEvent>;
  /** coalesceKey -> id of the pending event with that key. */
  byKey: Map<string, string>;
}

const states = new WeakMap<MemoryStorageBackend, DomainEventState>();

function stateOf(backend: MemoryStorageBackend): DomainEventState {
  let state = states.get(backend);
  if (!state) {
    state = { events: new Map(), byKey: new Map() };
    states.set(backend, state);
  }
  return state;
}

/** @internal The memory {@link DomainEventStore} plus the recorder its storage's writes call. */
export interface MemoryDomainEvents {
  store: DomainEventStore;
  /** The kinds enabled on this storage instance. */
  enabled(): ReadonlySet<DomainEventKind>;
  /** Records events of a write (synchronously, right after it: one step, like a transaction). */
  record(events: readonly NewDomainEvent[]): void;
}

/** @internal Creates the memory domain event outbox of one storage instance. */
export function createMemoryDomainEvents(context: {
  backend: MemoryStorageBackend;
  now(): number;
}): MemoryDomainEvents {
  const state = stateOf(context.backend);
  const enabled = new Set<DomainEventKind>();

  function record(events: readonly NewDomainEvent[]): void {
    for (const event of events) {
      const key = event.coalesceKey;
      const existingId = key === undefined ? undefined : state.byKey.get(key);
      const existing = existingId === undefined ? undefined : state.events.get(existingId);
      if (existing) {
        if ((event.order ?? 0) >= (existing.event.order ?? 0)) {
          const { id, revision } = existing.event;
          existing.event = { ...cloneValue(event), id, revision: revision + 1 };
          delete existing.leaseUntil;
        }
        continue;
      }
      const id = randomUUID();
      state.events.set(id, { event: { ...cloneValue(event), id, revision: 0 } });
      if (key !== undefined) state.byKey.set(key, id);
    }
  }

  const store: DomainEventStore = {
    enable(kinds) {
      for (const kind of kinds) enabled.add(kind);
    },
    enabledKinds() {
      return [...enabled];
    },
    async claim({ limit, leaseMs, kinds }) {
      const now = context.now();
      const claimed: DomainEvent[] = [];
      for (const stored of state.events.values()) {
        if (claimed.length >= limit) break;
        if (stored.leaseUntil !== undefined && stored.leaseUntil > now) continue;
        if (kinds && !kinds.includes(stored.event.kind)) continue;
        stored.leaseUntil = now + leaseMs;
        claimed.push(cloneValue(stored.event));
      }
      return claimed;
    },
    async settle(events) {
      for (const { id, revision } of events) {
        const stored = state.events.get(id);
        if (!stored || stored.event.revision !== revision) continue;
        state.events.delete(id);
        const key = stored.event.coalesceKey;
        if (key !== undefined && state.byKey.get(key) === id) state.byKey.delete(key);
      }
    },
    async pending() {
      return state.events.size;
    },
  };
  return { store, enabled: () => enabled, record };
}
