import type { ConversationSettingsStore } from "../contracts/conversation-settings-store.js";
import {
  type ConversationSettings,
  defaultConversationSettings,
} from "../domain/conversation-settings.js";
import {
  checkSettingsPatch,
  checkTime,
  checkUserId,
  type PeopleLimits,
} from "../domain/people-limits.js";
import { ImError } from "../errors.js";
import type { MemoryStorageState, StoredCursor } from "./memory-storage-backend.js";

/** @internal What the memory settings store needs from its storage. */
export interface MemoryConversationSettingsStoreContext {
  state: MemoryStorageState;
  limits: PeopleLimits;
}

/** @internal The settings stored on a cursor, or the defaults. */
export function settingsOf(conversationId: string, cursor: StoredCursor): ConversationSettings {
  return cursor.settings
    ? { conversationId, ...cursor.settings }
    : defaultConversationSettings(conversationId);
}

/** @internal The in-memory {@link ConversationSettingsStore}: settings live on the cursors. */
export function createMemoryConversationSettingsStore(
  context: MemoryConversationSettingsStoreContext,
): ConversationSettingsStore {
  const { state, limits } = context;

  return {
    async get(userId, conversationIds) {
      const ids = conversationIds ?? [...(state.conversationsByUser.get(userId) ?? [])];
      return [...new Set(ids)].flatMap((conversationId) => {
        const cursor = state.cursorsByConversation.get(conversationId)?.get(userId);
        return cursor ? [settingsOf(conversationId, cursor)] : [];
      });
    },

    async update(userId, conversationId, patch, now) {
      checkUserId(userId, "update");
      checkTime(now, "now");
      checkSettingsPatch(patch);
      const cursor = state.cursorsByConversation.get(conversationId)?.get(userId);
      if (!cursor) {
        throw new ImError(
          "not_found",
          `[lucky-im] [core] settings: "${userId}" is not in "${conversationId}"`,
        );
      }
      const { conversationId: _, ...current } = settingsOf(conversationId, cursor);
      if (patch.pinned === true && current.pinnedAt === null) {
        let pinned = 0;
        for (const id of state.conversationsByUser.get(userId) ?? []) {
          if (state.cursorsByConversation.get(id)?.get(userId)?.settings?.pinnedAt != null)
            pinned++;
        }
        if (pinned >= limits.maxPinned) {
          throw new ImError(
            "conflict",
            `[lucky-im] [core] settings: too many pinned conversations`,
            {
              details: { limit: limits.maxPinned },
            },
          );
        }
        current.pinnedAt = now;
      }
      if (patch.pinned === false) current.pinnedAt = null;
      if (patch.mutedUntil !== undefined) current.mutedUntil = patch.mutedUntil;
      if (patch.archived !== undefined) current.archived = patch.archived;
      if (patch.markedUnread !== undefined) current.markedUnread = patch.markedUnread;
      cursor.settings = current;
      return { conversationId, ...current };
    },
  };
}
