import type { Storage } from "../contracts/storage.js";
import type { SearchCursor, SearchPage } from "../domain/message-change.js";
import { ImError } from "../errors.js";
import type { MessageBodyType } from "../protocol/schemas.js";

/** A user's search over the messages they can read (docs/protocol.md §13.5). */
export interface MessageSearchOptions {
  /** The words to find (every word must match). */
  text: string;
  /** Only this conversation (one the user is in, else `forbidden`). */
  conversationId?: string;
  /** Only messages of this sender. */
  from?: string;
  /** Only bodies of this type. */
  type?: MessageBodyType;
  /** Only messages with `ts < before` (ms since epoch). */
  before?: number;
  /** Only messages with `ts >= after` (ms since epoch). */
  after?: number;
  /** Continue after this hit (the `next` of the previous page). */
  cursor?: SearchCursor;
  /** At most this many hits. */
  limit?: number;
}

/**
 * Searches the conversations `userId` is in now (never one they left or were never in);
 * a group member sees nothing from before they joined.
 */
export async function searchMessages(
  storage: Storage,
  userId: string,
  options: MessageSearchOptions,
): Promise<SearchPage> {
  const cursors = await storage.cursors.cursors(
    userId,
    options.conversationId === undefined ? undefined : [options.conversationId],
  );
  if (options.conversationId !== undefined && cursors.length === 0) {
    throw new ImError("forbidden", "not a participant of this conversation");
  }
  const page = await storage.changes.search({
    text: options.text,
    conversationIds: cursors.map((c) => c.conversationId),
    viewer: userId,
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.type !== undefined ? { bodyType: options.type } : {}),
    ...(options.after !== undefined ? { since: options.after } : {}),
    ...(options.before !== undefined ? { until: options.before } : {}),
    ...(options.cursor !== undefined ? { after: options.cursor } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  const joined = new Map(cursors.map((c) => [c.conversationId, c.joinedSeq ?? 0]));
  return {
    ...page,
    messages: page.messages.filter((m) => m.seq > (joined.get(m.conversationId) ?? 0)),
  };
}
