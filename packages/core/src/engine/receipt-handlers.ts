import { parseConversationId } from "../domain/conversation.js";
import { ImError } from "../errors.js";
import type { AckFrame, ReadFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import type { Session } from "./session.js";

/** True when the user takes part in the conversation (a direct one names them; a group has them as member). */
export async function isParticipant(
  core: EngineCore,
  userId: string,
  conversationId: string,
): Promise<boolean> {
  const parsed = parseConversationId(conversationId);
  if (parsed.kind === "direct") return parsed.userIds.includes(userId);
  const group = await core.groupCache.get(parsed.groupId);
  return group?.members.has(userId) ?? false;
}

/**
 * Whether the session's user may move a cursor in the conversation (else it gets
 * `forbidden`). Synchronous for a direct conversation (its id names both users)
 * and for a group in the membership cache; otherwise the group is loaded.
 */
function checkParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
): boolean | Promise<boolean> {
  let parsed: ReturnType<typeof parseConversationId>;
  try {
    parsed = parseConversationId(conversationId);
  } catch (error) {
    core.replies.error(session, error);
    return false;
  }
  let member: boolean;
  if (parsed.kind === "direct") {
    member = parsed.userIds.includes(session.userId!);
  } else {
    const cached = core.groupCache.peek(parsed.groupId);
    if (!cached) return checkGroupParticipant(core, session, conversationId);
    member = cached.members.has(session.userId!);
  }
  if (member) return true;
  core.replies.error(session, new ImError("forbidden", "not a participant of this conversation"));
  return false;
}

async function checkGroupParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
): Promise<boolean> {
  try {
    if (await isParticipant(core, session.userId!, conversationId)) return true;
    core.replies.error(session, new ImError("forbidden", "not a participant of this conversation"));
  } catch (error) {
    core.replies.error(session, error);
  }
  return false;
}

/** Queues the cursor write once the participant check passed (at once for a direct conversation). */
function whenParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
  write: () => void,
): void | Promise<void> {
  const allowed = checkParticipant(core, session, conversationId);
  if (allowed === true) {
    write();
    return;
  }
  if (allowed === false) return;
  return allowed.then((ok) => {
    if (ok) write();
  });
}

/**
 * `ack`: cumulative. Stops re-pushes the ack covers and raises the user's
 * delivered cursor (written in batches; the `delivered` receipt goes out
 * with the batch). Only participants may ack: receipts must not be forged.
 */
export function handleAck(
  core: EngineCore,
  session: Session,
  frame: AckFrame,
): void | Promise<void> {
  const userId = session.userId!;
  core.delivery.acknowledge(session, frame.conversationId, frame.seq);
  return whenParticipant(core, session, frame.conversationId, () =>
    core.cursorWrites.delivered({
      userId,
      conversationId: frame.conversationId,
      seq: frame.seq,
    }),
  );
}

/** `read`: raises the read cursor (batched); the other participants get a `read` receipt with the batch. */
export function handleRead(
  core: EngineCore,
  session: Session,
  frame: ReadFrame,
): void | Promise<void> {
  const userId = session.userId!;
  core.delivery.acknowledge(session, frame.conversationId, frame.seq);
  return whenParticipant(core, session, frame.conversationId, () => {
    core.cursorWrites.read({
      userId,
      conversationId: frame.conversationId,
      seq: frame.seq,
    });
    // Reading clears a "mark unread" (free when the node's cache knows there is none).
    const cleared = core.conversationSettings.readBy(userId, frame.conversationId);
    if (cleared) void core.tasks.track(cleared);
  });
}
