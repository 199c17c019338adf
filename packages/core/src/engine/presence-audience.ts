import type { CursorStore } from "../contracts/cursor-store.js";
import type { ImHooks } from "../contracts/hooks.js";
import { parseConversationId } from "../domain/conversation.js";
import type { GroupCache } from "./group-cache.js";

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
  /** The user's conversations. */
  cursors: Pick<CursorStore, "conversations">;
  /** Group members, cached per node (a direct conversation's id names its two users). */
  groups: Pick<GroupCache, "get">;
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
    // One store read for the list; participants come from the ids and the group cache.
    const groupLoads: Promise<void>[] = [];
    for (const { conversationId } of summaries) {
      const parsed = parseConversationId(conversationId);
      if (parsed.kind === "direct") {
        for (const peer of parsed.userIds) related.add(peer);
      } else {
        groupLoads.push(
          this.deps.groups.get(parsed.groupId).then((group) => {
            for (const peer of group?.memberIds ?? []) related.add(peer);
          }),
        );
      }
    }
    await Promise.all(groupLoads);
    related.delete(userId);
    return related;
  }

  /** {@inheritDoc PresenceAudience.visibleTo} */
  async visibleTo(viewer: string, userIds: readonly string[]): Promise<string[]> {
    const related = await this.relatedTo(viewer);
    return userIds.filter((id) => id === viewer || related.has(id));
  }
}
