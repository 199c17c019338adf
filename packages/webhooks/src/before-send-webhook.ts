import { randomUUID } from "node:crypto";
import {
  type BackgroundErrorHandler,
  ImError,
  type MessageBody,
  reportBackgroundError,
  type SendContext,
} from "@lucky-im/core";
import { checkTarget, WebhookConfigError } from "./webhook-endpoint.js";
import { postSigned, type WebhookFetch } from "./webhook-post.js";

/** What a before-send webhook does when its endpoint fails, times out or answers nonsense. */
export type BeforeSendFailurePolicy = "open" | "closed";

/** Options of {@link createBeforeSendWebhook}. */
export interface BeforeSendWebhookOptions {
  /** Where each send is POSTed before it is stored. */
  url: string;
  /** The HMAC-SHA256 secret (at least 16 characters), as for event webhooks. */
  secret: string | readonly string[];
  /** The strict limit for the whole answer, in ms (the send waits this long at most). @default 1000 */
  timeoutMs?: number;
  /**
   * The largest answer body read, in bytes: a larger one (by its `Content-Length`
   * or once that many bytes came) is not read further and counts as a failed call
   * (`failurePolicy` decides).
   * @default 65536
   */
  maxResponseBytes?: number;
  /**
   * `open`: a failed call accepts the send as it is; `closed`: a failed call refuses it
   * with `unavailable`. There is no default: choose.
   */
  failurePolicy: BeforeSendFailurePolicy;
  /** The HTTP client. @default globalThis.fetch */
  fetch?: WebhookFetch;
  /** Told of every call: its latency and outcome (`accepted`, `rejected`, `replaced`, `failed`). */
  onCall?: (outcome: "accepted" | "rejected" | "replaced" | "failed", ms: number) => void;
  /**
   * Told of each failed call (the send then follows `failurePolicy`), as an `ImError`
   * (`unavailable`, its message saying why) and the context `"before-send webhook"`.
   */
  onError?: BackgroundErrorHandler;
}

/**
 * The HTTP form of the engine's `beforeSend` hook: POSTs `{ id, type: "message.before_send",
 * occurredAt, conversationId, data: { from, to, body } }`, signed like event webhooks, and
 * waits at most `timeoutMs`. The endpoint answers 204 or 200 `{"action":"accept"}` to accept,
 * 200 `{"action":"reject","reason":"..."}` to refuse (the sender gets `forbidden`), or 200
 * `{"action":"replace","body":{...}}` to store another body. Anything else (an answer
 * over `maxResponseBytes` included) follows `failurePolicy`.
 *
 * @example
 * ```ts
 * const beforeSend = createBeforeSendWebhook({ url, secret, timeoutMs: 500, failurePolicy: "open" });
 * const im = createImServer({ ...deps, hooks: { beforeSend } });
 * ```
 */
export function createBeforeSendWebhook(
  options: BeforeSendWebhookOptions,
): (context: SendContext) => Promise<MessageBody | undefined> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  checkTarget("before-send webhook", options.url, options.secret, timeoutMs);
  if (options.failurePolicy !== "open" && options.failurePolicy !== "closed") {
    throw new WebhookConfigError(
      `before-send webhook: failurePolicy must be "open" or "closed", got ${JSON.stringify(options.failurePolicy)}`,
    );
  }
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) {
    throw new WebhookConfigError(
      `before-send webhook: maxResponseBytes must be a positive integer, got ${String(options.maxResponseBytes)}`,
    );
  }
  const fetchImpl: WebhookFetch = options.fetch ?? ((url, init) => fetch(url, init));

  function failed(reason: string, ms: number): undefined {
    if (options.onError) {
      reportBackgroundError(
        options.onError,
        new ImError("unavailable", `[lucky-im] [webhooks] before-send webhook failed: ${reason}`),
        "before-send webhook",
      );
    }
    options.onCall?.("failed", ms);
    if (options.failurePolicy === "open") return undefined;
    throw new ImError(
      "unavailable",
      "[lucky-im] [webhooks] the message check is unavailable, try again",
    );
  }

  return async (context) => {
    const id = `message.before_send:${randomUUID()}`;
    const body = JSON.stringify({
      id,
      type: "message.before_send",
      occurredAt: Date.now(),
      conversationId: context.conversationId,
      data: { from: context.principal.userId, to: context.to, body: context.body },
    });
    const outcome = await postSigned(
      fetchImpl,
      options.url,
      id,
      body,
      options.secret,
      timeoutMs,
      maxResponseBytes,
    );
    if (!outcome.ok) return failed(outcome.error ?? "failed", outcome.ms);
    if (outcome.status === 204 || outcome.text === undefined || outcome.text.trim() === "") {
      options.onCall?.("accepted", outcome.ms);
      return undefined;
    }
    let answer: { action?: unknown; reason?: unknown; body?: unknown };
    try {
      answer = JSON.parse(outcome.text);
    } catch {
      return failed("the answer is not JSON", outcome.ms);
    }
    if (answer?.action === "accept") {
      options.onCall?.("accepted", outcome.ms);
      return undefined;
    }
    if (answer?.action === "reject") {
      options.onCall?.("rejected", outcome.ms);
      const reason = typeof answer.reason === "string" ? answer.reason.slice(0, 200) : "refused";
      throw new ImError("forbidden", `[lucky-im] [webhooks] message refused: ${reason}`);
    }
    if (
      answer?.action === "replace" &&
      typeof answer.body === "object" &&
      answer.body !== null &&
      typeof (answer.body as { type?: unknown }).type === "string"
    ) {
      options.onCall?.("replaced", outcome.ms);
      return answer.body as MessageBody;
    }
    return failed("the answer has no valid action", outcome.ms);
  };
}
