import { createHash, timingSafeEqual } from "node:crypto";
import {
  addressLimitKey,
  type BroadcastInput,
  type ImServer,
  type Message,
  type ServerSendInput,
  type ServerSendOutcome,
} from "@lucky-im/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { httpError } from "../http-errors.js";
import type { ImHttpRateLimiterFactory } from "../options.js";

/** What the server API needs: its key and its two limits. */
export interface ServerApiSettings {
  /** Unset: the routes are not mounted. */
  serverApiKey?: string;
  serverApiLimitPerMinute: number;
  serverApiBodyLimit: number;
}

/** A message as the server API answers it: the stored message's fields. */
type MessageAnswer = Pick<
  Message,
  "messageId" | "conversationId" | "seq" | "from" | "to" | "ts" | "cid"
>;

/** The fields of a stored message the server API returns (the body is the caller's). */
function answerOf(message: Message): MessageAnswer {
  const { messageId, conversationId, seq, from, to, ts, cid } = message;
  return { messageId, conversationId, seq, from, to, ts, cid };
}

/** One outcome of a batch or broadcast, in the API's shape. */
function outcomeAnswer(outcome: ServerSendOutcome): Record<string, unknown> {
  if (outcome.ok) return { ok: true, created: outcome.created, message: answerOf(outcome.message) };
  return {
    ok: false,
    cid: outcome.cid,
    error: { code: outcome.error.code, message: outcome.error.message },
  };
}

/** SHA-256 of a key: equal-length digests for a constant-time compare whatever the lengths. */
function digest(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/**
 * The server API (docs/protocol.md §14.2): `POST /server/messages` (one message, or
 * `{ messages: [...] }`) and `POST /server/broadcast`, for the application's own backend.
 * Authenticated by `Authorization: Bearer <serverApiKey>` (compared in constant
 * time), never by a user token; limited per client IP (`serverApiLimitPerMinute`, wrong keys
 * included) and in body size (`serverApiBodyLimit`), both checked before the body is read.
 * Without a configured key the routes do not exist (404).
 */
export function registerServerSendRoutes(
  app: FastifyInstance,
  ctx: { im: ImServer; config: ServerApiSettings },
  limiterFactory: ImHttpRateLimiterFactory,
): void {
  const { im, config } = ctx;
  const key = config.serverApiKey;
  if (key === undefined) return;
  const expected = digest(key);
  const limiter = limiterFactory({
    name: "http_server_api_ip",
    points: config.serverApiLimitPerMinute,
    durationMs: 60_000,
  });
  const bodyLimit = config.serverApiBodyLimit;

  /** Rate, size and key, before a byte of the body is read; refusals close the connection. */
  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const budget = await limiter.consume(`server_api:${addressLimitKey(request.ip)}`);
    if (!budget.allowed) {
      reply.header("retry-after", Math.max(1, Math.ceil(budget.retryAfterMs / 1000)));
      reply.header("connection", "close");
      throw httpError("rate_limited", "too many server API requests; retry later");
    }
    const header = request.headers.authorization;
    const given = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      reply.header("connection", "close");
      throw httpError(
        "unauthorized",
        "the server API needs Authorization: Bearer <LUCKY_IM_SERVER_API_KEY>",
      );
    }
    const length = Number(request.headers["content-length"]);
    if (Number.isFinite(length) && length > bodyLimit) {
      reply.header("connection", "close");
      throw httpError("too_large", `the body is larger than ${bodyLimit} bytes`);
    }
  };
  const options = { onRequest: guard, bodyLimit };

  app.post<{ Body: unknown }>("/server/messages", options, async (request, reply) => {
    const body = request.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw httpError("bad_request", "the body must be a message object or { messages: [...] }");
    }
    if ("messages" in body) {
      const outcomes = await im.sendMany((body as { messages: ServerSendInput[] }).messages);
      return reply.status(200).send({ results: outcomes.map(outcomeAnswer) });
    }
    const { message, created } = await im.send(body as ServerSendInput);
    return reply.status(created ? 201 : 200).send({ created, message: answerOf(message) });
  });

  app.post<{ Body: unknown }>("/server/broadcast", options, async (request, reply) => {
    const outcomes = await im.broadcast(request.body as BroadcastInput);
    return reply.status(200).send({
      results: outcomes.map((outcome) => ({ userId: outcome.userId, ...outcomeAnswer(outcome) })),
    });
  });
}
