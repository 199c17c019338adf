import { generateKeyPairSync, randomBytes } from "node:crypto";
import {
  constants,
  createServer,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import type { ApnsSigningKey } from "../providers/apns-provider.js";

/**
 * How the stand-in answers pushes to one device token: accept, `410
 * Unregistered`, `400 BadDeviceToken`, `429 TooManyRequests` for the first
 * `throttle` pushes, or `500 InternalServerError` for the first `internalErrors`.
 */
export type ApnsStandInBehaviour =
  | "accept"
  | "unregistered"
  | "bad-token"
  | { throttle: number }
  | { internalErrors: number };

/** A push the stand-in accepted. */
export interface ReceivedApnsPush {
  /** The device token from the path. */
  token: string;
  /** The APNs request headers (`apns-*`, `authorization`). */
  headers: Record<string, string>;
  /** The JSON payload. */
  payload: { aps: { alert?: { title?: string; body?: string }; "thread-id"?: string } } & Record<
    string,
    unknown
  >;
}

/**
 * A local stand-in for APNs (HTTP/2 without TLS, h2c), checking each request
 * as Apple documents it: `POST /3/device/<64 hex>`; `authorization: bearer`
 * with an ES256 JWT whose header `kid` is the key id and whose `iss` is the
 * team id, signed by the key, `iat` within the last hour (else 403
 * `ExpiredProviderToken`); `apns-topic` the bundle id (else 400
 * `DeviceTokenNotForTopic`/`MissingTopic`); `apns-push-type` `alert` with an
 * `aps.alert` in the payload; `apns-priority` 5 or 10; `apns-expiration` a
 * UNIX time; `apns-collapse-id` at most 64 bytes; a JSON payload of at most
 * 4096 bytes. Malformed requests are listed in `rejected`.
 */
export interface ApnsStandIn {
  /** The origin (`http://127.0.0.1:<port>`), pass as the provider's `origin`. */
  origin: string;
  /** A signing key the stand-in trusts. */
  key: ApnsSigningKey;
  /** The bundle id the stand-in expects as `apns-topic`. */
  topic: string;
  /** Makes a device token answering per `behaviour`. */
  register(behaviour?: ApnsStandInBehaviour): string;
  /** Accepted pushes, oldest first. */
  readonly received: ReceivedApnsPush[];
  /** Why malformed requests were refused. */
  readonly rejected: string[];
  /** Provider JWTs seen, distinct. */
  readonly providerTokens: ReadonlySet<string>;
  /** Makes every provider JWT seen so far answer 403 `ExpiredProviderToken` (as after an hour). */
  expireProviderTokens(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const PUSH_TYPES = new Set([
  "alert",
  "background",
  "location",
  "voip",
  "complication",
  "fileprovider",
  "mdm",
  "liveactivity",
  "pushtotalk",
]);

/** Starts an {@link ApnsStandIn} on 127.0.0.1 (a random port). */
export async function startApnsStandIn(topic = "im.lucky.app"): Promise<ApnsStandIn> {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key: ApnsSigningKey = {
    keyId: randomBytes(5).toString("hex").toUpperCase(),
    teamId: randomBytes(5).toString("hex").toUpperCase(),
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  const verificationKey = await importSPKI(
    publicKey.export({ type: "spki", format: "pem" }).toString(),
    "ES256",
  );
  const behaviours = new Map<string, { behaviour: ApnsStandInBehaviour; refused: number }>();
  const received: ReceivedApnsPush[] = [];
  const rejected: string[] = [];
  const providerTokens = new Set<string>();
  const expired = new Set<string>();

  const answer = (stream: ServerHttp2Stream, status: number, reason?: string) => {
    stream.respond({
      [constants.HTTP2_HEADER_STATUS]: status,
      "apns-id": randomBytes(16).toString("hex"),
      ...(reason ? { "content-type": "application/json" } : {}),
    });
    stream.end(
      reason
        ? JSON.stringify(status === 410 ? { reason, timestamp: Date.now() } : { reason })
        : undefined,
    );
  };

  async function handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer) {
    const refuse = (status: number, reason: string, why: string) => {
      rejected.push(why);
      answer(stream, status, reason);
    };
    const method = headers[constants.HTTP2_HEADER_METHOD];
    const path = String(headers[constants.HTTP2_HEADER_PATH] ?? "");
    const match = /^\/3\/device\/([^/?]+)$/.exec(path);
    if (method !== "POST" || !match) return refuse(405, "MethodNotAllowed", `${method} ${path}`);
    const token = decodeURIComponent(match[1] as string);
    if (!/^[0-9a-f]{64}$/i.test(token)) return refuse(400, "BadDeviceToken", "token not 64 hex");

    const bearer = /^bearer (\S+)$/.exec(String(headers.authorization ?? ""))?.[1];
    if (bearer === undefined) return refuse(403, "MissingProviderToken", "no bearer token");
    try {
      const header = decodeProtectedHeader(bearer);
      if (header.alg !== "ES256") return refuse(403, "InvalidProviderToken", "JWT is not ES256");
      if (header.kid !== key.keyId) return refuse(403, "InvalidProviderToken", "JWT kid");
      const { payload } = await jwtVerify(bearer, verificationKey, { issuer: key.teamId });
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.iat !== "number" || payload.iat > now + 60) {
        return refuse(403, "InvalidProviderToken", "JWT iat missing or in the future");
      }
      if (now - payload.iat > 3600 || expired.has(bearer)) {
        answer(stream, 403, "ExpiredProviderToken");
        return;
      }
    } catch (error) {
      return refuse(403, "InvalidProviderToken", `JWT: ${(error as Error).message}`);
    }
    providerTokens.add(bearer);

    const topicHeader = headers["apns-topic"];
    if (topicHeader === undefined) return refuse(400, "MissingTopic", "no apns-topic");
    if (topicHeader !== topic) return refuse(400, "DeviceTokenNotForTopic", "apns-topic");
    const pushType = String(headers["apns-push-type"] ?? "");
    if (!PUSH_TYPES.has(pushType)) return refuse(400, "InvalidPushType", "apns-push-type");
    const priority = headers["apns-priority"];
    if (priority !== undefined && !["1", "5", "10"].includes(String(priority))) {
      return refuse(400, "BadPriority", "apns-priority");
    }
    const expiration = headers["apns-expiration"];
    if (expiration !== undefined && !/^\d+$/.test(String(expiration))) {
      return refuse(400, "BadExpirationDate", "apns-expiration");
    }
    const collapseId = headers["apns-collapse-id"];
    if (collapseId !== undefined && Buffer.byteLength(String(collapseId)) > 64) {
      return refuse(400, "BadCollapseId", "apns-collapse-id over 64 bytes");
    }
    if (body.length > 4096) return refuse(413, "PayloadTooLarge", "payload over 4096 bytes");
    let payload: ReceivedApnsPush["payload"];
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return refuse(400, "PayloadEmpty", "payload is not JSON");
    }
    if (typeof payload?.aps !== "object" || payload.aps === null) {
      return refuse(400, "PayloadEmpty", "no aps dictionary");
    }
    if (pushType === "alert" && payload.aps.alert === undefined) {
      return refuse(400, "PayloadEmpty", "an alert push without aps.alert");
    }

    const entry = behaviours.get(token);
    if (entry === undefined || entry.behaviour === "bad-token") {
      return answer(stream, 400, "BadDeviceToken");
    }
    const { behaviour } = entry;
    if (behaviour === "unregistered") return answer(stream, 410, "Unregistered");
    if (typeof behaviour === "object") {
      const limit = "throttle" in behaviour ? behaviour.throttle : behaviour.internalErrors;
      if (entry.refused < limit) {
        entry.refused++;
        return "throttle" in behaviour
          ? answer(stream, 429, "TooManyRequests")
          : answer(stream, 500, "InternalServerError");
      }
    }
    const seen: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(":") && value !== undefined) seen[name] = String(value);
    }
    received.push({ token, headers: seen, payload });
    answer(stream, 200);
  }

  const server = createServer();
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      handle(stream, headers, Buffer.concat(chunks)).catch((error: unknown) => {
        rejected.push(`stand-in error: ${String(error)}`);
        if (!stream.headersSent) answer(stream, 500, "InternalServerError");
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    key,
    topic,
    register(behaviour = "accept") {
      const token = randomBytes(32).toString("hex");
      behaviours.set(token, { behaviour, refused: 0 });
      return token;
    },
    received,
    rejected,
    providerTokens,
    expireProviderTokens() {
      for (const seen of providerTokens) expired.add(seen);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
