import { type ImServer, parseConversationId } from "@lucky-im/core";

/**
 * Whether `userId` is in `conversationId` now: a participant of a direct conversation (even
 * before its first message), or a member of a group. A malformed id is no conversation (false).
 * @internal
 */
export async function isConversationMember(
  im: ImServer,
  userId: string,
  conversationId: string,
): Promise<boolean> {
  let parsed: ReturnType<typeof parseConversationId>;
  try {
    parsed = parseConversationId(conversationId);
  } catch {
    return false;
  }
  if (parsed.kind === "direct") {
    const [a, b] = parsed.userIds as [string, string];
    // Only the canonical id (user ids sorted) names the conversation.
    return a <= b && (a === userId || b === userId);
  }
  const group = await im.groups.get(parsed.groupId);
  return group?.members.some((member) => member.userId === userId) ?? false;
}
