import { toMessageFrame } from "../domain/message.js";
import { ImError } from "../errors.js";
import { encodeFrame } from "../protocol/codec.js";
import type { SyncFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import type { Session } from "./session.js";
import { waitForRoom } from "./wait-for-room.js";

/** Messages read first from one conversation in a `sync` answer; each further read doubles. */
const FIRST_READ = 32;

/**
 * `sync`: every message after the client's cursors (or, for a conversation
 * it did not name, after the user's delivered cursor), ascending per
 * conversation, at most one page (`syncPageSize` messages, `syncPageBytes`
 * bytes); then `synced`. Cursors of conversations the user is not in are
 * ignored. A session's syncs are answered one at a time, each once its
 * connection has room for the page: a slow reader is paced, never cut.
 */
export function handleSync(core: EngineCore, session: Session, frame: SyncFrame): Promise<void> {
  const { maxSyncCursors, maxQueuedSyncs } = core.limits;
  if (Object.keys(frame.cursors).length > maxSyncCursors) {
    core.replies.error(
      session,
      new ImError("bad_request", `sync names more than ${maxSyncCursors} conversations`),
    );
    return Promise.resolve();
  }
  if (session.syncsQueued >= maxQueuedSyncs) {
    core.replies.error(
      session,
      new ImError("rate_limited", `more than ${maxQueuedSyncs} sync frames waiting; await synced`),
    );
    return Promise.resolve();
  }
  session.syncsQueued++;
  const answered = session.syncChain.then(() =>
    answerSync(core, session, frame).finally(() => {
      session.syncsQueued--;
    }),
  );
  session.syncChain = answered;
  return answered;
}

async function answerSync(core: EngineCore, session: Session, frame: SyncFrame): Promise<void> {
  try {
    const { syncPageSize, syncPageBytes } = core.limits;
    // No query for a connection that is closing or has no room for a page.
    if (!(await waitForRoom(session, syncPageBytes))) return;
    const userId = session.userId!;
    const asked = frame.cursors;
    let budget = Math.min(frame.limit ?? syncPageSize, syncPageSize);
    let bytesLeft = syncPageBytes;
    let sentAny = false;
    let more = false;
    const cursors = await core.storage.cursors.cursors(userId);
    for (const cursor of cursors) {
      const requested = Object.hasOwn(asked, cursor.conversationId)
        ? asked[cursor.conversationId]
        : undefined;
      // Never before the join point: a late group member does not get the earlier messages.
      const after = Math.max(requested ?? cursor.deliveredSeq, cursor.joinedSeq ?? 0);
      if (cursor.lastSeq <= after) continue;
      if (budget <= 0 || bytesLeft <= 0) {
        more = true;
        continue;
      }
      let reached = after;
      // Growing reads: a page of large messages must not load syncPageSize rows to send a few.
      let chunk = FIRST_READ;
      for (;;) {
        if (session.isClosed) return;
        const limit = Math.min(budget, chunk);
        const messages = await core.storage.messages.range(cursor.conversationId, {
          afterSeq: reached,
          limit,
        });
        let full = false;
        for (const message of messages) {
          const data = encodeFrame(toMessageFrame(message));
          const bytes = Buffer.byteLength(data);
          if (sentAny && bytes > bytesLeft) {
            bytesLeft = 0;
            full = true;
            break;
          }
          // Not sent: the connection is closing (the transport closed it rather than drop
          // the frame). The client resumes from its cursors on its next connection.
          if (!session.send(data)) return;
          core.stats.framesOut++;
          sentAny = true;
          budget--;
          bytesLeft -= bytes;
          reached = message.seq;
        }
        if (full || messages.length < limit || budget <= 0 || bytesLeft <= 0) break;
        if (reached >= cursor.lastSeq) break;
        chunk *= 2;
      }
      if (reached < cursor.lastSeq) more = true;
    }
    core.replies.send(session, {
      type: "synced",
      conversations: cursors.map((c) => ({ conversationId: c.conversationId, lastSeq: c.lastSeq })),
      more,
    });
  } catch (error) {
    core.replies.error(session, error);
  }
}
