import { signWebhookPayload, WEBHOOK_HEADERS } from "./webhook-signature.js";

/** The `fetch` the webhooks use (the global one by default; tests may pass another). */
export type WebhookFetch = (url: string, init: RequestInit) => Promise<Response>;

/** @internal What one signed POST returned. */
export interface PostOutcome {
  ok: boolean;
  status?: number;
  error?: string;
  /** The 2xx answer's body, when asked for (read within the timeout, up to the cap). */
  text?: string;
  ms: number;
}

/**
 * Reads at most `maxBytes` of the answer's body; `undefined` (the rest cancelled)
 * when it says or turns out to be larger: a receiver cannot make the server buffer
 * an endless answer.
 */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * @internal POSTs `body` signed with every secret, aborting after `timeoutMs`.
 * Never throws; discards the answer's body unless `keepBodyUpTo` (2xx only):
 * then reads at most that many bytes, a larger answer being a failure.
 */
export async function postSigned(
  fetchImpl: WebhookFetch,
  url: string,
  id: string,
  body: string,
  secret: string | readonly string[],
  timeoutMs: number,
  keepBodyUpTo?: number,
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
    if (ok && keepBodyUpTo !== undefined) {
      text = await readCapped(response, keepBodyUpTo);
      if (text === undefined) {
        return {
          ok: false,
          status: response.status,
          error: `the answer is larger than ${keepBodyUpTo} bytes`,
          ms: performance.now() - started,
        };
      }
    } else await response.body?.cancel().catch(() => undefined);
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
