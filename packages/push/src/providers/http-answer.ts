import type { PushResult } from "../contracts/push-provider.js";

/** @internal The delay a `Retry-After` header asks for (seconds or an HTTP date), in ms. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** @internal A network error or timeout as a retryable failure. */
export function networkFailure(error: unknown): PushResult {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: "failure", retryable: true, reason };
}
