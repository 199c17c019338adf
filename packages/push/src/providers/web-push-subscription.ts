/** A browser's push subscription, as `JSON.stringify(pushSubscription)` gives it. */
export interface WebPushSubscription {
  /** The push service URL to POST to. */
  endpoint: string;
  /** The subscription's keys, base64url. */
  keys: {
    /** The browser's P-256 public key (65 bytes, uncompressed). */
    p256dh: string;
    /** The 16-byte authentication secret. */
    auth: string;
  };
}

const BASE64URL = /^[A-Za-z0-9_-]+=*$/;

/**
 * Parses and checks a Web Push device token (a subscription's JSON). The
 * endpoint must be `https:` unless `allowInsecure` (local stand-ins in tests):
 * the server POSTs to it, so it must not reach plain-HTTP internal services.
 *
 * @throws Error naming what is wrong.
 */
export function parseWebPushSubscription(
  token: string,
  allowInsecure = false,
): WebPushSubscription {
  let value: unknown;
  try {
    value = JSON.parse(token);
  } catch {
    throw new Error("a web push token must be a subscription's JSON");
  }
  const { endpoint, keys } = (value ?? {}) as Partial<WebPushSubscription>;
  if (typeof endpoint !== "string") throw new Error("the subscription has no endpoint");
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error("the subscription endpoint is not a URL");
  }
  if (url.protocol !== "https:" && !(allowInsecure && url.protocol === "http:")) {
    throw new Error("the subscription endpoint must be https");
  }
  const { p256dh, auth } = keys ?? ({} as Partial<WebPushSubscription["keys"]>);
  if (typeof p256dh !== "string" || !BASE64URL.test(p256dh) || p256dh.length < 86) {
    throw new Error("the subscription's p256dh key is not a base64url P-256 public key");
  }
  if (typeof auth !== "string" || !BASE64URL.test(auth) || auth.length < 22) {
    throw new Error("the subscription's auth secret is not 16 base64url bytes");
  }
  return { endpoint, keys: { p256dh, auth } };
}
