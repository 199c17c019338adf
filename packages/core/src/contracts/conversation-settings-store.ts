import type {
  ConversationSettings,
  ConversationSettingsPatch,
} from "../domain/conversation-settings.js";

/**
 * A user's own settings per conversation: pin, mute, archive, mark unread.
 * They are stored with the user's cursor of the conversation (so that
 * `CursorStore.conversations` returns them and sorts pinned conversations
 * first in the same query), which means they exist only while the user is in
 * the conversation: leaving a group drops them.
 */
export interface ConversationSettingsStore {
  /**
   * The user's settings in every conversation they are in, or only in the listed ones
   * (conversations the user is not in are left out). Conversations never changed
   * come back with the defaults (`defaultConversationSettings`).
   */
  get(userId: string, conversationIds?: readonly string[]): Promise<ConversationSettings[]>;
  /**
   * Applies the fields present in `patch` in one transaction and resolves with the stored
   * settings. `pinned: true` sets `pinnedAt` to `now` unless already pinned. Rejects with
   * `not_found` when the user is not in the conversation, `conflict` when pinning one more
   * conversation than `maxPinned` (`details.limit`), `bad_request` on a malformed patch.
   */
  update(
    userId: string,
    conversationId: string,
    patch: ConversationSettingsPatch,
    now: number,
  ): Promise<ConversationSettings>;
}
