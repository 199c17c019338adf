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

async function checkParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
): Promise<boolean> {
  try {
    if (await isParticipant(core, session.userId!, conversationId)) return true;
    core.sendError(session, new ImError("forbidden", "not a participant of this conversation"));
  } catch (error) {
    core.sendError(session, error);
  }
  return false;
}

/**
 * `ack`: cumulative. Stops re-pushes the ack covers and raises the user's
 * delivered cursor (written in batches; the `delivered` receipt goes out
 * with the batch). Only participants may ack: receipts must not be forged.
 */
export async function handleAck(
  core: EngineCore,
  session: Session,
  frame: AckFrame,
): Promise<void> {
  const userId = session.userId!;
  core.delivery.acknowledge(session, frame.conversationId, frame.seq);
  if (!(await checkParticipant(core, session, frame.conversationId))) return;
  core.deliveredWrites.add(`${userId}\u0000${frame.conversationId}`, {
    userId,
    conversationId: frame.conversationId,
    seq: frame.seq,
  });
}

/** `read`: raises the read cursor (batched); the other participants get a `read` receipt with the batch. */
export async function handleRead(
  core: EngineCore,
  session: Session,
  frame: ReadFrame,
): Promise<void> {
  const userId = session.userId!;
  core.delivery.acknowledge(session, frame.conversationId, frame.seq);
  if (!(await checkParticipant(core, session, frame.conversationId))) return;
  core.readWrites.add(`${userId}\u0000${frame.conversationId}`, {
    userId,
    conversationId: frame.conversationId,
    seq: frame.seq,
  });
}
