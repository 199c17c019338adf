/**
 * Where the client keeps its sync cursors between runs: per user, per
 * conversation, the highest contiguous `seq` delivered to the application.
 * A reopened app loads them and `sync`s from there, so it does not download
 * history again.
 *
 * Implementations MUST keep, per (user, conversation), the highest seq ever
 * saved (a lower one MUST NOT overwrite a higher one), and MUST keep users
 * apart.
 */
export interface ClientCursorStore {
  /** The saved cursors of `userId` (`{}` when none). */
  load(userId: string): Promise<Record<string, number>>;
  /** Merges `cursors` into the saved ones of `userId`, keeping the higher seq of each. */
  save(userId: string, cursors: Record<string, number>): Promise<void>;
  /** Forgets the cursors of `userId` (for example on logout). */
  clear(userId: string): Promise<void>;
}

/** Merges `update` into `target` in place, keeping the higher seq per conversation. */
export function mergeCursors(target: Record<string, number>, update: Record<string, number>): void {
  for (const [conversationId, seq] of Object.entries(update)) {
    const current = Object.hasOwn(target, conversationId) ? target[conversationId] : undefined;
    if (current === undefined || seq > current) target[conversationId] = seq;
  }
}

/**
 * A {@link ClientCursorStore} in memory: the default. Cursors survive
 * reconnects of the same process, not a restart.
 */
export function createMemoryCursorStore(): ClientCursorStore {
  const byUser = new Map<string, Record<string, number>>();
  return {
    async load(userId) {
      return { ...(byUser.get(userId) ?? {}) };
    },
    async save(userId, cursors) {
      let saved = byUser.get(userId);
      if (!saved) {
        saved = Object.create(null) as Record<string, number>;
        byUser.set(userId, saved);
      }
      mergeCursors(saved, cursors);
    },
    async clear(userId) {
      byUser.delete(userId);
    },
  };
}
