import type { SendContext } from "../contracts/hooks.js";
import type { AppendResult, MessageDraft } from "../domain/message.js";
import type { Principal } from "../domain/session.js";
import type { MessageBody } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { checkBody } from "./send-handler.js";

/**
 * The host's `beforeSend` hook over a send that passed the engine's checks: the body to
 * store (the hook's replacement, checked again, or the one given). Throws what the hook throws.
 */
export async function applyBeforeSend(
  core: EngineCore,
  principal: Principal,
  to: SendContext["to"],
  conversationId: string,
  body: MessageBody,
  origin?: "server",
): Promise<MessageBody> {
  if (!core.hooks.beforeSend) return body;
  const context: SendContext = { principal, to, conversationId, body };
  if (origin !== undefined) context.origin = origin;
  const replaced = await core.hooks.beforeSend(context);
  if (!replaced) return body;
  checkBody(core, replaced, Number.POSITIVE_INFINITY);
  return replaced;
}

/** How {@link publishStored} treats the sender of a stored message. */
export interface PublishOptions {
  /** When the send was received (for the `message` event's latency). */
  receivedAt: number;
  /** The sending session, which got `sent` instead of the `message` frame. */
  exceptSessionId?: string;
  /** The sender has a cursor in the conversation: keep their unread count at zero. */
  senderReads: boolean;
}

/**
 * After `storage.messages.append` created a message (with its outbox entry, in one call):
 * count it, emit `message`, keep the sender's unread count at zero, and deliver it now
 * through the settlement (which marks the outbox entry sent, or leaves it to the relay of
 * any node). Shared by the `send` frame and the server-side send: one path, one guarantee.
 * Does nothing for an append that found the `cid` already stored.
 */
export function publishStored(
  core: EngineCore,
  draft: MessageDraft,
  result: AppendResult,
  options: PublishOptions,
): void {
  if (!result.created) return;
  const message = result.message;
  core.stats.messagesStored++;
  core.events.emit("message", message, Date.now() - options.receivedAt);
  if (options.senderReads) {
    core.cursorWrites.read({
      userId: message.from,
      conversationId: message.conversationId,
      seq: message.seq,
      silent: true,
    });
  }
  const dispatched = core.messages.dispatch(
    message,
    draft.participants,
    result.outboxId,
    options.exceptSessionId,
  );
  if (dispatched instanceof Promise) void core.tasks.track(dispatched);
}
