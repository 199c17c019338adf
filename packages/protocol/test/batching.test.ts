import { describe, expect, it } from "vitest";
import {
  CAPABILITIES,
  CAPABILITY_ACK_BATCH,
  CAPABILITY_RECEIPT_BATCH,
  CAPABILITY_SENT_BATCH,
  decodeClientFrame,
  encodeFrame,
  ReceiptsFrameSchema,
  SentEntrySchema,
  SentFrameSchema,
} from "../src/index.js";

function refused(text: string) {
  const result = decodeClientFrame(text);
  if (result.ok) throw new Error(`accepted: ${text.slice(0, 80)}`);
  expect(result.error.code).toBe("bad_request");
  return result;
}

describe("capabilities in auth (§1.8)", () => {
  it("names the three capabilities of this version", () => {
    expect(CAPABILITIES).toEqual(["receipt-batch", "ack-batch", "sent-batch"]);
    expect([CAPABILITY_RECEIPT_BATCH, CAPABILITY_ACK_BATCH, CAPABILITY_SENT_BATCH]).toEqual(
      CAPABILITIES,
    );
  });

  it("the receipts frame's optional sent answers have the fields of a sent frame", () => {
    const sent = SentFrameSchema.properties;
    const entry = SentEntrySchema.properties;
    expect(Object.keys(entry).sort()).toEqual(
      Object.keys(sent)
        .filter((k) => k !== "type")
        .sort(),
    );
    expect(ReceiptsFrameSchema.required).toEqual(["type", "receipts"]);
  });

  it("accepts an auth frame with capabilities, unknown ones included, and one without", () => {
    const announced = decodeClientFrame(
      '{"type":"auth","token":"t","capabilities":["receipt-batch","ack-batch","future-thing"]}',
    );
    expect(announced.ok && announced.frame).toMatchObject({
      capabilities: ["receipt-batch", "ack-batch", "future-thing"],
    });
    expect(decodeClientFrame('{"type":"auth","token":"t"}').ok).toBe(true);
  });

  it("refuses capabilities that are not a short list of non-empty strings", () => {
    refused('{"type":"auth","token":"t","capabilities":"receipt-batch"}');
    refused('{"type":"auth","token":"t","capabilities":[""]}');
    refused(`{"type":"auth","token":"t","capabilities":["${"x".repeat(65)}"]}`);
    refused(JSON.stringify({ type: "auth", token: "t", capabilities: Array(33).fill("a") }));
  });
});

describe("acks (§3.3)", () => {
  it("accepts a list of cumulative acks with an optional cid", () => {
    const result = decodeClientFrame(
      '{"type":"acks","cid":"a1","acks":[{"conversationId":"d:alice:bob","seq":42},{"conversationId":"g:7f","seq":0}]}',
    );
    expect(result.ok && result.frame).toEqual({
      type: "acks",
      cid: "a1",
      acks: [
        { conversationId: "d:alice:bob", seq: 42 },
        { conversationId: "g:7f", seq: 0 },
      ],
    });
  });

  it("refuses the whole frame when one entry is malformed, echoing the cid", () => {
    const bad = refused(
      '{"type":"acks","cid":"a2","acks":[{"conversationId":"d:alice:bob","seq":1},{"conversationId":"x:y","seq":1}]}',
    );
    expect(bad.cid).toBe("a2");
    expect(bad.error.message).toContain('invalid "acks" frame at /acks/1/conversationId');
    refused('{"type":"acks","acks":[{"conversationId":"d:alice:bob","seq":-1}]}');
    refused('{"type":"acks","acks":[{"conversationId":"d:alice:bob","seq":1.5}]}');
    refused('{"type":"acks","acks":[{"conversationId":"d:alice:bob"}]}');
  });

  it("refuses an empty list and more than the schema's ceiling of 1000 entries", () => {
    refused('{"type":"acks","acks":[]}');
    const entries = Array.from({ length: 1001 }, (_, i) => ({ conversationId: `g:${i}`, seq: 1 }));
    refused(JSON.stringify({ type: "acks", acks: entries }));
  });

  it("leaves the v1 ack frame as it was", () => {
    expect(decodeClientFrame('{"type":"ack","conversationId":"d:alice:bob","seq":3}').ok).toBe(
      true,
    );
    refused('{"type":"ack","acks":[{"conversationId":"d:alice:bob","seq":3}]}');
  });
});

describe("receipts (§5.3)", () => {
  it("encodes a receipts frame as the list of receipt fields", () => {
    expect(
      encodeFrame({
        type: "receipts",
        receipts: [{ conversationId: "d:alice:bob", userId: "bob", seq: 4, kind: "read" }],
      }),
    ).toBe(
      '{"type":"receipts","receipts":[{"conversationId":"d:alice:bob","userId":"bob","seq":4,"kind":"read"}]}',
    );
  });
});
