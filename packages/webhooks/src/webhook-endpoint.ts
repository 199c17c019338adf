import { ConfigError } from "@lucky-im/core";
import { isWebhookEventType, type WebhookEventType } from "./webhook-event.js";

/** One receiver of webhook events, chosen by the application. */
export interface WebhookEndpoint {
  /** A stable name (part of each delivery's id; letters, digits, `_`, `-`, `.`). */
  id: string;
  /** Where events are POSTed (`http:` or `https:`). */
  url: string;
  /** The HMAC-SHA256 secret (at least 16 characters); several during a rotation (each signs; a receiver accepts any). */
  secret: string | readonly string[];
  /** The event types it receives, or `"*"` for all. */
  events: readonly WebhookEventType[] | "*";
  /** How long one POST may take, in ms. @default 5000 */
  timeoutMs?: number;
}

/** A bad {@link WebhookEndpoint} (or before-send webhook) setting. */
export class WebhookConfigError extends ConfigError {
  /** @param message - what is wrong, naming the setting */
  constructor(message: string) {
    super("webhooks", message);
    this.name = "WebhookConfigError";
  }
}

/** The shortest secret accepted. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** The longest timeout accepted for one POST, in ms. */
export const MAX_WEBHOOK_TIMEOUT_MS = 60_000;

/** @internal Checks a URL, secret and timeout shared by both kinds of webhook. */
export function checkTarget(
  name: string,
  url: string,
  secret: string | readonly string[],
  timeoutMs: number | undefined,
): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookConfigError(`${name}: url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new WebhookConfigError(`${name}: url must be http: or https:, got ${parsed.protocol}`);
  }
  const secrets = typeof secret === "string" ? [secret] : [...secret];
  if (
    secrets.length === 0 ||
    secrets.some((s) => typeof s !== "string" || s.length < MIN_WEBHOOK_SECRET_LENGTH)
  ) {
    throw new WebhookConfigError(
      `${name}: every secret needs at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`,
    );
  }
  if (
    timeoutMs !== undefined &&
    (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_WEBHOOK_TIMEOUT_MS)
  ) {
    throw new WebhookConfigError(
      `${name}: timeoutMs must be an integer from 1 to ${MAX_WEBHOOK_TIMEOUT_MS}, got ${timeoutMs}`,
    );
  }
}

/**
 * Validates endpoints (unique ids, URLs, secrets, known event types, timeouts); throws
 * {@link WebhookConfigError} naming the first problem.
 */
export function checkWebhookEndpoints(endpoints: readonly WebhookEndpoint[]): void {
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    const { id } = endpoint;
    if (typeof id !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
      throw new WebhookConfigError(
        `endpoint id ${JSON.stringify(id)} must be 1-64 letters, digits, "_", "-" or "."`,
      );
    }
    if (seen.has(id)) throw new WebhookConfigError(`endpoint id "${id}" is used twice`);
    seen.add(id);
    checkTarget(`endpoint "${id}"`, endpoint.url, endpoint.secret, endpoint.timeoutMs);
    if (endpoint.events !== "*") {
      if (!Array.isArray(endpoint.events) || endpoint.events.length === 0) {
        throw new WebhookConfigError(`endpoint "${id}": events must be "*" or a non-empty list`);
      }
      const unknown = endpoint.events.find((e) => !isWebhookEventType(e));
      if (unknown !== undefined) {
        throw new WebhookConfigError(
          `endpoint "${id}": unknown event type ${JSON.stringify(unknown)}`,
        );
      }
    }
  }
}

/** Event types an endpoint receives only when it lists them (`"*"` leaves them out): high volume. */
export const OPT_IN_WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = ["message.read"];

/**
 * @internal Whether the endpoint receives events of `type`: every listed type; with `"*"`,
 * every type but the opt-in ones ({@link OPT_IN_WEBHOOK_EVENT_TYPES}).
 */
export function endpointWants(endpoint: WebhookEndpoint, type: WebhookEventType): boolean {
  return endpoint.events === "*"
    ? !OPT_IN_WEBHOOK_EVENT_TYPES.includes(type)
    : endpoint.events.includes(type);
}
