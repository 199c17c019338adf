import { toMessageFrame } from "../domain/message.js";
import { ImError } from "../errors.js";
import { encodeFrame } from "../protocol/codec.js";
import type { SyncFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import type { Session } from "./session.js";

/**
 * `sync`: every message after the client's cursors (or, for a conversation
 * it did not name, after the user's delivered cursor), ascending per
 * conversation, at most one page; then `synced`. Cursors of conversations
 * the user is not in are ignored.
 */
export async function handleSync(
  core: EngineCore,
  session: Session,
  frame: SyncFrame,
): Promise<void> {
  try {
    const userId = session.userId!;
    const asked = frame.cursors;
    if (Object.keys(asked).length > core.limits.maxSyncCursors) {
      throw new ImError(
        "bad_request",
        `sync names more than ${core.limits.maxSyncCursors} conversations`,
      );
    }
    const pageSize = core.limits.syncPageSize;
    let budget = Math.min(frame.limit ?? pageSize, pageSize);
    let more = false;
    const cursors = await core.storage.cursors.cursors(userId);
    for (const cursor of cursors) {
      const requested = Object.hasOwn(asked, cursor.conversationId)
        ? asked[cursor.conversationId]
        : undefined;
      // Never before the join point: a late group member does not get the earlier messages.
      const after = Math.max(requested ?? cursor.deliveredSeq, cursor.joinedSeq ?? 0);
      if (cursor.lastSeq <= after) continue;
      if (budget <= 0) {
        more = true;
        continue;
      }
      const messages = await core.storage.messages.range(cursor.conversationId, {
        afterSeq: after,
        limit: budget,
      });
      for (const message of messages) {
        session.send(encodeFrame(toMessageFrame(message)));
        core.stats.framesOut++;
      }
      budget -= messages.length;
      const reached = messages.at(-1)?.seq ?? after;
      if (reached < cursor.lastSeq) more = true;
    }
    core.sendFrame(session, {
      type: "synced",
      conversations: cursors.map((c) => ({ conversationId: c.conversationId, lastSeq: c.lastSeq })),
      more,
    });
  } catch (error) {
    core.sendError(session, error);
  }
}
