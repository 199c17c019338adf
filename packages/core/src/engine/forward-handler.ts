import { conversationIdFor } from "../domain/conversation.js";
import type { AppendResult, MessageDraft } from "../domain/message.js";
import type { ForwardOrigin } from "../domain/message-change.js";
import { ImError } from "../errors.js";
import type { ForwardedFrame, ForwardFrame, MessageBody, Target } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { accessMessage } from "./message-access.js";
import { newMessageId } from "./message-ids.js";
import { checkDirectReach } from "./relation-checks.js";
import { checkBody, resolveParticipants } from "./send-handler.js";
import type { Session } from "./session.js";

/** One checked target of a forward: where the copy goes and who gets it. */
interface ForwardTarget {
  to: Target;
  conversationId: string;
  participants: string[];
  body: MessageBody;
}

/**
 * The `cid` of the copy that goes to `conversationId`: one per target, derived from the
 * frame's `cid`, so a repeated `forward` (same `cid`) stores nothing twice.
 */
export function forwardCopyCid(cid: string, conversationId: string): string {
  return `${cid}>${conversationId}`;
}

/**
 * `forward` (docs/protocol.md §13.2): copies a message the user can read into each target
 * the user may send to, marked `forwarded`. Every target is checked (blocks, privacy,
 * membership, mutes, the `beforeSend` hook) before anything is stored, so a refused target
 * stores no copy anywhere; then each copy is appended with its outbox entry, the sender gets
 * one `forwarded` frame, and each copy is delivered like a sent message (the sender's other
 * sessions, and this one, get it as a `message`). The body is shared, not copied: a media
 * body keeps pointing at the same file.
 */
export async function handleForward(
  core: EngineCore,
  session: Session,
  frame: ForwardFrame,
): Promise<void> {
  const principal = session.principal!;
  const from = principal.userId;
  const receivedAt = Date.now();
  try {
    const { maxForwardTargets } = core.limits;
    if (frame.to.length > maxForwardTargets) {
      throw new ImError(
        "too_large",
        `a forward has at most ${maxForwardTargets} targets; this one has ${frame.to.length}`,
      );
    }
    const conversationIds = frame.to.map((to) => conversationIdFor(from, to));
    if (new Set(conversationIds).size !== conversationIds.length) {
      throw new ImError("bad_request", "each forward target may appear once");
    }
    // Read access first: a message the user cannot read looks like one that does not exist.
    const { message: original } = await accessMessage(core, from, frame.messageId);
    if (original.recalled) throw new ImError("conflict", "a recalled message cannot be forwarded");
    checkBody(core, original.body, Number.POSITIVE_INFINITY);
    const origin: ForwardOrigin = original.forwarded
      ? { ...original.forwarded }
      : { messageId: original.messageId, conversationId: original.conversationId };
    if (!core.forwardShowsSender) delete origin.from;
    else if (!original.forwarded) origin.from = original.from;

    const targets: ForwardTarget[] = [];
    for (const [i, to] of frame.to.entries()) {
      targets.push(await checkTarget(core, session, to, conversationIds[i]!, original.body));
    }
    // The budget counts copies, and is spent only once every target was accepted.
    const budget = await core.forwardLimiter.consume(from, targets.length);
    if (!budget.allowed) {
      throw new ImError("rate_limited", "too many forwarded messages; slow down");
    }

    const results: AppendResult[] = [];
    for (const target of targets) {
      const draft: MessageDraft = {
        messageId: newMessageId(),
        conversationId: target.conversationId,
        from,
        to: { type: target.to.type, id: target.to.id },
        body: target.body,
        cid: forwardCopyCid(frame.cid, target.conversationId),
        ts: Date.now(),
        participants: target.participants,
        forwarded: origin,
      };
      results.push(await core.storage.messages.append(draft));
    }
    const answer: ForwardedFrame = {
      type: "forwarded",
      cid: frame.cid,
      messages: results.map(({ message }) => ({
        messageId: message.messageId,
        conversationId: message.conversationId,
        seq: message.seq,
        ts: message.ts,
      })),
    };
    core.replies.send(session, answer);
    for (const [i, result] of results.entries()) {
      if (!result.created) continue;
      const message = result.message;
      core.stats.messagesStored++;
      core.events.emit("message", message, Date.now() - receivedAt);
      core.cursorWrites.read({
        userId: from,
        conversationId: message.conversationId,
        seq: message.seq,
        silent: true,
      });
      const dispatched = core.messages.dispatch(
        message,
        targets[i]!.participants,
        result.outboxId,
        undefined,
      );
      if (dispatched instanceof Promise) void core.tasks.track(dispatched);
    }
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}

/** Checks that the user may send to `to` (as `send` does) and runs the `beforeSend` hook. */
async function checkTarget(
  core: EngineCore,
  session: Session,
  to: Target,
  conversationId: string,
  body: MessageBody,
): Promise<ForwardTarget> {
  const principal = session.principal!;
  const from = principal.userId;
  let participants: string[];
  if (to.type === "user") {
    if (to.id !== from) {
      const reach = checkDirectReach(core.relations, from, to.id);
      if (reach) await reach;
      const known = core.unsolicited.checkDirect(from, to.id);
      if (known) await known;
    }
    participants = to.id === from ? [from] : [from, to.id];
  } else {
    participants = await resolveParticipants(core, from, to, Date.now());
  }
  let checked = body;
  if (core.hooks.beforeSend) {
    const replaced = await core.hooks.beforeSend({ principal, to, conversationId, body });
    if (replaced) {
      checkBody(core, replaced, Number.POSITIVE_INFINITY);
      checked = replaced;
    }
  }
  return { to, conversationId, participants, body: checked };
}
