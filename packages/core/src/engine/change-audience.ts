import type { CursorStore } from "../contracts/cursor-store.js";

/**
 * Who may get a live push about the message at `seq` of `conversationId` (a `change` or a
 * `recalled` frame): `participants` without the group members who joined after it was sent
 * (their `joinedSeq` is `seq` or more). `sync`, history and every lookup by id hide that
 * message from them, and an edit would carry its new text. A direct conversation has no late
 * joiner and costs no store call; a group costs one (cheap) query.
 */
export async function changeAudience(
  cursors: Pick<CursorStore, "membersJoinedAfter">,
  conversationId: string,
  seq: number,
  participants: readonly string[],
): Promise<readonly string[]> {
  if (conversationId.startsWith("d:") || participants.length === 0) return participants;
  const late = await cursors.membersJoinedAfter(conversationId, seq);
  if (late.length === 0) return participants;
  const hidden = new Set(late);
  return participants.filter((userId) => !hidden.has(userId));
}
