import type { ConversationSettingsStore } from "../contracts/conversation-settings-store.js";
import type { ConversationSettings } from "../domain/conversation-settings.js";

interface Entry {
  settings: ConversationSettings | undefined;
  expiresAt: number;
}

/**
 * The conversation settings this node read, per (user, conversation), for a bounded time:
 * `onOffline` learns who muted a conversation, and a `read` learns whether to clear a
 * `markedUnread`, without a store read per message. Updates drop the entry on every node
 * (`settings_changed` broadcast); a missed broadcast is healed by the TTL.
 */
export class SettingsCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param store - where misses are read
   * @param options - `ttlMs`: how long an entry is trusted; `maxEntries`: the bound (oldest dropped first)
   */
  constructor(
    private readonly store: Pick<ConversationSettingsStore, "get">,
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {}

  /** The user's settings of the conversation (undefined: not in it), cached. */
  get(
    userId: string,
    conversationId: string,
  ): ConversationSettings | undefined | Promise<ConversationSettings | undefined> {
    const key = `${userId}\n${conversationId}`;
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && entry.expiresAt > now) return entry.settings;
    return this.store.get(userId, [conversationId]).then(([settings]) => {
      this.put(key, settings, Date.now());
      return settings;
    });
  }

  /** Stores what an update wrote (the node that wrote it knows the value). */
  set(userId: string, settings: ConversationSettings): void {
    this.put(`${userId}\n${settings.conversationId}`, settings, Date.now());
  }

  /** Drops the entry (changed elsewhere). */
  invalidate(userId: string, conversationId: string): void {
    this.entries.delete(`${userId}\n${conversationId}`);
  }

  private put(key: string, settings: ConversationSettings | undefined, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { settings, expiresAt: now + this.options.ttlMs });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
