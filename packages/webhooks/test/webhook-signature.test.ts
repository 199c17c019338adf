import { describe, expect, it } from "vitest";
import { signWebhookPayload, verifyWebhookSignature } from "../src/index.js";

const secret = "whsec_0123456789abcdef";
const body = '{"id":"message.stored:m1","type":"message.stored"}';
const now = 1_800_000_000_000;
const ts = now / 1000;

function headers(signature: string, timestamp = ts, id = "message.stored:m1") {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  };
}

describe("webhook signatures", () => {
  it("verifies an HMAC-SHA256 of timestamp.body", () => {
    const signature = signWebhookPayload(secret, ts, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ body, headers: headers(signature), secret, now })).toEqual({
      ok: true,
      id: "message.stored:m1",
      timestamp: ts,
    });
    // Bytes and a fetch Headers object work too.
    expect(
      verifyWebhookSignature({
        body: new TextEncoder().encode(body),
        headers: new Headers(headers(signature)),
        secret,
        now,
      }).ok,
    ).toBe(true);
  });

  it("refuses a changed body, a wrong secret, a changed timestamp", () => {
    const signature = signWebhookPayload(secret, ts, body);
    const check = (b: string, s: string, h = headers(signature)) =>
      verifyWebhookSignature({ body: b, headers: h, secret: s, now });
    expect(check(`${body} `, secret)).toEqual({ ok: false, reason: "bad_signature" });
    expect(check(body, "another-secret-0123")).toEqual({ ok: false, reason: "bad_signature" });
    expect(check(body, secret, headers(signature, ts + 1))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(check(body, secret, headers("v1=zz"))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("keeps a replay window", () => {
    const old = ts - 301;
    const signature = signWebhookPayload(secret, old, body);
    expect(verifyWebhookSignature({ body, headers: headers(signature, old), secret, now })).toEqual(
      { ok: false, reason: "expired" },
    );
    expect(
      verifyWebhookSignature({
        body,
        headers: headers(signature, old),
        secret,
        now,
        toleranceSeconds: 600,
      }).ok,
    ).toBe(true);
  });

  it("refuses missing headers and a malformed timestamp", () => {
    expect(verifyWebhookSignature({ body, headers: {}, secret, now })).toEqual({
      ok: false,
      reason: "missing_headers",
    });
    expect(
      verifyWebhookSignature({ body, headers: headers("v1=00", "12abc" as never), secret, now }),
    ).toEqual({ ok: false, reason: "bad_timestamp" });
  });

  it("accepts any of several signatures and secrets (rotation)", () => {
    const next = "whsec_next_0123456789";
    const both = `${signWebhookPayload("whsec_old_0123456789", ts, body)} ${signWebhookPayload(next, ts, body)}`;
    expect(verifyWebhookSignature({ body, headers: headers(both), secret: next, now }).ok).toBe(
      true,
    );
    expect(
      verifyWebhookSignature({
        body,
        headers: headers(signWebhookPayload(secret, ts, body)),
        secret: ["whsec_other_0123456789", secret],
        now,
      }).ok,
    ).toBe(true);
  });
});
