import { parseConversationId } from "../domain/conversation.js";
import { ImError } from "../errors.js";
import type { AckFrame, AcksFrame, ReadFrame } from "../protocol/schemas.js";
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
 * How a refused cursor move is answered: an `ack` or `read` frame gets the plain error; an
 * entry of an `acks` frame gets it with the conversation named and the frame's `cid`.
 */
interface Refusals {
  /** The `acks` frame's `cid`. */
  cid?: string;
  /** Name the conversation in the message (several may be refused for one frame). */
  named: boolean;
}

const PLAIN: Refusals = { named: false };

/** Sends the error for a refused cursor move. */
function refuse(
  core: EngineCore,
  session: Session,
  conversationId: string,
  error: unknown,
  how: Refusals,
): void {
  if (!how.named) {
    core.replies.error(session, error);
    return;
  }
  // An unexpected failure is reported and shown as `internal`, as for a single ack.
  const cause = core.errors.toClientError(error);
  const named = new ImError(cause.code, `${cause.message} (${conversationId})`, { cause });
  core.replies.error(session, named, how.cid);
}

const notParticipant = () => new ImError("forbidden", "not a participant of this conversation");

/**
 * Whether the session's user may move a cursor in the conversation (else it gets
 * `forbidden`). Synchronous for a direct conversation (its id names both users)
 * and for a group in the membership cache (or recently found missing); otherwise
 * the group is loaded.
 */
function checkParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
  how: Refusals,
): boolean | Promise<boolean> {
  let parsed: ReturnType<typeof parseConversationId>;
  try {
    parsed = parseConversationId(conversationId);
  } catch (error) {
    refuse(core, session, conversationId, error, how);
    return false;
  }
  let member: boolean;
  if (parsed.kind === "direct") {
    member = parsed.userIds.includes(session.userId!);
  } else {
    const cached = core.groupCache.peek(parsed.groupId);
    if (cached) member = cached.members.has(session.userId!);
    else if (core.groupCache.knownMissing(parsed.groupId)) member = false;
    else return checkGroupParticipant(core, session, conversationId, how);
  }
  if (member) return true;
  refuse(core, session, conversationId, notParticipant(), how);
  return false;
}

async function checkGroupParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
  how: Refusals,
): Promise<boolean> {
  try {
    if (await isParticipant(core, session.userId!, conversationId)) return true;
    refuse(core, session, conversationId, notParticipant(), how);
  } catch (error) {
    refuse(core, session, conversationId, error, how);
  }
  return false;
}

/** Queues the cursor write once the participant check passed (at once for a direct conversation). */
function whenParticipant(
  core: EngineCore,
  session: Session,
  conversationId: string,
  write: () => void,
  how: Refusals = PLAIN,
): void | Promise<void> {
  const allowed = checkParticipant(core, session, conversationId, how);
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

/**
 * `acks` (docs/protocol.md §3.3): many conversations' cumulative acks in one frame. The frame
 * as a whole is refused, nothing applied, when it has more than `maxAcksPerFrame` entries
 * (`too_large`) or names a conversation twice (`bad_request`). Otherwise the entries are
 * checked in order, one at a time, each applied as an `ack` frame would be once it passes; the
 * first refused entry (not a participant) stops the frame: it gets one `error`, naming the
 * conversation and echoing the frame's `cid`, and it and the entries after it are not applied.
 * One at a time and stopping at the first refusal bound the store reads a frame can cause (a
 * frame of unknown groups costs one read, not one per entry).
 */
export function handleAcks(
  core: EngineCore,
  session: Session,
  frame: AcksFrame,
): void | Promise<void> {
  const { acks, cid } = frame;
  const { maxAcksPerFrame } = core.limits;
  if (acks.length > maxAcksPerFrame) {
    const error = new ImError(
      "too_large",
      `an acks frame has at most ${maxAcksPerFrame} entries; this one has ${acks.length}`,
    );
    core.replies.error(session, error, cid);
    return;
  }
  const seen = new Set<string>();
  for (const ack of acks) {
    if (seen.has(ack.conversationId)) {
      const error = new ImError(
        "bad_request",
        `each conversation may appear once in an acks frame (${ack.conversationId} is repeated)`,
      );
      core.replies.error(session, error, cid);
      return;
    }
    seen.add(ack.conversationId);
  }
  const how: Refusals = cid === undefined ? { named: true } : { named: true, cid };
  return applyAcksFrom(core, session, acks, 0, how);
}

/**
 * Checks and applies the entries from `from` on, in order; synchronous while the checks are
 * (direct conversations, cached groups), and stops at the first refused entry.
 */
function applyAcksFrom(
  core: EngineCore,
  session: Session,
  acks: AcksFrame["acks"],
  from: number,
  how: Refusals,
): void | Promise<void> {
  const userId = session.userId!;
  for (let index = from; index < acks.length; index++) {
    const { conversationId, seq } = acks[index]!;
    const allowed = checkParticipant(core, session, conversationId, how);
    if (allowed === false) return;
    const apply = () => {
      core.delivery.acknowledge(session, conversationId, seq);
      core.cursorWrites.delivered({ userId, conversationId, seq });
    };
    if (allowed === true) {
      apply();
      continue;
    }
    return allowed.then((ok) => {
      if (!ok || session.isClosed) return;
      apply();
      return applyAcksFrom(core, session, acks, index + 1, how);
    });
  }
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
