import type { ChangeResult } from "../domain/message-change.js";
import { ImError } from "../errors.js";
import type {
  ClearFrame,
  DeleteForMeFrame,
  EditFrame,
  PinFrame,
  ReactFrame,
} from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { accessConversation, accessMessage } from "./message-access.js";
import { checkBody } from "./send-handler.js";
import type { Session } from "./session.js";

// The change frames of docs/protocol.md §13.2. Each one checks, lets the store write the
// mutation, its change log entry and its outbox entry in one transaction, answers `applied`,
// then delivers the change (the outbox relay re-publishes what this fast path misses).

/**
 * Answers `applied` and hands a stored change to delivery; `undefined` (nothing changed)
 * answers `applied` without a changeSeq and delivers nothing.
 */
function announce(
  core: EngineCore,
  session: Session,
  cid: string | undefined,
  result: ChangeResult | undefined,
  participants: readonly string[],
): void {
  core.replies.send(session, {
    type: "applied",
    ...(cid !== undefined ? { cid } : {}),
    ...(result ? { changeSeq: result.change.changeSeq } : {}),
  });
  if (!result) return;
  const dispatched = core.changes.dispatch(result.change, participants, result.outboxId);
  if (dispatched instanceof Promise) void core.tasks.track(dispatched);
}

/** `edit`: the sender replaces a text message's body within `editWindowMs`. */
export async function handleEdit(
  core: EngineCore,
  session: Session,
  frame: EditFrame,
  frameLength: number,
): Promise<void> {
  session.changeAware = true;
  try {
    const userId = session.userId!;
    const { message, participants } = await accessMessage(core, userId, frame.messageId);
    if (message.from !== userId) {
      throw new ImError("forbidden", "only the sender may edit a message");
    }
    if (message.recalled) throw new ImError("conflict", "a recalled message cannot be edited");
    if (message.body.type !== "text" || frame.body.type !== "text") {
      throw new ImError("bad_request", "only a text message can be edited, with a text body");
    }
    const now = Date.now();
    if (now - message.ts > core.limits.editWindowMs) {
      throw new ImError("conflict", `the edit window (${core.limits.editWindowMs} ms) has passed`);
    }
    checkBody(core, frame.body, frameLength);
    const result = await core.storage.changes.edit({
      messageId: message.messageId,
      by: userId,
      body: frame.body,
      ts: now,
    });
    announce(core, session, frame.cid, result, participants);
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}

/** `react`: adds or removes the user's reaction `key` on a message. */
export async function handleReact(
  core: EngineCore,
  session: Session,
  frame: ReactFrame,
): Promise<void> {
  session.changeAware = true;
  try {
    const userId = session.userId!;
    // Empty and control-character keys are bad_request before any read; the store bounds the length.
    if (frame.key.length === 0 || /\p{Cc}/u.test(frame.key)) {
      throw new ImError("bad_request", "a reaction key is non-empty, without control characters");
    }
    const { message, participants } = await accessMessage(core, userId, frame.messageId);
    if (message.recalled) throw new ImError("conflict", "a recalled message takes no reaction");
    const input = { messageId: message.messageId, userId, key: frame.key, ts: Date.now() };
    const result = frame.remove
      ? await core.storage.changes.unreact(input)
      : await core.storage.changes.react(input);
    announce(core, session, frame.cid, result, participants);
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}

/** `pin`: pins or unpins a message (direct: either participant; group: owners and admins). */
export async function handlePin(
  core: EngineCore,
  session: Session,
  frame: PinFrame,
): Promise<void> {
  session.changeAware = true;
  try {
    const userId = session.userId!;
    const access = await accessMessage(core, userId, frame.messageId);
    if (!access.direct && !access.manager) {
      throw new ImError("forbidden", "only a group owner or admin may pin messages");
    }
    const input = { messageId: access.message.messageId, by: userId, ts: Date.now() };
    const result = frame.remove
      ? await core.storage.changes.unpin(input)
      : await core.storage.changes.pin(input);
    announce(core, session, frame.cid, result, access.participants);
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}

/** `delete_for_me`: hides a message for the user's devices only. */
export async function handleDeleteForMe(
  core: EngineCore,
  session: Session,
  frame: DeleteForMeFrame,
): Promise<void> {
  session.changeAware = true;
  try {
    const userId = session.userId!;
    const { message, participants } = await accessMessage(core, userId, frame.messageId);
    const result = await core.storage.changes.deleteForMe({
      messageId: message.messageId,
      userId,
      ts: Date.now(),
    });
    announce(core, session, frame.cid, result, participants);
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}

/** `clear`: hides every message up to `upToSeq` for the user's devices only. */
export async function handleClear(
  core: EngineCore,
  session: Session,
  frame: ClearFrame,
): Promise<void> {
  session.changeAware = true;
  try {
    const userId = session.userId!;
    if (frame.upToSeq < 1) throw new ImError("bad_request", "upToSeq must be >= 1");
    const { participants } = await accessConversation(core, userId, frame.conversationId);
    const result = await core.storage.changes.clearConversation({
      conversationId: frame.conversationId,
      userId,
      upToSeq: frame.upToSeq,
      ts: Date.now(),
    });
    announce(core, session, frame.cid, result, participants);
  } catch (error) {
    core.replies.error(session, error, frame.cid);
  }
}
