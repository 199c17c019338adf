import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import type { FcmServiceAccount } from "../providers/fcm-provider.js";
import { type StandInAnswer, type StandInRequest, startStandInServer } from "./stand-in-server.js";

/**
 * How the stand-in answers sends to one registration token: accept, 404
 * `UNREGISTERED`, 429 `QUOTA_EXCEEDED` with `Retry-After` for the first
 * `throttle` sends, or 500 `INTERNAL` for the first `internalErrors` sends
 * (`Infinity`: always).
 */
export type FcmStandInBehaviour =
  | "accept"
  | "unregistered"
  | { throttle: number; retryAfterSeconds: number }
  | { internalErrors: number };

/** A message the stand-in accepted. */
export interface ReceivedFcmMessage {
  /** The `message` object of the request body. */
  message: {
    token: string;
    notification?: { title?: string; body?: string };
    data?: Record<string, string>;
    android?: { collapse_key?: string; priority?: string; ttl?: string };
    apns?: { headers?: Record<string, string> };
    webpush?: { headers?: Record<string, string> };
  };
  /** The OAuth access token it was authorised with. */
  accessToken: string;
}

/**
 * A local stand-in for Google's OAuth 2.0 token endpoint and FCM HTTP v1,
 * checking requests as the services document them. The token endpoint takes a
 * form with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
 * RS256 `assertion` signed by the service account's key, with `iss` its
 * e-mail, `scope` the FCM scope, `aud` the token URL, `iat`/`exp` at most an
 * hour apart. `messages:send` wants `Authorization: Bearer` with an issued
 * token, the project in the path, and a JSON `message` with a `token` and
 * string-only `data`. Unknown tokens get 400 `INVALID_ARGUMENT`, unregistered
 * ones 404 `UNREGISTERED`. Refusals of malformed requests are listed in `rejected`.
 */
export interface FcmStandIn {
  /** The API origin (pass as `apiUrl`). */
  origin: string;
  /** The token endpoint (pass as `tokenUrl`). */
  tokenUrl: string;
  /** A service account whose key the stand-in trusts. */
  serviceAccount: FcmServiceAccount;
  /** Makes a registration token answering per `behaviour`. */
  register(behaviour?: FcmStandInBehaviour): string;
  /** Accepted messages, oldest first. */
  readonly received: ReceivedFcmMessage[];
  /** How many sends to this token were answered (accepted or not). */
  answered(token: string): number;
  /** Access tokens issued so far. */
  readonly accessTokensIssued: number;
  /** Why malformed requests were refused. */
  readonly rejected: string[];
  /** Forgets every issued access token (their next use gets 401). */
  revokeAccessTokens(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

const fcmError = (status: number, statusName: string, errorCode: string, message: string) => ({
  error: {
    code: status,
    message,
    status: statusName,
    details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }],
  },
});

/** Starts an {@link FcmStandIn} on 127.0.0.1 (a random port). */
export async function startFcmStandIn(projectId = "lucky-im-test"): Promise<FcmStandIn> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const serviceAccount: FcmServiceAccount = {
    projectId,
    clientEmail: `push@${projectId}.iam.gserviceaccount.com`,
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    privateKeyId: randomBytes(20).toString("hex"),
  };
  const verificationKey = await importSPKI(
    publicKey.export({ type: "spki", format: "pem" }).toString(),
    "RS256",
  );
  const behaviours = new Map<string, { behaviour: FcmStandInBehaviour; throttled: number }>();
  const accessTokens = new Set<string>();
  const received: ReceivedFcmMessage[] = [];
  const rejected: string[] = [];
  const answers = new Map<string, number>();
  let issued = 0;
  let origin = "";

  const refuse = (status: number, reason: string): StandInAnswer => {
    rejected.push(reason);
    return { status, body: { error: reason } };
  };

  async function token(request: StandInRequest): Promise<StandInAnswer> {
    if (!String(request.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
      return refuse(400, "token request is not a form");
    }
    const form = new URLSearchParams(request.body.toString("utf8"));
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return refuse(400, "bad grant_type");
    }
    const assertion = form.get("assertion") ?? "";
    try {
      const header = decodeProtectedHeader(assertion);
      if (header.alg !== "RS256") return refuse(400, "assertion is not RS256");
      if (header.kid !== undefined && header.kid !== serviceAccount.privateKeyId) {
        return refuse(400, "assertion kid is not the key's id");
      }
      const { payload } = await jwtVerify(assertion, verificationKey, {
        issuer: serviceAccount.clientEmail,
        audience: `${origin}/token`,
      });
      if (payload.scope !== FCM_SCOPE) return refuse(400, `bad scope ${String(payload.scope)}`);
      const { iat, exp } = payload;
      if (typeof iat !== "number" || typeof exp !== "number" || exp - iat > 3600) {
        return refuse(400, "assertion iat/exp missing or more than an hour apart");
      }
    } catch (error) {
      return refuse(400, `assertion: ${(error as Error).message}`);
    }
    const accessToken = `ya29.${randomBytes(24).toString("base64url")}`;
    accessTokens.add(accessToken);
    issued++;
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: 3599, token_type: "Bearer" },
    };
  }

  async function send(request: StandInRequest): Promise<StandInAnswer> {
    const bearer = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
    if (bearer === undefined || !accessTokens.has(bearer)) {
      return {
        status: 401,
        body: { error: { code: 401, status: "UNAUTHENTICATED", message: "bad credentials" } },
      };
    }
    let body: { message?: ReceivedFcmMessage["message"] };
    try {
      body = JSON.parse(request.body.toString("utf8"));
    } catch {
      return refuse(400, "body is not JSON");
    }
    const message = body.message;
    if (typeof message?.token !== "string") return refuse(400, "message.token missing");
    for (const [key, value] of Object.entries(message.data ?? {})) {
      if (typeof value !== "string") return refuse(400, `data.${key} is not a string`);
    }
    const entry = behaviours.get(message.token);
    answers.set(message.token, (answers.get(message.token) ?? 0) + 1);
    if (entry === undefined) {
      return {
        status: 400,
        body: fcmError(
          400,
          "INVALID_ARGUMENT",
          "INVALID_ARGUMENT",
          "not a valid FCM registration token",
        ),
      };
    }
    const { behaviour } = entry;
    if (behaviour === "unregistered") {
      return {
        status: 404,
        body: fcmError(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."),
      };
    }
    if (typeof behaviour === "object" && "internalErrors" in behaviour) {
      if (entry.throttled < behaviour.internalErrors) {
        entry.throttled++;
        return {
          status: 500,
          body: fcmError(500, "INTERNAL", "INTERNAL", "internal error"),
        };
      }
    } else if (typeof behaviour === "object" && entry.throttled < behaviour.throttle) {
      entry.throttled++;
      return {
        status: 429,
        headers: { "retry-after": String(behaviour.retryAfterSeconds) },
        body: fcmError(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "quota exceeded"),
      };
    }
    received.push({ message, accessToken: bearer });
    return { status: 200, body: { name: `projects/${projectId}/messages/${randomUUID()}` } };
  }

  const server = await startStandInServer(async (request) => {
    if (request.method === "POST" && request.path === "/token") return token(request);
    if (request.method === "POST" && request.path === `/v1/projects/${projectId}/messages:send`) {
      return send(request);
    }
    return refuse(404, `no route ${request.method} ${request.path}`);
  });
  origin = server.origin;
  return {
    origin,
    tokenUrl: `${origin}/token`,
    serviceAccount,
    register(behaviour = "accept") {
      const registrationToken = `${randomBytes(8).toString("hex")}:APA91b${randomBytes(60).toString("base64url")}`;
      behaviours.set(registrationToken, { behaviour, throttled: 0 });
      return registrationToken;
    },
    received,
    answered: (registrationToken) => answers.get(registrationToken) ?? 0,
    get accessTokensIssued() {
      return issued;
    },
    rejected,
    revokeAccessTokens: () => accessTokens.clear(),
    close: () => server.close(),
  };
}
