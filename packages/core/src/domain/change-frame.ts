import type { ChangeFrame } from "../protocol/schemas.js";
import type { MessageChange } from "./message-change.js";

/** The `change` frame of a change log entry (docs/protocol.md §13.3): `visibleTo` stays on the server. */
export function toChangeFrame(change: MessageChange): ChangeFrame {
  const wire: ChangeFrame["change"] = {
    conversationId: change.conversationId,
    changeSeq: change.changeSeq,
    kind: change.kind,
    messageId: change.messageId,
    seq: change.seq,
    by: change.by,
    ts: change.ts,
  };
  if (change.body !== undefined) wire.body = change.body;
  if (change.key !== undefined) wire.key = change.key;
  return { type: "change", change: wire };
}
