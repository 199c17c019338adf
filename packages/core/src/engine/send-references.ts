import { parseConversationId } from "../domain/conversation.js";
import { isManager } from "../domain/group.js";
import type { MessageDraft } from "../domain/message.js";
import { DEFAULT_MESSAGE_CHANGE_LIMITS, replyExcerpt } from "../domain/message-change.js";
import { ImError } from "../errors.js";
import type { SendFrame } from "../protocol/schemas.js";
import type { EngineCore } from "./engine-core.js";
import { hiddenUpToSeq } from "./message-access.js";

/**
 * The `replyTo` and `mentions` of a `send` (docs/protocol.md §13.2), checked and resolved
 * for the draft: the reply target must be a message of the same conversation (`not_found`),
 * and gets an excerpt of its current body, or `recalled: true`; mentions must name
 * participants (`bad_request`), and `all` in a group needs an owner or admin unless
 * `mentionAll: "members"` (`forbidden`). A group message from before the sender joined is
 * `not_found` as a reply target, as it is hidden from their history. Only called when the frame has either field, so
 * a plain send pays nothing. `mayMentionAll` lets the sender mention `all` whatever its role
 * (the application's system sender, which is no member).
 */
export async function resolveSendReferences(
  core: EngineCore,
  from: string,
  conversationId: string,
  participants: readonly string[],
  frame: Pick<SendFrame, "replyTo" | "mentions">,
  mayMentionAll = false,
): Promise<Pick<MessageDraft, "replyTo" | "mentions">> {
  const resolved: Pick<MessageDraft, "replyTo" | "mentions"> = {};
  if (frame.replyTo !== undefined) {
    const target = await core.storage.messages.get(frame.replyTo);
    if (!target || target.conversationId !== conversationId) {
      throw new ImError("not_found", "the replied-to message is not in this conversation");
    }
    // A group message from before the sender joined is hidden from them: `not_found` too (the
    // application's system sender, no member, may quote any message of the conversation).
    if (!mayMentionAll && target.seq <= (await hiddenUpToSeq(core, from, conversationId))) {
      throw new ImError("not_found", "the replied-to message is not in this conversation");
    }
    resolved.replyTo = target.recalled
      ? {
          messageId: target.messageId,
          seq: target.seq,
          from: target.from,
          excerpt: "",
          recalled: true,
        }
      : {
          messageId: target.messageId,
          seq: target.seq,
          from: target.from,
          excerpt: replyExcerpt(target.body, DEFAULT_MESSAGE_CHANGE_LIMITS.maxReplyExcerptLength),
        };
  }
  if (frame.mentions !== undefined && frame.mentions.length > 0) {
    const mentions = [...new Set(frame.mentions)];
    if (mentions.includes("all")) {
      const parsed = parseConversationId(conversationId);
      if (parsed.kind === "group" && !core.mentionAllByMembers && !mayMentionAll) {
        const group = await core.groupCache.get(parsed.groupId);
        const member = group?.members.get(from);
        if (!member || !isManager(member.role)) {
          throw new ImError("forbidden", "only a group owner or admin may mention all");
        }
      }
    }
    const members = new Set(participants);
    const stranger = mentions.find((userId) => userId !== "all" && !members.has(userId));
    if (stranger !== undefined) {
      throw new ImError("bad_request", `mentioned user ${stranger} is not in this conversation`);
    }
    resolved.mentions = mentions;
  }
  return resolved;
}
