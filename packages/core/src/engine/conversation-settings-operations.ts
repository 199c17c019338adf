import type {
  ConversationSettings,
  ConversationSettingsPatch,
} from "../domain/conversation-settings.js";

/** A user's own conversation settings, for the host application (`im.conversationSettings`). */
export interface ConversationSettingsOperations {
  /** The user's settings in the listed conversations (or all it is in); defaults when never changed. */
  get(userId: string, conversationIds?: readonly string[]): Promise<ConversationSettings[]>;
  /**
   * Changes the user's settings of a conversation it is in (`not_found` otherwise, `conflict`
   * past the pin limit, `bad_request` on a malformed patch). Every session of the user, on
   * every node, gets a `conversation_settings` frame.
   */
  update(
    userId: string,
    conversationId: string,
    patch: ConversationSettingsPatch,
  ): Promise<ConversationSettings>;
}
