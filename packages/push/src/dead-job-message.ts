import type { Message } from "@lucky-im/core";

/**
 * @internal What a dead job keeps of its latest message: its ids, seq, sender, target and
 * time, not its content (the body becomes an empty text; reply, mentions and forward origin
 * go). A dead job stays for inspection, and must not keep a copy of what was said.
 */
export function withoutContent(message: Message): Message {
  return {
    messageId: message.messageId,
    conversationId: message.conversationId,
    seq: message.seq,
    from: message.from,
    to: { ...message.to },
    body: { type: "text", text: "" },
    cid: message.cid,
    ts: message.ts,
    ...(message.recalled && { recalled: true }),
  };
}
