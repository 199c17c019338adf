import { conversationIdFor } from "../domain/conversation.js";
import type { PingFrame, SignalFrame, TypingFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { checkDirectReach } from "./relation-checks.js";
import { resolveParticipants } from "./send-handler.js";
import type { Session } from "./session.js";

/** `typing`: tell the other participant(s); never stored. */
export async function handleTyping(
  core: EngineCore,
  session: Session,
  frame: TypingFrame,
): Promise<void> {
  try {
    const from = session.userId!;
    if (frame.to.type === "user") await checkDirectReach(core.relations, from, frame.to.id);
    const participants = await resolveParticipants(core, from, frame.to, Date.now());
    const others = participants.filter((u) => u !== from);
    await core.delivery.deliverFrame(others, {
      type: "typing",
      conversationId: conversationIdFor(from, frame.to),
      from,
    });
  } catch (error) {
    core.replies.error(session, error);
  }
}

/** `signal`: WebRTC call signalling relayed to the target's sessions; never stored. */
export async function handleSignal(
  core: EngineCore,
  session: Session,
  frame: SignalFrame,
): Promise<void> {
  try {
    const principal = session.principal!;
    await checkDirectReach(core.relations, principal.userId, frame.to.id);
    await core.unsolicited.checkSignal(principal.userId, frame.to.id, frame.callId);
    await core.hooks.beforeSignal?.(principal, frame.to.id, frame.callId);
    await core.delivery.deliverFrame(
      [frame.to.id],
      { type: "signal", from: principal.userId, callId: frame.callId, data: frame.data },
      session.id,
    );
  } catch (error) {
    core.replies.error(session, error);
  }
}

/** `ping`: answer `pong` with the same `ts`. */
export function handlePing(core: EngineCore, session: Session, frame: PingFrame): void {
  core.replies.send(
    session,
    frame.ts === undefined ? { type: "pong" } : { type: "pong", ts: frame.ts },
  );
}
