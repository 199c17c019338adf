import { signWebhookPayload, WEBHOOK_HEADERS } from "./webhook-signature.js";

/** The `fetch` the webhooks use (the global one by default; tests may pass another). */
export type WebhookFetch = (url: string, init: RequestInit) => Promise<Response>;

/** @internal What one signed POST returned. */
export interface PostOutcome {
  ok: boolean;
  status?: number;
  error?: string;
  /** The 2xx answer's body, when asked for (read within the timeout). */
  text?: string;
  ms: number;
}

/**
 * @internal POSTs `body` signed with every secret, aborting after `timeoutMs`.
 * Never throws; discards the answer's body unless `keepBody` (2xx only).
 */
export async function postSigned(
  fetchImpl: WebhookFetch,
  url: string,
  id: string,
  body: string,
  secret: string | readonly string[],
  timeoutMs: number,
  keepBody = false,
): Promise<PostOutcome> {
  const started = performance.now();
  const timestamp = Math.floor(Date.now() / 1000);
  const secrets = typeof secret === "string" ? [secret] : secret;
  const signature = secrets.map((s) => signWebhookPayload(s, timestamp, body)).join(" ");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetchImpl(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "lucky-im-webhooks",
        "idempotency-key": id,
        [WEBHOOK_HEADERS.id]: id,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signature,
      },
      body,
      signal: controller.signal,
      redirect: "manual",
    });
    const ok = response.status >= 200 && response.status < 300;
    let text: string | undefined;
    if (ok && keepBody) text = await response.text();
    else await response.body?.cancel().catch(() => undefined);
    return {
      ok,
      status: response.status,
      ...(ok ? {} : { error: `HTTP ${response.status}` }),
      ...(text !== undefined ? { text } : {}),
      ms: performance.now() - started,
    };
  } catch (error) {
    const aborted = controller.signal.aborted;
    return {
      ok: false,
      error: aborted
        ? `timeout after ${timeoutMs} ms`
        : error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error),
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}
