import type { CursorStore } from "../contracts/cursor-store.js";
import type { ImHooks } from "../contracts/hooks.js";

/**
 * Who may see a user's presence and hear about its profile changes. Today: the users who
 * share a conversation with it, plus those the host's `relatedUsers` hook names (its
 * contacts). This is the one place the contacts and privacy work plugs into.
 */
export interface PresenceAudience {
  /** The users related to `userId` (itself excluded), at most `limit`. */
  relatedTo(userId: string): Promise<Set<string>>;
  /** Those of `userIds` that `viewer` may watch (itself always). */
  visibleTo(viewer: string, userIds: readonly string[]): Promise<string[]>;
}

/** What {@link ConversationPresenceAudience} works with. */
export interface PresenceAudienceDeps {
  /** The user's conversations and their participants. */
  cursors: Pick<CursorStore, "conversations" | "participants">;
  /** `relatedUsers`: the host's extra relations (contacts). */
  hooks: Pick<ImHooks, "relatedUsers">;
  /** How many of the user's most recent conversations count. */
  maxConversations: number;
}

/** {@link PresenceAudience} over shared conversations and the host's hook. */
export class ConversationPresenceAudience implements PresenceAudience {
  /** @param deps - the collaborators (see {@link PresenceAudienceDeps}) */
  constructor(private readonly deps: PresenceAudienceDeps) {}

  /** {@inheritDoc PresenceAudience.relatedTo} */
  async relatedTo(userId: string): Promise<Set<string>> {
    const { cursors, hooks, maxConversations } = this.deps;
    const [summaries, extra] = await Promise.all([
      cursors.conversations(userId, { limit: maxConversations }),
      hooks.relatedUsers ? hooks.relatedUsers(userId) : Promise.resolve([]),
    ]);
    const related = new Set<string>(extra);
    const lists = await Promise.all(summaries.map((s) => cursors.participants(s.conversationId)));
    for (const list of lists) for (const peer of list) related.add(peer);
    related.delete(userId);
    return related;
  }

  /** {@inheritDoc PresenceAudience.visibleTo} */
  async visibleTo(viewer: string, userIds: readonly string[]): Promise<string[]> {
    const related = await this.relatedTo(viewer);
    return userIds.filter((id) => id === viewer || related.has(id));
  }
}
