import { createHash } from "node:crypto";
import webPush from "web-push";
import type { PushDevice } from "../contracts/device-registry.js";
import type { PushNotification, PushProvider, PushResult } from "../contracts/push-provider.js";
import { networkFailure, retryAfterMs } from "./http-answer.js";
import { parseWebPushSubscription } from "./web-push-subscription.js";

/** The VAPID identity of the application server (RFC 8292). */
export interface VapidKeys {
  /** The P-256 public key, base64url (65 bytes uncompressed); browsers subscribe with it. */
  publicKey: string;
  /** The P-256 private key, base64url (32 bytes). */
  privateKey: string;
  /** A contact for the push service operator: `mailto:` or `https:` URL. */
  subject: string;
}

/** Options of {@link createWebPushProvider}. */
export interface WebPushProviderOptions {
  /** The VAPID keys and contact. */
  vapid: VapidKeys;
  /** Per request timeout, in ms. @default 10000 */
  timeoutMs?: number;
  /**
   * Accept `http:` subscription endpoints: only for a local stand-in in tests.
   * @default false
   */
  allowInsecureEndpoints?: boolean;
  /** The delay used for a 429/503 without `Retry-After`, in ms. @default 30000 */
  defaultRetryAfterMs?: number;
}

/**
 * The Web Push payload a service worker receives (JSON): the notification's
 * lines and data.
 */
export interface WebPushPayload {
  /** The title line. */
  title: string;
  /** The body line. */
  body: string;
  /** The collapse key; use it as the notification's `tag` so a newer one replaces it. */
  tag: string;
  /** How many messages it stands for. */
  count: number;
  /** Extra string fields (conversation id, message id, seq). */
  data: Record<string, string>;
}

/**
 * The `Topic` header for a collapse key: the push service keeps one pending
 * message per topic. A topic is at most 32 base64url characters, so the key
 * is hashed.
 */
export function webPushTopic(collapseKey: string): string {
  return createHash("sha256").update(collapseKey).digest("base64url").slice(0, 32);
}

/**
 * A {@link PushProvider} for browsers (platform `web`): encrypts the payload
 * (RFC 8291, `aes128gcm`) and signs a VAPID JWT (RFC 8292) with the
 * `web-push` library, then POSTs to the subscription's endpoint. 404 and 410
 * mean the subscription is gone; 429 and 503 are retried after `Retry-After`.
 */
export function createWebPushProvider(options: WebPushProviderOptions): PushProvider {
  const {
    vapid,
    timeoutMs = 10_000,
    allowInsecureEndpoints = false,
    defaultRetryAfterMs = 30_000,
  } = options;
  // Fail at startup, not at the first push, on malformed keys or subject.
  webPush.getVapidHeaders(
    "https://push.invalid",
    vapid.subject,
    vapid.publicKey,
    vapid.privateKey,
    "aes128gcm",
  );

  return {
    platform: "web",
    async send(notification: PushNotification, device: PushDevice): Promise<PushResult> {
      let subscription: ReturnType<typeof parseWebPushSubscription>;
      try {
        subscription = parseWebPushSubscription(device.token, allowInsecureEndpoints);
      } catch (error) {
        return { status: "invalid-token", reason: (error as Error).message };
      }
      const payload: WebPushPayload = {
        title: notification.title,
        body: notification.body,
        tag: notification.collapseKey,
        count: notification.count,
        data: notification.data,
      };
      let request: ReturnType<typeof webPush.generateRequestDetails>;
      try {
        request = webPush.generateRequestDetails(subscription, JSON.stringify(payload), {
          vapidDetails: vapid,
          TTL: notification.ttlSeconds,
          urgency: notification.urgency,
          topic: webPushTopic(notification.collapseKey),
          contentEncoding: "aes128gcm",
        });
      } catch (error) {
        // A key the library cannot use (wrong length, not on the curve): the token is unusable.
        return { status: "invalid-token", reason: (error as Error).message };
      }
      let response: Response;
      try {
        response = await fetch(request.endpoint, {
          method: "POST",
          headers: request.headers as Record<string, string>,
          body: request.body ? new Uint8Array(request.body) : undefined,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
      } catch (error) {
        return networkFailure(error);
      }
      const { status } = response;
      if (status >= 200 && status < 300) return { status: "ok" };
      const reason = `push service answered ${status}`;
      if (status === 404 || status === 410) return { status: "invalid-token", reason };
      if (status === 429 || status === 503) {
        const afterMs = retryAfterMs(response.headers.get("retry-after")) ?? defaultRetryAfterMs;
        return { status: "retry-after", afterMs, reason };
      }
      return { status: "failure", retryable: status >= 500, reason };
    },
  };
}
