import { toChangeFrame } from "../domain/change-frame.js";
import { toMessageFrame } from "../domain/message.js";
import { ImError } from "../errors.js";
import { encodeFrame } from "../protocol/codec.js";
import type { SyncedFrame, SyncFrame } from "../protocol/schemas.js";
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
    // A `changes` field (even {}) makes the session change-aware (docs/protocol.md §13.4).
    const changesAsked = frame.changes;
    if (changesAsked) session.changeAware = true;
    const lastChangeSeqs = session.changeAware
      ? await core.storage.changes.lastChangeSeqs(cursors.map((c) => c.conversationId))
      : undefined;
    // Conversations whose messages between the cursor and what the store still holds are gone.
    const trimmed = new Map<string, number>();
    for (const cursor of cursors) {
      const requested = Object.hasOwn(asked, cursor.conversationId)
        ? asked[cursor.conversationId]
        : undefined;
      // Never before the join point: a late group member does not get the earlier messages.
      let after = Math.max(requested ?? cursor.deliveredSeq, cursor.joinedSeq ?? 0);
      // Below what a store with retention still holds: say so in `synced` (oldestSeq) and
      // start there, so a client stops asking for messages that are gone.
      if (cursor.oldestSeq !== undefined && after < cursor.oldestSeq - 1) {
        after = cursor.oldestSeq - 1;
        trimmed.set(cursor.conversationId, cursor.oldestSeq);
      }
      let reached = after;
      if (cursor.lastSeq > after) {
        if (budget <= 0 || bytesLeft <= 0) {
          more = true;
          continue;
        }
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
          // A page starting past the cursor: the store dropped messages since `cursors()`
          // (`range` without a viewer skips none it holds).
          const firstSeq = messages[0]?.seq;
          if (firstSeq !== undefined && firstSeq > reached + 1) {
            trimmed.set(cursor.conversationId, firstSeq);
          }
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
        if (reached < cursor.lastSeq) {
          more = true;
          // Changes come after the conversation's messages: the next page.
          continue;
        }
      }
      if (changesAsked && Object.hasOwn(changesAsked, cursor.conversationId)) {
        const lastChangeSeq = lastChangeSeqs?.get(cursor.conversationId) ?? 0;
        const sent = await sendChanges(
          core,
          session,
          cursor.conversationId,
          changesAsked[cursor.conversationId]!,
          lastChangeSeq,
          cursor.joinedSeq ?? 0,
          { budget, bytesLeft, sentAny },
        );
        if (sent === undefined) return;
        ({ budget, bytesLeft, sentAny } = sent);
        if (sent.more) more = true;
      }
    }
    core.replies.send(session, {
      type: "synced",
      conversations: cursors.map((c) => {
        const entry: SyncedFrame["conversations"][number] = lastChangeSeqs
          ? {
              conversationId: c.conversationId,
              lastSeq: c.lastSeq,
              lastChangeSeq: lastChangeSeqs.get(c.conversationId) ?? 0,
            }
          : { conversationId: c.conversationId, lastSeq: c.lastSeq };
        const oldestSeq = trimmed.get(c.conversationId);
        if (oldestSeq !== undefined) entry.oldestSeq = oldestSeq;
        return entry;
      }),
      more,
    });
  } catch (error) {
    core.replies.error(session, error);
  }
}

/** What is left of a sync page, and whether the conversation's changes did not fit. */
interface PageLeft {
  budget: number;
  bytesLeft: number;
  sentAny: boolean;
  more?: boolean;
}

/**
 * Sends a conversation's `change` frames after `afterChangeSeq`, ascending (its public
 * changes and the user's own private ones), within what is left of the page. Public changes
 * to messages up to `joinedSeq` (before a late member joined) are skipped: an edit carries the
 * new body of a message the user may not see. Undefined when the connection closed.
 */
async function sendChanges(
  core: EngineCore,
  session: Session,
  conversationId: string,
  afterChangeSeq: number,
  lastChangeSeq: number,
  joinedSeq: number,
  page: PageLeft,
): Promise<PageLeft | undefined> {
  let { budget, bytesLeft, sentAny } = page;
  let reached = afterChangeSeq;
  let chunk = FIRST_READ;
  while (reached < lastChangeSeq) {
    if (budget <= 0 || bytesLeft <= 0) return { budget, bytesLeft, sentAny, more: true };
    if (session.isClosed) return undefined;
    const limit = Math.min(budget, chunk);
    const changes = await core.storage.changes.changesAfter(
      conversationId,
      reached,
      limit,
      session.userId,
    );
    for (const change of changes) {
      if (change.seq <= joinedSeq && change.visibleTo === undefined) {
        reached = change.changeSeq;
        continue;
      }
      const data = encodeFrame(toChangeFrame(change));
      const bytes = Buffer.byteLength(data);
      if (sentAny && bytes > bytesLeft) return { budget, bytesLeft: 0, sentAny, more: true };
      if (!session.send(data)) return undefined;
      core.stats.framesOut++;
      sentAny = true;
      budget--;
      bytesLeft -= bytes;
      reached = change.changeSeq;
    }
    // Short page: what is left is other users' private changes (a gap that is no loss).
    if (changes.length < limit) break;
    chunk *= 2;
  }
  return { budget, bytesLeft, sentAny };
}
