import type { AckFrame, ReadFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import type { Session } from "./session.js";

/**
 * `ack`: cumulative. Stops re-pushes the ack covers and raises the user's
 * delivered cursor (written in batches; the `delivered` receipt goes out
 * with the batch).
 */
export function handleAck(core: EngineCore, session: Session, frame: AckFrame): void {
  const userId = session.userId!;
  core.delivery.acknowledge(session, frame.conversationId, frame.seq);
  core.deliveredWrites.add(`${userId}\u0000${frame.conversationId}`, {
    userId,
    conversationId: frame.conversationId,
    seq: frame.seq,
  });
}

/** `read`: raises the read cursor (batched); the other participants get a `read` receipt with the batch. */
export function handleRead(core: EngineCore, session: Session, frame: ReadFrame): void {
  const userId = session.userId!;
  core.delivery.acknowledge(session, frame.conversationId, frame.seq);
  core.readWrites.add(`${userId}\u0000${frame.conversationId}`, {
    userId,
    conversationId: frame.conversationId,
    seq: frame.seq,
  });
}
