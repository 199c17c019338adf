import type { Session } from "./session.js";

/** How often the fallback re-reads `bufferedAmount` of a transport without `waitForDrain`. */
const POLL_MS = 10;

/**
 * Resolves `true` once the session's connection has at most `maxBufferedBytes`
 * queued, `false` once the session is closed or its connection is closing: the
 * caller then sends nothing more and runs no more queries for it.
 */
export async function waitForRoom(session: Session, maxBufferedBytes: number): Promise<boolean> {
  const { connection } = session;
  if (session.isClosed) return false;
  if (connection.waitForDrain) {
    const drained = await connection.waitForDrain(maxBufferedBytes);
    return drained && !session.isClosed;
  }
  while (connection.bufferedAmount > maxBufferedBytes) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (session.isClosed) return false;
  }
  return true;
}
