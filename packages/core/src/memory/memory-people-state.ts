import type { BlockEntry, Contact, ContactRequest, PrivacyPolicy } from "../domain/contact.js";
import type { Profile } from "../domain/profile.js";
import type { MemoryStorageBackend } from "./memory-storage-backend.js";

/** @internal The contacts, blocks, privacy policies and profiles of a memory backend. */
export interface MemoryPeopleState {
  /** `${fromId}\u0000${toId}` -> the request. */
  requests: Map<string, ContactRequest>;
  /** userId -> contactId -> that user's side of the contact. */
  contacts: Map<string, Map<string, Contact>>;
  /** userId -> blockedId -> the block. */
  blocks: Map<string, Map<string, BlockEntry>>;
  privacy: Map<string, PrivacyPolicy>;
  profiles: Map<string, Profile>;
}

// Kept apart from the message state so that the people stores add no field to it.
const states = new WeakMap<MemoryStorageBackend, MemoryPeopleState>();

/** @internal The people state of a backend, created on first use. */
export function peopleState(backend: MemoryStorageBackend): MemoryPeopleState {
  let state = states.get(backend);
  if (!state) {
    state = {
      requests: new Map(),
      contacts: new Map(),
      blocks: new Map(),
      privacy: new Map(),
      profiles: new Map(),
    };
    states.set(backend, state);
  }
  return state;
}

/** @internal The key of a request in {@link MemoryPeopleState.requests}. */
export function requestKey(fromId: string, toId: string): string {
  return `${fromId}\u0000${toId}`;
}

/** @internal Ascending by `key`, after `after`, at most `limit`. */
export function pageBy<T>(
  items: Iterable<T>,
  key: (item: T) => string,
  after: string | undefined,
  limit: number,
): T[] {
  return [...items]
    .filter((item) => after === undefined || key(item) > after)
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .slice(0, limit);
}
