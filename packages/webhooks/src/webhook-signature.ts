import { createHmac, timingSafeEqual } from "node:crypto";

/** The headers of every webhook POST (lower case, as Node's `IncomingMessage` shows them). */
export const WEBHOOK_HEADERS = {
  /** The event id: the idempotency key, the same on every retry. */
  id: "webhook-id",
  /** Unix time in seconds when this attempt was signed. */
  timestamp: "webhook-timestamp",
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, one per secret, space-separated. */
  signature: "webhook-signature",
} as const;

/** How far a signature's timestamp may be from now by default, in seconds (the replay window). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The `v1=` signature of `body` signed at `timestamp` (unix seconds) with `secret`. */
export function signWebhookPayload(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `v1=${mac}`;
}

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookSignatureOptions {
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string | Uint8Array;
  /** The request headers (Node's `req.headers` or a plain record). */
  headers: Record<string, string | string[] | undefined> | Headers;
  /** The shared secret; several during a rotation (any may match). */
  secret: string | readonly string[];
  /**
   * The replay window: a timestamp further than this from now is refused, in seconds.
   * @default 300
   */
  toleranceSeconds?: number;
  /** The current time in ms (tests). @default Date.now() */
  now?: number;
}

/** What {@link verifyWebhookSignature} found. */
export type WebhookVerification =
  | {
      /** The signature matched within the window. */
      ok: true;
      /** The event id (`webhook-id`), to de-duplicate on. */
      id: string;
      /** The signed timestamp (unix seconds). */
      timestamp: number;
    }
  | {
      /** Refused. */
      ok: false;
      /** Why, for logs (never tell the sender more than 401). */
      reason: "missing_headers" | "bad_timestamp" | "expired" | "bad_signature";
    };

function header(
  headers: VerifyWebhookSignatureOptions["headers"],
  name: string,
): string | undefined {
  if (typeof (headers as Headers).get === "function") {
    return (headers as Headers).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a webhook request: the `webhook-signature` header must hold an HMAC-SHA256 of
 * `"<webhook-timestamp>.<raw body>"` under one of the secrets, and the timestamp must be
 * within the replay window. Compare in constant time; use the returned `id` to drop
 * duplicates (delivery is at-least-once).
 *
 * @example
 * ```ts
 * const result = verifyWebhookSignature({ body: rawBody, headers: req.headers, secret });
 * if (!result.ok) return res.writeHead(401).end();
 * ```
 */
export function verifyWebhookSignature(
  options: VerifyWebhookSignatureOptions,
): WebhookVerification {
  const id = header(options.headers, WEBHOOK_HEADERS.id);
  const stamp = header(options.headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(options.headers, WEBHOOK_HEADERS.signature);
  if (!id || !stamp || !signatures) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, reason: "bad_timestamp" };
  const timestamp = Number(stamp);
  const tolerance = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: "expired" };
  const body =
    typeof options.body === "string" ? options.body : Buffer.from(options.body).toString("utf8");
  const secrets = typeof options.secret === "string" ? [options.secret] : options.secret;
  const given = signatures.split(" ").filter((s) => s.startsWith("v1="));
  for (const secret of secrets) {
    const expected = Buffer.from(signWebhookPayload(secret, timestamp, body));
    for (const candidate of given) {
      const actual = Buffer.from(candidate);
      if (actual.length === expected.length && timingSafeEqual(actual, expected)) {
        return { ok: true, id, timestamp };
      }
    }
  }
  return { ok: false, reason: "bad_signature" };
}
