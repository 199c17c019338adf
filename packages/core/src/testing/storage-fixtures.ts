import { expect } from "vitest";
import { directConversationId } from "../domain/conversation.js";
import type { Message, MessageDraft } from "../domain/message.js";
import type { MessageBody } from "../protocol/schemas.js";
import { newMessageId } from "../util/ids.js";
import { uid } from "./fixtures.js";

/** Texts that break naive escaping, encoding or normalization. None holds U+0000 (PostgreSQL text cannot). */
export const TRICKY_TEXTS: readonly string[] = [
  `He said "hello" and 'bye' and \`tick\``,
  "'; DROP TABLE x; --",
  "Robert'); DROP TABLE messages;-- ",
  "back\\slash \\\\ \\n \\u0000 \\x00 (literal backslashes)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point
  "$1 $$ %s %d ${x} {{x}} :name ? @p0",
  "line1\nline2\r\nline3\ttab\vvt\fff",
  "<script>alert('x')</script> &amp; &lt; ]]>",
  "emoji 😀 👩‍👩‍👧‍👦 🇯🇵 👍🏽 🏳️‍🌈",
  "\u200Fright-to-left mark, \u202Eoverride\u202C, עברית, العربية",
  "zero\u200Bwidth\u200Cnon-joiner\u200Djoiner, \uFEFF BOM inside",
  "combining e\u0301 vs precomposed \u00E9: must not be normalized",
  "CJK 中文 日本語 한국어, astral 𝕏 𝄞 𠜎",
  "separators \u2028 and \u2029 and \u0085",
  '{"looks":"like json"} [1,2] null true',
  "  leading and trailing spaces  ",
  "长".repeat(5000),
];

/** A custom body's data with nesting, odd keys and numbers that lose precision when mishandled. */
export const CUSTOM_DATA = {
  nested: { list: [1, 2.5, -3, 1e21, 0.30000000000000004, "s", null, true, false] },
  "key with spaces": "v",
  ключ: "значение 🔑",
  emptyObject: {},
  emptyList: [],
  quotes: `"'\``,
};

/** A text body. */
export function text(value: string): MessageBody {
  return { type: "text", text: value };
}

/** A draft of a direct message from `from` to `to`, with a fresh id and cid. */
export function directDraft(
  from: string,
  to: string,
  overrides: Partial<MessageDraft> = {},
): MessageDraft {
  return {
    messageId: newMessageId(),
    conversationId: directConversationId(from, to),
    from,
    to: { type: "user", id: to },
    body: text("hello"),
    cid: uid("cid"),
    ts: Date.now(),
    participants: [from, to],
    ...overrides,
  };
}

/** Compares the fields every store returns the same way (optional flags may be absent or false). */
export function expectSameMessage(actual: Message, expected: Message, what: string): void {
  const core = (m: Message) => ({
    messageId: m.messageId,
    conversationId: m.conversationId,
    seq: m.seq,
    from: m.from,
    to: m.to,
    body: m.body,
    cid: m.cid,
    ts: m.ts,
    recalled: m.recalled ?? false,
  });
  expect(core(actual), what).toEqual(core(expected));
}
