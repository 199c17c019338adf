import { ImError } from "../errors.js";
import type { RecallFrame } from "../protocol/schemas.js";
import { changeAudience } from "./change-audience.js";
import type { EngineCore } from "./engine-core.js";
import { accessMessage } from "./message-access.js";
import type { Session } from "./session.js";

/**
 * `recall`: the sender within the recall window, or a group owner/admin,
 * marks a message recalled; every participant who may see it gets `recalled` (not a group
 * member who joined after it was sent).
 */
export async function handleRecall(
  core: EngineCore,
  session: Session,
  frame: RecallFrame,
): Promise<void> {
  try {
    const userId = session.userId!;
    // A message the user cannot see (another conversation, or before they joined the group)
    // is `not_found`, like one that does not exist.
    const { message, participants, direct, manager } = await accessMessage(
      core,
      userId,
      frame.messageId,
    );
    const mayRecallOthers = !direct && manager;
    if (message.from !== userId && !mayRecallOthers) {
      throw new ImError("forbidden", "only the sender or a group owner/admin may recall a message");
    }
    if (Date.now() - message.ts > core.limits.recallWindowMs) {
      throw new ImError(
        "conflict",
        `the recall window (${core.limits.recallWindowMs} ms) has passed`,
      );
    }
    const recalled = await core.storage.messages.recall(message.messageId, userId);
    if (!recalled) throw new ImError("not_found", "no such message");
    // The store wrote a `recalled` change with its outbox entry: push it to change-aware
    // sessions now, beside the v1 `recalled` frame below.
    void core.tasks.track(
      announceRecallChange(core, recalled.conversationId, recalled.messageId, participants),
    );
    await core.delivery.deliverFrame(
      await recalledAudience(core, recalled.conversationId, recalled.seq, participants, userId),
      {
        type: "recalled",
        messageId: recalled.messageId,
        conversationId: recalled.conversationId,
        seq: recalled.seq,
        by: userId,
      },
    );
  } catch (error) {
    core.replies.error(session, error);
  }
}

/**
 * Who gets the v1 `recalled` frame of the message at `seq`: the participants less the group
 * members who joined after it. When the store cannot tell, only `by` (who recalled it) gets
 * it; the others see the recall when they sync.
 */
export async function recalledAudience(
  core: EngineCore,
  conversationId: string,
  seq: number,
  participants: readonly string[],
  by: string,
): Promise<readonly string[]> {
  try {
    return await changeAudience(core.storage.cursors, conversationId, seq, participants);
  } catch (error) {
    core.errors.report(error, "reading the audience of a recall");
    return participants.includes(by) ? [by] : [];
  }
}

/** How far back in the change log the fast path looks for the recall it just stored. */
const RECALL_LOOKBACK = 16;

/**
 * Finds the `recalled` change the store wrote (one per message) and delivers it. Its outbox
 * entry is left to the relay, which marks it sent (the receiving nodes drop the repeat);
 * a change pushed out of the lookback by concurrent changes is left to the relay too.
 * Also used by `im.admin.deleteMessage`.
 */
export async function announceRecallChange(
  core: EngineCore,
  conversationId: string,
  messageId: string,
  participants: readonly string[],
): Promise<void> {
  try {
    const last =
      (await core.storage.changes.lastChangeSeqs([conversationId])).get(conversationId) ?? 0;
    const recent = await core.storage.changes.changesAfter(
      conversationId,
      Math.max(0, last - RECALL_LOOKBACK),
      RECALL_LOOKBACK,
    );
    const change = recent.find((c) => c.kind === "recalled" && c.messageId === messageId);
    if (change) await core.changes.dispatch(change, participants, undefined);
  } catch (error) {
    core.errors.report(error, "announcing a recall change");
  }
}
