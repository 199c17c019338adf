import { ConfigError } from "@lucky-im/core";
import { importPKCS8, SignJWT } from "jose";
import type { PushDevice } from "../contracts/device-registry.js";
import type { PushNotification, PushProvider, PushResult } from "../contracts/push-provider.js";
import { networkFailure, retryAfterMs } from "./http-answer.js";

/** The fields of a Google service-account key file this provider uses. */
export interface FcmServiceAccount {
  /** The Firebase project id (`project_id`). */
  projectId: string;
  /** The service account's e-mail (`client_email`). */
  clientEmail: string;
  /** The PKCS#8 PEM private key (`private_key`). */
  privateKey: string;
  /** The key id (`private_key_id`), put in the JWT header when given. */
  privateKeyId?: string;
}

/** Options of {@link createFcmProvider}. */
export interface FcmProviderOptions {
  /** The service account that signs the OAuth assertion. */
  serviceAccount: FcmServiceAccount;
  /** The OAuth 2.0 token endpoint. @default "https://oauth2.googleapis.com/token" */
  tokenUrl?: string;
  /** The FCM API origin. @default "https://fcm.googleapis.com" */
  apiUrl?: string;
  /** Per request timeout, in ms. @default 10000 */
  timeoutMs?: number;
  /** The delay used for a 429/503 without `Retry-After`, in ms. @default 30000 */
  defaultRetryAfterMs?: number;
}

/** The OAuth scope FCM HTTP v1 requires. */
export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

interface AccessToken {
  value: string;
  expiresAt: number;
}

/**
 * Reads a Google service-account key file's JSON into {@link FcmServiceAccount}.
 *
 * @throws ConfigError when a field is missing.
 */
export function parseFcmServiceAccount(json: string): FcmServiceAccount {
  const value = JSON.parse(json) as Record<string, unknown>;
  const field = (name: string) => {
    const v = value[name];
    if (typeof v !== "string" || v === "") {
      throw new ConfigError("push", `service account: ${name} is missing`, {
        option: `serviceAccount.${name}`,
      });
    }
    return v;
  };
  return {
    projectId: field("project_id"),
    clientEmail: field("client_email"),
    privateKey: field("private_key"),
    privateKeyId: typeof value.private_key_id === "string" ? value.private_key_id : undefined,
  };
}

/**
 * A {@link PushProvider} for Firebase Cloud Messaging HTTP v1 (platform
 * `fcm`). It signs a service-account JWT (RS256) and exchanges it for an
 * OAuth access token (cached until shortly before it expires), then
 * `POST {apiUrl}/v1/projects/{projectId}/messages:send`. `UNREGISTERED` (404)
 * drops the token; 429 and 503 are retried after `Retry-After`; a 401 renews
 * the access token before the retry.
 */
export function createFcmProvider(options: FcmProviderOptions): PushProvider {
  const {
    serviceAccount,
    tokenUrl = "https://oauth2.googleapis.com/token",
    apiUrl = "https://fcm.googleapis.com",
    timeoutMs = 10_000,
    defaultRetryAfterMs = 30_000,
  } = options;
  const sendUrl = new URL(
    `/v1/projects/${encodeURIComponent(serviceAccount.projectId)}/messages:send`,
    apiUrl,
  ).toString();
  const signingKey = importPKCS8(serviceAccount.privateKey, "RS256");
  // A startup error is reported at the first send too: avoid an unhandled rejection meanwhile.
  signingKey.catch(() => {});
  let cached: Promise<AccessToken> | undefined;

  async function fetchAccessToken(): Promise<AccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({
        alg: "RS256",
        typ: "JWT",
        ...(serviceAccount.privateKeyId ? { kid: serviceAccount.privateKeyId } : {}),
      })
      .setIssuer(serviceAccount.clientEmail)
      .setAudience(tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await signingKey);
    const response = await fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion,
      }).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (!response.ok || typeof body.access_token !== "string") {
      throw new Error(`the OAuth token endpoint answered ${response.status}`);
    }
    const lifetime = typeof body.expires_in === "number" ? body.expires_in : 3600;
    // Renew a minute early: a token must not expire between the check and the send.
    return { value: body.access_token, expiresAt: Date.now() + (lifetime - 60) * 1000 };
  }

  async function accessToken(): Promise<string> {
    if (cached !== undefined) {
      const token = await cached.catch(() => undefined);
      if (token !== undefined && token.expiresAt > Date.now()) return token.value;
    }
    const next = fetchAccessToken();
    cached = next;
    next.catch(() => {
      if (cached === next) cached = undefined;
    });
    return (await next).value;
  }

  return {
    platform: "fcm",
    async send(notification: PushNotification, device: PushDevice): Promise<PushResult> {
      const message = {
        message: {
          token: device.token,
          notification: { title: notification.title, body: notification.body },
          data: { ...notification.data, count: String(notification.count) },
          android: {
            collapse_key: notification.collapseKey,
            priority: notification.urgency === "high" ? "HIGH" : "NORMAL",
            ttl: `${notification.ttlSeconds}s`,
          },
          apns: {
            headers: {
              "apns-collapse-id": notification.collapseKey.slice(0, 64),
              "apns-priority": notification.urgency === "high" ? "10" : "5",
            },
          },
          webpush: {
            headers: { TTL: String(notification.ttlSeconds), Urgency: notification.urgency },
          },
        },
      };
      let response: Response;
      let answer: FcmErrorAnswer;
      try {
        const bearer = await accessToken();
        response = await fetch(sendUrl, {
          method: "POST",
          headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(timeoutMs),
        });
        answer = (await response.json().catch(() => ({}))) as FcmErrorAnswer;
      } catch (error) {
        return networkFailure(error);
      }
      const { status } = response;
      if (status >= 200 && status < 300) return { status: "ok" };
      const errorCode = answer.error?.details?.find((detail) => detail.errorCode)?.errorCode;
      const reason = `FCM answered ${status}${errorCode ? ` ${errorCode}` : ""}`;
      // Only FCM's own verdict on the token drops it: a bare 404 may be a wrong project or URL,
      // and dropping every token for a misconfiguration would lose all devices.
      if (errorCode === "UNREGISTERED") return { status: "invalid-token", reason };
      if (status === 429 || status === 503) {
        const afterMs = retryAfterMs(response.headers.get("retry-after")) ?? defaultRetryAfterMs;
        return { status: "retry-after", afterMs, reason };
      }
      if (status === 401) {
        cached = undefined;
        return { status: "failure", retryable: true, reason };
      }
      return { status: "failure", retryable: status >= 500, reason };
    },
  };
}

/** The error answer of FCM HTTP v1 (a google.rpc.Status with FcmError details). */
interface FcmErrorAnswer {
  error?: {
    code?: number;
    status?: string;
    details?: { "@type"?: string; errorCode?: string }[];
  };
}
