import { createDecipheriv, createECDH, hkdfSync, randomBytes, randomUUID } from "node:crypto";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { type StandInAnswer, type StandInRequest, startStandInServer } from "./stand-in-server.js";

/** How the stand-in answers pushes to one subscription. */
export type WebPushStandInBehaviour =
  | "accept"
  | "gone"
  | "not-found"
  | { throttle: number; retryAfterSeconds: number };

/** A push the stand-in accepted, decrypted. */
export interface ReceivedWebPush {
  /** The subscription's id (the last path segment of its endpoint). */
  subscriptionId: string;
  /** The decrypted payload, as text. */
  payload: string;
  /** The `TTL` header. */
  ttl: number;
  /** The `Urgency` header (absent: `normal`). */
  urgency: string | undefined;
  /** The `Topic` header. */
  topic: string | undefined;
  /** The verified VAPID JWT's claims. */
  vapidClaims: { aud: string; exp: number; sub: string };
}

/** A browser-side subscription the stand-in made: its JSON is the device token. */
export interface StandInSubscription {
  /** Its id. */
  id: string;
  /** `JSON.stringify` of the subscription, as a browser would send it. */
  token: string;
}

/**
 * A local stand-in for a Web Push service (RFC 8030) that checks each push as
 * a real service does and decrypts it as the browser would: the VAPID
 * `Authorization: vapid t=…, k=…` header (an ES256 JWT verified against `k`,
 * `aud` the service's origin, `exp` within 24 hours, `sub` a `mailto:` or
 * `https:` contact), `k` equal to the application server key the subscription
 * was made with, `Content-Encoding: aes128gcm`, a `TTL`, an optional valid
 * `Urgency` and `Topic`, and the payload (RFC 8291, with the subscription's
 * private key). A malformed push gets 400 and is listed in `rejected`.
 */
export interface WebPushStandIn {
  /** The service's origin. */
  origin: string;
  /**
   * Makes a subscription for `applicationServerKey` (the VAPID public key,
   * base64url), answering per `behaviour`.
   */
  subscribe(applicationServerKey: string, behaviour?: WebPushStandInBehaviour): StandInSubscription;
  /** Accepted pushes, oldest first. */
  readonly received: ReceivedWebPush[];
  /** Why malformed pushes were refused. */
  readonly rejected: string[];
  /** Stops the server. */
  close(): Promise<void>;
}

interface Subscription {
  ecdh: ReturnType<typeof createECDH>;
  publicKey: Buffer;
  auth: Buffer;
  applicationServerKey: string;
  behaviour: WebPushStandInBehaviour;
  throttled: number;
}

const URGENCIES = ["very-low", "low", "normal", "high"];

/** Starts a {@link WebPushStandIn} on 127.0.0.1 (a random port). */
export async function startWebPushStandIn(): Promise<WebPushStandIn> {
  const subscriptions = new Map<string, Subscription>();
  const received: ReceivedWebPush[] = [];
  const rejected: string[] = [];
  let origin = "";

  const refuse = (reason: string): StandInAnswer => {
    rejected.push(reason);
    return { status: 400, body: { reason } };
  };

  async function handle(request: StandInRequest): Promise<StandInAnswer> {
    const match = /^\/push\/([\w-]+)$/.exec(request.path);
    const subscription = match ? subscriptions.get(match[1] as string) : undefined;
    if (request.method !== "POST") return refuse(`method ${request.method}`);
    if (match === null || subscription === undefined) return { status: 404 };
    const subscriptionId = match[1] as string;
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };

    // VAPID (RFC 8292 §3): Authorization: vapid t=<JWT>, k=<public key>.
    const authorization = /^vapid t=([\w.-]+), ?k=([\w-]+)$/.exec(header("authorization") ?? "");
    if (authorization === null) return refuse("no vapid authorization");
    const [, jwt, k] = authorization as unknown as [string, string, string];
    if (k !== subscription.applicationServerKey) return refuse("k is not the subscription's key");
    let vapidClaims: ReceivedWebPush["vapidClaims"];
    try {
      if (decodeProtectedHeader(jwt).alg !== "ES256") return refuse("vapid JWT is not ES256");
      const raw = Buffer.from(k, "base64url");
      const key = await importJWK(
        {
          kty: "EC",
          crv: "P-256",
          x: raw.subarray(1, 33).toString("base64url"),
          y: raw.subarray(33, 65).toString("base64url"),
        },
        "ES256",
      );
      const { payload } = await jwtVerify(jwt, key, { audience: origin });
      const { exp, sub, aud } = payload as { exp?: number; sub?: string; aud?: string };
      if (typeof exp !== "number" || exp > Date.now() / 1000 + 24 * 3600) {
        return refuse("vapid exp missing or more than 24 h ahead");
      }
      if (typeof sub !== "string" || !/^(mailto:|https:)/.test(sub)) {
        return refuse("vapid sub is not mailto: or https:");
      }
      vapidClaims = { aud: aud as string, exp, sub };
    } catch (error) {
      return refuse(`vapid JWT: ${(error as Error).message}`);
    }

    const ttl = Number(header("ttl"));
    if (header("ttl") === undefined || !Number.isInteger(ttl) || ttl < 0) return refuse("bad TTL");
    const urgency = header("urgency");
    if (urgency !== undefined && !URGENCIES.includes(urgency)) return refuse("bad Urgency");
    const topic = header("topic");
    if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) return refuse("bad Topic");
    if (header("content-encoding") !== "aes128gcm") return refuse("Content-Encoding not aes128gcm");

    let payload: string;
    try {
      payload = decryptAes128gcm(request.body, subscription).toString("utf8");
    } catch (error) {
      return refuse(`payload: ${(error as Error).message}`);
    }

    const { behaviour } = subscription;
    if (behaviour === "gone") return { status: 410 };
    if (behaviour === "not-found") return { status: 404 };
    if (typeof behaviour === "object" && subscription.throttled < behaviour.throttle) {
      subscription.throttled++;
      return { status: 429, headers: { "retry-after": String(behaviour.retryAfterSeconds) } };
    }
    received.push({ subscriptionId, payload, ttl, urgency, topic, vapidClaims });
    return { status: 201, headers: { location: `${origin}/message/${randomUUID()}` } };
  }

  const server = await startStandInServer(handle);
  origin = server.origin;
  return {
    origin,
    subscribe(applicationServerKey, behaviour = "accept") {
      const id = randomUUID();
      const ecdh = createECDH("prime256v1");
      const publicKey = ecdh.generateKeys();
      const auth = randomBytes(16);
      subscriptions.set(id, {
        ecdh,
        publicKey,
        auth,
        applicationServerKey,
        behaviour,
        throttled: 0,
      });
      const token = JSON.stringify({
        endpoint: `${origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: publicKey.toString("base64url"), auth: auth.toString("base64url") },
      });
      return { id, token };
    },
    received,
    rejected,
    close: () => server.close(),
  };
}

/**
 * Decrypts an `aes128gcm` Web Push body as the user agent does (RFC 8291 §3.4,
 * RFC 8188 §2): header salt(16) | rs(4) | idlen(1) | keyid (the server's
 * ephemeral public key), then one record.
 */
function decryptAes128gcm(body: Buffer, subscription: Subscription): Buffer {
  if (body.length < 21) throw new Error("shorter than the aes128gcm header");
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20] as number;
  if (idlen !== 65) throw new Error(`keyid is ${idlen} bytes, not a P-256 point`);
  const serverPublicKey = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (record.length > rs) throw new Error("more than one record");
  const ecdhSecret = subscription.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([
    Buffer.from("WebPush: info\0"),
    subscription.publicKey,
    serverPublicKey,
  ]);
  const ikm = Buffer.from(hkdfSync("sha256", ecdhSecret, subscription.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, "Content-Encoding: aes128gcm\0", 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, "Content-Encoding: nonce\0", 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([
    decipher.update(record.subarray(0, record.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end);
}
