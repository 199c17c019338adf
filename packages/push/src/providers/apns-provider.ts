import { createHash } from "node:crypto";
import { type ClientHttp2Session, connect, constants } from "node:http2";
import { ConfigError } from "@lucky-im/core";
import { importPKCS8, SignJWT } from "jose";
import type { PushDevice } from "../contracts/device-registry.js";
import type { PushNotification, PushProvider, PushResult } from "../contracts/push-provider.js";
import { networkFailure } from "./http-answer.js";

/** An APNs token-authentication key (a `.p8` file from the Apple developer account). */
export interface ApnsSigningKey {
  /** The key's id (10 characters), the JWT's `kid`. */
  keyId: string;
  /** The developer team id (10 characters), the JWT's `iss`. */
  teamId: string;
  /** The key: the `.p8` file's PKCS#8 PEM text (a P-256 key). */
  privateKey: string;
}

/** Options of {@link createApnsProvider}. */
export interface ApnsProviderOptions {
  /** The token-authentication key that signs the provider JWT (ES256). */
  key: ApnsSigningKey;
  /** The app's bundle id, sent as `apns-topic`. */
  topic: string;
  /**
   * The APNs origin: {@link APNS_PRODUCTION} or {@link APNS_SANDBOX} (development builds).
   * @default APNS_PRODUCTION
   */
  origin?: string;
  /** Per request timeout, in ms. @default 10000 */
  timeoutMs?: number;
  /** The delay used for a 429 or 503 (APNs sends no `Retry-After`), in ms. @default 30000 */
  defaultRetryAfterMs?: number;
  /**
   * How long a provider JWT is reused, in ms. Apple refuses one older than an hour
   * and too frequent new ones (at most one per 20 minutes).
   * @default 2400000 (40 minutes)
   */
  tokenLifetimeMs?: number;
}

/** The production APNs origin. */
export const APNS_PRODUCTION = "https://api.push.apple.com";
/** The development (sandbox) APNs origin. */
export const APNS_SANDBOX = "https://api.sandbox.push.apple.com";

/** The most bytes of an `apns-collapse-id`. */
const MAX_COLLAPSE_ID_BYTES = 64;

/** Reasons of a 400/410 answer that mean the device token is gone. */
const INVALID_TOKEN_REASONS = new Set(["BadDeviceToken", "Unregistered"]);

/**
 * The `apns-collapse-id` for a collapse key: the key itself when it fits in
 * 64 bytes, else a SHA-256 of it (base64url, 43 characters).
 */
export function apnsCollapseId(collapseKey: string): string {
  if (Buffer.byteLength(collapseKey) <= MAX_COLLAPSE_ID_BYTES) return collapseKey;
  return createHash("sha256").update(collapseKey).digest("base64url");
}

interface Answer {
  status: number;
  body: string;
}

/**
 * A {@link PushProvider} for Apple Push Notification service with token-based
 * authentication: an ES256 JWT (`kid` the key id, `iss` the team id, `iat`),
 * reused for `tokenLifetimeMs`, over one HTTP/2 connection
 * (`POST /3/device/<token>` with `apns-topic`, `apns-push-type: alert`,
 * `apns-priority`, `apns-collapse-id`, `apns-expiration`). `410 Unregistered`
 * and `400 BadDeviceToken` are `invalid-token` (`DeviceTokenNotForTopic` is not:
 * a wrong topic would drop every device); 429 and 503 are `retry-after`; `403 ExpiredProviderToken` signs a new JWT and
 * is retried.
 */
export function createApnsProvider(options: ApnsProviderOptions): PushProvider & {
  /** Closes the HTTP/2 connection (a later send opens a new one). */
  close(): Promise<void>;
} {
  const { key, topic } = options;
  const origin = options.origin ?? APNS_PRODUCTION;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const defaultRetryAfterMs = options.defaultRetryAfterMs ?? 30_000;
  const tokenLifetimeMs = options.tokenLifetimeMs ?? 40 * 60_000;
  if (!topic) {
    throw new ConfigError("push", "APNs: topic (the bundle id) is required", { option: "topic" });
  }

  let signingKey: Promise<CryptoKey> | undefined;
  let token: { value: string; issuedAt: number } | undefined;
  let session: ClientHttp2Session | undefined;

  async function providerToken(): Promise<string> {
    const now = Date.now();
    if (token !== undefined && now - token.issuedAt < tokenLifetimeMs) return token.value;
    signingKey ??= importPKCS8(key.privateKey, "ES256");
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: key.keyId })
      .setIssuer(key.teamId)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(await signingKey);
    token = { value, issuedAt: now };
    return value;
  }

  function http2Session(): ClientHttp2Session {
    if (session === undefined || session.closed || session.destroyed) {
      const opened = connect(origin);
      opened.on("error", () => {
        if (session === opened) session = undefined;
      });
      opened.on("close", () => {
        if (session === opened) session = undefined;
      });
      opened.unref();
      session = opened;
    }
    return session;
  }

  function post(path: string, headers: Record<string, string>, body: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = http2Session().request({
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: path,
        ...headers,
      });
      request.setTimeout(timeoutMs, () => {
        request.close(constants.NGHTTP2_CANCEL);
        reject(new Error(`APNs did not answer within ${timeoutMs} ms`));
      });
      let status = 0;
      const chunks: Buffer[] = [];
      request.on("response", (answer) => {
        status = Number(answer[constants.HTTP2_HEADER_STATUS]);
      });
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => resolve({ status, body: Buffer.concat(chunks).toString("utf8") }));
      request.on("error", reject);
      request.end(body);
    });
  }

  return {
    platform: "apns",
    async send(notification: PushNotification, device: PushDevice): Promise<PushResult> {
      const payload = JSON.stringify({
        ...notification.data,
        aps: {
          alert: { title: notification.title, body: notification.body },
          "thread-id": notification.conversationId,
          sound: "default",
        },
      });
      let answer: Answer;
      try {
        answer = await post(
          `/3/device/${encodeURIComponent(device.token)}`,
          {
            authorization: `bearer ${await providerToken()}`,
            "apns-topic": topic,
            "apns-push-type": "alert",
            "apns-priority": notification.urgency === "high" ? "10" : "5",
            "apns-collapse-id": apnsCollapseId(notification.collapseKey),
            "apns-expiration": String(
              Math.floor(Date.now() / 1000) + Math.max(0, notification.ttlSeconds),
            ),
            "content-type": "application/json",
          },
          payload,
        );
      } catch (error) {
        session?.destroy();
        session = undefined;
        return networkFailure(error);
      }
      const { status } = answer;
      if (status === 200) return { status: "ok" };
      let reason = "";
      try {
        reason = String((JSON.parse(answer.body) as { reason?: unknown }).reason ?? "");
      } catch {
        // Not JSON: the status says enough.
      }
      const described = `APNs answered ${status}${reason ? ` ${reason}` : ""}`;
      if ((status === 410 || status === 400) && INVALID_TOKEN_REASONS.has(reason)) {
        return { status: "invalid-token", reason: described };
      }
      if (status === 429 || status === 503) {
        return { status: "retry-after", afterMs: defaultRetryAfterMs, reason: described };
      }
      if (status === 403 && reason === "ExpiredProviderToken") {
        token = undefined;
        return { status: "failure", retryable: true, reason: described };
      }
      return { status: "failure", retryable: status >= 500, reason: described };
    },
    async close() {
      const open = session;
      session = undefined;
      if (open && !open.closed) await new Promise<void>((resolve) => open.close(() => resolve()));
    },
  };
}
