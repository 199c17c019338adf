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
  /** Set for an `acks` frame: only its first refusal is answered (one `error` per frame). */
  answered?: { first: boolean };
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
  if (how.answered) {
    if (how.answered.first) return;
    how.answered.first = true;
  }
  // An unexpected failure is reported and shown as `internal`, as for a single ack.
  const cause = core.errors.toClientError(error);
  const named = new ImError(cause.code, `${cause.message} (${conversationId})`, { cause });
  core.replies.error(session, named, how.cid);
}

const notParticipant = () => new ImError("forbidden", "not a participant of this conversation");
const tooManyLookups = () =>
  new ImError(
    "rate_limited",
    "too many groups of this acks frame were not found; ack the rest again without them",
  );

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
  mayLoad = true,
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
    else if (mayLoad) return checkGroupParticipant(core, session, conversationId, how);
    else {
      refuse(core, session, conversationId, tooManyLookups(), how);
      return false;
    }
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
 * (`too_large`) or names a conversation twice (`bad_request`). Otherwise every entry stops the
 * re-pushes it covers (as an `ack` does, before any check), and each entry whose conversation
 * the user is in raises the delivered cursor; refused entries are skipped, and the frame gets one
 * `error` at most, naming the first. Groups not in the cache are looked up one at a time, and
 * at most one lookup per started 10 entries (at least two) may come back refused, about what
 * the frame paid against the rate limit: a frame of made-up group ids costs what as many `ack`
 * frames would, not a store read per entry.
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
  for (const ack of acks) core.delivery.acknowledge(session, ack.conversationId, ack.seq);
  const how: Refusals = {
    named: true,
    answered: { first: false },
    ...(cid === undefined ? {} : { cid }),
  };
  const lookups: LookupBudget = { refusedLeft: Math.max(2, Math.ceil(acks.length / 10)) };
  return writeAcksFrom(core, session, acks, 0, how, lookups);
}

/** How many more group lookups of one `acks` frame may come back refused. */
interface LookupBudget {
  refusedLeft: number;
}

/**
 * Raises the delivered cursors of the entries from `from` on, in order; synchronous while the
 * checks are (direct conversations, cached groups), one group lookup at a time otherwise.
 */
function writeAcksFrom(
  core: EngineCore,
  session: Session,
  acks: AcksFrame["acks"],
  from: number,
  how: Refusals,
  lookups: LookupBudget,
): void | Promise<void> {
  const userId = session.userId!;
  for (let index = from; index < acks.length; index++) {
    const { conversationId, seq } = acks[index]!;
    const allowed = checkParticipant(core, session, conversationId, how, lookups.refusedLeft > 0);
    if (allowed === false) continue;
    const write = () => core.cursorWrites.delivered({ userId, conversationId, seq });
    if (allowed === true) {
      write();
      continue;
    }
    return allowed.then((ok) => {
      if (ok) write();
      else lookups.refusedLeft -= 1;
      return writeAcksFrom(core, session, acks, index + 1, how, lookups);
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
