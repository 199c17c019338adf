import { conversationIdFor } from "../domain/conversation.js";
import { isManager } from "../domain/group.js";
import type { MessageDraft } from "../domain/message.js";
import { ImError } from "../errors.js";
import type { MessageBody, SendFrame, Target } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { newMessageId } from "./message-ids.js";
import { applyBeforeSend, publishStored } from "./message-submission.js";
import { checkDirectReach } from "./relation-checks.js";
import { resolveSendReferences } from "./send-references.js";
import type { Session } from "./session.js";

/**
 * The participants of a send to `to`, after checking that `from` may send
 * there (group membership, member mute, mute-all). Throws an ImError otherwise.
 */
export async function resolveParticipants(
  core: EngineCore,
  from: string,
  to: Target,
  now: number,
): Promise<string[]> {
  if (to.type === "user") return to.id === from ? [from] : [from, to.id];
  let group = await core.groupCache.get(to.id);
  // A sender the cache does not know may have joined on another node a moment ago:
  // ask the store before refusing (only refusals pay this read).
  if (!group?.members.has(from)) group = await core.groupCache.reload(to.id);
  if (!group) throw new ImError("not_found", `group ${to.id} does not exist`);
  const member = group.members.get(from);
  if (!member) throw new ImError("forbidden", `not a member of group ${to.id}`);
  if (member.mutedUntil !== undefined && member.mutedUntil > now) {
    throw new ImError(
      "forbidden",
      `muted in group ${to.id} until ${new Date(member.mutedUntil).toISOString()}`,
    );
  }
  if (group.mutedAll && !isManager(member.role)) {
    throw new ImError("forbidden", `only the owner and admins may post in group ${to.id}`, {
      details: { reason: "admins_only" },
    });
  }
  return group.memberIds;
}

/** Checks a body against the accepted types and `maxBodyBytes` (`bad_request`, `too_large`). */
export function checkBody(core: EngineCore, body: MessageBody, frameLength: number): void {
  if (!core.allowedBodyTypes.has(body.type)) {
    throw new ImError("bad_request", `message type "${body.type}" is not accepted here`);
  }
  // The frame holds the body, so a frame whose UTF-8 size (at most 3 bytes per UTF-16
  // unit) is within the limit needs no measuring.
  if (frameLength * 3 > core.limits.maxBodyBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(body));
    if (bytes > core.limits.maxBodyBytes) {
      throw new ImError(
        "too_large",
        `message body is ${bytes} bytes; the limit is ${core.limits.maxBodyBytes}`,
      );
    }
  }
}

/**
 * `send`: validate, authorize, store the message with its outbox entry in
 * one call, answer `sent`, then deliver at once. The sender is always the
 * authenticated user. A repeated `cid` answers the same `sent` and delivers
 * nothing again.
 */
export async function handleSend(
  core: EngineCore,
  session: Session,
  frame: SendFrame,
  frameLength: number,
): Promise<void> {
  const principal = session.principal!;
  const from = principal.userId;
  const receivedAt = Date.now();
  try {
    checkBody(core, frame.body, frameLength);
    // A direct send needs no lookup (no await, no promise) once the pair is known to
    // have talked; a first message to a stranger counts against a per-sender budget.
    if (frame.to.type === "user") {
      // Blocks and privacy first: a refused stranger must not spend the sender's budget.
      const reach = checkDirectReach(core.relations, from, frame.to.id);
      if (reach) await reach;
      const known = core.unsolicited.checkDirect(from, frame.to.id);
      if (known) await known;
    }
    const participants =
      frame.to.type === "user"
        ? frame.to.id === from
          ? [from]
          : [from, frame.to.id]
        : await resolveParticipants(core, from, frame.to, receivedAt);
    const conversationId = conversationIdFor(from, frame.to);
    // Without a hook no await: a send costs no extra promise and microtask.
    const body = core.hooks.beforeSend
      ? await applyBeforeSend(core, principal, frame.to, conversationId, frame.body)
      : frame.body;
    const draft: MessageDraft = {
      messageId: newMessageId(),
      conversationId,
      from,
      to: { type: frame.to.type, id: frame.to.id },
      body,
      cid: frame.cid,
      ts: receivedAt,
      participants,
    };
    if (frame.replyTo !== undefined || frame.mentions !== undefined) {
      Object.assign(
        draft,
        await resolveSendReferences(core, from, conversationId, participants, frame),
      );
    }
    const result = await core.storage.messages.append(draft);
    const message = result.message;
    core.delivery.answerSent(
      session,
      {
        cid: message.cid,
        messageId: message.messageId,
        conversationId: message.conversationId,
        seq: message.seq,
        ts: message.ts,
      },
      // A repeated cid's receipt has usually gone already: its answer does not wait for one.
      frame.to.type === "user" && frame.to.id !== from && result.created ? frame.to.id : undefined,
    );
    publishStored(core, draft, result, {
      receivedAt,
      exceptSessionId: session.id,
      senderReads: true,
    });
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}
