import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CloseCode,
  DEFAULT_JSON_LIMITS,
  decodeClientFrame,
  ERROR_CODES,
  encodeFrame,
  errorFrame,
  ImError,
} from "../src/index.js";

const send = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "send",
    cid: "c1",
    to: { type: "user", id: "bob" },
    body: { type: "text", text: "hi" },
    ...extra,
  });

function refusal(text: string, limits = DEFAULT_JSON_LIMITS) {
  const result = decodeClientFrame(text, limits);
  if (result.ok) throw new Error(`accepted: ${text.slice(0, 80)}`);
  expect(result.error.code).toBe("bad_request");
  return result;
}

describe("decodeClientFrame", () => {
  it("accepts a valid frame and ignores fields the frame does not define", () => {
    const result = decodeClientFrame(send({ from: "mallory" }));
    expect(result.ok && result.frame.type).toBe("send");
  });

  it("refuses an unknown type and a schema violation, echoing the cid and the type", () => {
    expect(refusal('{"type":"edit","cid":"c9"}')).toMatchObject({ cid: "c9", type: "edit" });
    const bad = refusal('{"type":"ack","cid":"c8","conversationId":"x:y","seq":1}');
    expect(bad.cid).toBe("c8");
    expect(bad.error.message).toContain('invalid "ack" frame at /conversationId');
  });

  it("refuses malformed JSON, non-objects and frames without a string type", () => {
    refusal("{");
    refusal("[1]");
    refusal('{"type":1}');
  });

  it("refuses frames over the byte and depth limits before parsing them", () => {
    const limits = { maxBytes: 100, maxDepth: 4 };
    expect(refusal(send({ pad: "é".repeat(40) }), limits).error.message).toContain("100 bytes");
    const deep = send({ body: { type: "custom", data: [[[[1]]]] } });
    expect(refusal(deep, { maxBytes: 1000, maxDepth: 4 }).error.message).toContain("4 levels");
  });

  it("counts depth, not brackets: many shallow objects or brackets in strings pass, depth at the limit passes", () => {
    const limits = { maxBytes: 10_000, maxDepth: 4 };
    const wide = send({ body: { type: "custom", data: Array.from({ length: 50 }, () => ({})) } });
    expect(decodeClientFrame(wide, limits).ok).toBe(true);
    const text = send({ body: { type: "text", text: "{[".repeat(100) } });
    expect(decodeClientFrame(text, limits).ok).toBe(true);
    const atLimit = send({ body: { type: "custom", data: [[1]] } });
    expect(decodeClientFrame(atLimit, limits).ok).toBe(true);
    const over = send({ body: { type: "custom", data: [[[1]]], pad: "[".repeat(10) } });
    expect(refusal(over, limits).error.message).toContain("4 levels");
  });

  it("refuses lone surrogates, NUL characters and prototype keys", () => {
    expect(refusal(send({ body: { type: "text", text: "a\ud800" } })).cid).toBe("c1");
    refusal(send({ body: { type: "text", text: "a\u0000" } }));
    expect(refusal('{"type":"ping","\\u005f_proto__":{}}').error.message).toContain("__proto__");
  });
});

describe("frames out", () => {
  it("encodes an error frame with and without a cid", () => {
    const error = new ImError("rate_limited", "slow down");
    expect(encodeFrame(errorFrame(error))).toBe(
      '{"type":"error","code":"rate_limited","message":"slow down"}',
    );
    expect(errorFrame(error, "c1")).toEqual({ ...errorFrame(error), cid: "c1" });
  });
});

describe("codes", () => {
  it("has the nine error codes in protocol order and the close codes of docs/protocol.md", () => {
    expect(ERROR_CODES).toEqual([
      "bad_request",
      "unauthorized",
      "forbidden",
      "not_found",
      "too_large",
      "rate_limited",
      "conflict",
      "unavailable",
      "internal",
    ]);
    expect(Object.values(CloseCode).sort()).toEqual([
      1000, 1001, 1008, 1009, 1013, 4008, 4401, 4403, 4408, 4409, 4429,
    ]);
  });

  it("keeps TypeBox out of the modules a browser client loads", () => {
    for (const name of ["backoff", "close-codes", "errors", "json-limits", "version"]) {
      const source = readFileSync(new URL(`../src/${name}.ts`, import.meta.url), "utf8");
      expect(source, name).not.toMatch(/from "@sinclair\/typebox/);
      expect(source, name).not.toMatch(/from "\.\/(schemas|codec)\.js"/);
    }
  });
});
