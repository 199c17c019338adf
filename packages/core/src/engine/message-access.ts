import { parseConversationId } from "../domain/conversation.js";
import { isManager } from "../domain/group.js";
import type { Message } from "../domain/message.js";
import { ImError, isImError } from "../errors.js";
import type { EngineCore } from "./engine-core.js";

/** A user's place in a conversation, for the change frames' checks. */
export interface ConversationAccess {
  /** Every participant (for a group: its members now). */
  participants: string[];
  /** A direct conversation (either participant has every right). */
  direct: boolean;
  /** The user is a group owner or admin. */
  manager: boolean;
  /** The group lets only its owner and admins post (who-may-post is `admins`). */
  adminsOnly: boolean;
}

/**
 * The participants of a conversation and the user's rights in it; `not_found` when the user
 * is not in it (a conversation you are not in looks like one that does not exist).
 */
export async function accessConversation(
  core: EngineCore,
  userId: string,
  conversationId: string,
): Promise<ConversationAccess> {
  let parsed: ReturnType<typeof parseConversationId>;
  try {
    parsed = parseConversationId(conversationId);
  } catch {
    throw new ImError("not_found", "no such conversation");
  }
  if (parsed.kind === "direct") {
    if (!parsed.userIds.includes(userId)) throw new ImError("not_found", "no such conversation");
    return {
      participants: [...new Set(parsed.userIds)],
      direct: true,
      manager: false,
      adminsOnly: false,
    };
  }
  const group = await core.groupCache.get(parsed.groupId);
  const member = group?.members.get(userId);
  if (!group || !member) throw new ImError("not_found", "no such conversation");
  return {
    participants: group.memberIds,
    direct: false,
    manager: isManager(member.role),
    adminsOnly: group.mutedAll,
  };
}

/**
 * The highest seq of `conversationId` that `userId` may not see: for a group member added
 * later, the conversation's last seq when they joined (their cursor's `joinedSeq`), as `sync`,
 * history and search apply it; 0 for a direct conversation and for a member from the start.
 */
export async function hiddenUpToSeq(
  core: EngineCore,
  userId: string,
  conversationId: string,
): Promise<number> {
  if (conversationId.startsWith("d:")) return 0;
  const [cursor] = await core.storage.cursors.cursors(userId, [conversationId]);
  return cursor?.joinedSeq ?? 0;
}

/**
 * A stored message and the user's access to its conversation; `not_found` for either, and for
 * a message of a group from before the user joined it (history hides it, so does every lookup
 * by id: no oracle telling a hidden message from a missing one).
 */
export async function accessMessage(
  core: EngineCore,
  userId: string,
  messageId: string,
): Promise<ConversationAccess & { message: Message }> {
  const message = await core.storage.messages.get(messageId);
  if (!message) throw new ImError("not_found", "no such message");
  let access: ConversationAccess;
  try {
    access = await accessConversation(core, userId, message.conversationId);
  } catch (error) {
    if (isImError(error) && error.code === "not_found") {
      throw new ImError("not_found", "no such message");
    }
    throw error;
  }
  if (
    !access.direct &&
    message.seq <= (await hiddenUpToSeq(core, userId, message.conversationId))
  ) {
    throw new ImError("not_found", "no such message");
  }
  return { message, ...access };
}
