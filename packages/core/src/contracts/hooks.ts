import type { Message } from "../domain/message.js";
import type { Principal } from "../domain/session.js";
import type { MessageBody, Target } from "../protocol/schemas.js";

/** What {@link ImHooks.beforeSend} sees. */
export interface SendContext {
  /** Who sends. */
  principal: Principal;
  /** The user or group it is sent to. */
  to: Target;
  /** The conversation it goes to. */
  conversationId: string;
  /** The content, as received. */
  body: MessageBody;
}

/** What {@link ImHooks.onOffline} learns besides the message and the offline users. */
export interface OfflineContext {
  /**
   * The offline users who muted the conversation (`mutedUntil` in the future or `"forever"`):
   * skip or silence their push. Read from a per-node cache of settings, not the store per message.
   */
  muted: ReadonlySet<string>;
  /** The offline users the message mentions, by id or with `all` (docs/protocol.md §13.5): a push may override their mute. */
  mentioned: string[];
}

/**
 * Hooks the host application sets. They run on the hot path: keep them fast.
 */
export interface ImHooks {
  /**
   * Authorize or moderate a send after the engine's own checks. Throw an
   * `ImError` (for example `forbidden`) to refuse; return a body to replace
   * the one sent (for example a filtered text); return nothing to accept.
   */
  beforeSend?(context: SendContext): Promise<MessageBody | undefined>;
  /**
   * Recipients of a stored message who had no online session when it was
   * delivered: the place for push notifications. Errors are reported, never
   * fail the send. `context.muted` names those of `userIds` who muted the conversation, `context.mentioned` those of `userIds` the message
   * mentions (by id or `all`), so a push can override a mute.
   */
  onOffline?(message: Message, userIds: string[], context: OfflineContext): Promise<void>;
  /** Authorize a call signal; throw an `ImError` to refuse. */
  beforeSignal?(principal: Principal, to: string, callId: string): Promise<void>;
  /**
   * Users the host relates to `userId` besides those who share a conversation with it
   * (its contacts): they may watch its presence and get its `profile` frames. The engine
   * asks when a session subscribes to presence and when a profile changes.
   */
  relatedUsers?(userId: string): Promise<readonly string[]>;
}
