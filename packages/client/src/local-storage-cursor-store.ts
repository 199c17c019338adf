import { type ClientCursorStore, mergeCursors } from "./cursor-store.js";

/** The part of the Web Storage API (`localStorage`) the store uses. */
export interface StorageLike {
  /** The stored value, or null. */
  getItem(key: string): string | null;
  /** Stores a value. */
  setItem(key: string, value: string): void;
  /** Deletes a value. */
  removeItem(key: string): void;
}

/** Options of {@link createLocalStorageCursorStore}. */
export interface LocalStorageCursorStoreOptions {
  /**
   * The storage to use (any object with `getItem`, `setItem`, `removeItem`).
   * @default globalThis.localStorage
   */
  storage?: StorageLike;
  /**
   * Prefix of the keys; one key per user: `<prefix><userId>`.
   * @default "lucky-im:cursors:"
   */
  prefix?: string;
}

function parse(text: string | null): Record<string, number> {
  const result = Object.create(null) as Record<string, number>;
  if (!text) return result;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, seq] of Object.entries(value)) {
        // A corrupted or hand-edited entry is dropped rather than trusted.
        if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) result[key] = seq;
      }
    }
  } catch {
    // Unreadable JSON: start over; the worst case is a sync from the server's cursor.
  }
  return result;
}

/**
 * A {@link ClientCursorStore} over `localStorage` (browsers), one JSON entry per
 * user, so a reopened tab resumes from where it was.
 *
 * @example
 * ```ts
 * const client = createImClient({ cursorStore: createLocalStorageCursorStore() });
 * ```
 */
export function createLocalStorageCursorStore(
  options: LocalStorageCursorStoreOptions = {},
): ClientCursorStore {
  const prefix = options.prefix ?? "lucky-im:cursors:";
  const resolveStorage = (): StorageLike => {
    const storage = options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
    if (!storage) {
      throw new Error("[lucky-im] [client] no localStorage here; pass the `storage` option");
    }
    return storage;
  };
  return {
    async load(userId) {
      return parse(resolveStorage().getItem(prefix + userId));
    },
    async save(userId, cursors) {
      const storage = resolveStorage();
      // Read-merge-write so that two tabs of the same user never move a cursor back.
      const saved = parse(storage.getItem(prefix + userId));
      mergeCursors(saved, cursors);
      storage.setItem(prefix + userId, JSON.stringify(saved));
    },
    async clear(userId) {
      resolveStorage().removeItem(prefix + userId);
    },
  };
}
