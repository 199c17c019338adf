/** Muted until this time (ms since epoch), for ever, or not muted (null). */
export type MutedUntil = number | "forever" | null;

/** A user's own settings of one conversation; they follow the user to every device. */
export interface ConversationSettings {
  /** The conversation. */
  conversationId: string;
  /** When the user pinned it (ms since epoch; pinned ones list first, newest pin first), or null. */
  pinnedAt: number | null;
  /** Notifications muted until this time, for ever, or null. A past time means not muted. */
  mutedUntil: MutedUntil;
  /** Archived (clients show it apart; the list still returns it). */
  archived: boolean;
  /** The user marked it unread (the engine clears it when the user reads the conversation). */
  markedUnread: boolean;
}

/** The settings to change; absent fields keep their value. */
export interface ConversationSettingsPatch {
  /** Pin (`true` keeps an earlier pin's time) or unpin. */
  pinned?: boolean;
  /** Mute until a time (ms since epoch), for ever, or unmute with null. */
  mutedUntil?: MutedUntil;
  /** Archive or unarchive. */
  archived?: boolean;
  /** Mark unread or clear the mark. */
  markedUnread?: boolean;
}

/** The settings of a conversation the user never changed. */
export function defaultConversationSettings(conversationId: string): ConversationSettings {
  return { conversationId, pinnedAt: null, mutedUntil: null, archived: false, markedUnread: false };
}

/** True when `settings` mute notifications at `now` (ms since epoch). */
export function isMuted(settings: Pick<ConversationSettings, "mutedUntil">, now: number): boolean {
  const { mutedUntil } = settings;
  return mutedUntil === "forever" || (mutedUntil !== null && mutedUntil > now);
}
