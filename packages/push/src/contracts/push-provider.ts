import type { PushDevice, PushPlatform } from "./device-registry.js";

/** What a push notification says; providers map it to their service's format. */
export interface PushNotification {
  /** The title line (for example the sender, or "New message" when content is hidden). */
  title: string;
  /** The body line. */
  body: string;
  /** The conversation it is about. */
  conversationId: string;
  /** How many messages it stands for (a burst is batched into one notification). */
  count: number;
  /**
   * Notifications with the same key replace each other on the device (Web
   * Push `Topic`, FCM `collapse_key`, APNs `apns-collapse-id`): one per
   * conversation.
   */
  collapseKey: string;
  /** How long the push service keeps it for an unreachable device, in seconds. */
  ttlSeconds: number;
  /** Delivery urgency; `high` wakes the device. */
  urgency: "very-low" | "low" | "normal" | "high";
  /** Extra string fields handed to the app on the device (the message id, the sequence number). */
  data: Record<string, string>;
}

/**
 * What a provider answers for one send:
 * - `ok`: the push service accepted it;
 * - `invalid-token`: the device is gone (unsubscribed, uninstalled): drop its token;
 * - `retry-after`: throttled or unavailable: try again after `afterMs`;
 * - `failure`: refused; `retryable` says whether trying again may help.
 */
export type PushResult =
  | { status: "ok" }
  | { status: "invalid-token"; reason: string }
  | { status: "retry-after"; afterMs: number; reason: string }
  | { status: "failure"; retryable: boolean; reason: string };

/**
 * One push service (Web Push, FCM, APNs). A provider never throws for an
 * answer of the service: it maps it to a {@link PushResult}. A network error
 * is a retryable `failure`.
 */
export interface PushProvider {
  /** The platform of the device tokens it sends to. */
  readonly platform: PushPlatform;
  /** Sends one notification to one device. */
  send(notification: PushNotification, device: PushDevice): Promise<PushResult>;
}
