import type { Message } from "@lucky-im/core";

/** The messages one notification stands for: a user's burst in one conversation. */
export interface NotificationBatch {
  /** The recipient. */
  userId: string;
  /** The conversation. */
  conversationId: string;
  /** How many messages arrived in the batch window. */
  count: number;
  /** The latest of them. */
  latest: Message;
  /** Whether any of them mentions the recipient (or `all`). */
  mentioned: boolean;
}

/** The visible lines of a notification. */
export interface NotificationText {
  /** The title line. */
  title: string;
  /** The body line. */
  body: string;
}

/**
 * What a notification shows: `hidden` (the default, for privacy) says only
 * "New message" or "3 new messages"; `preview` shows the sender and the latest
 * text (media as `[image]`); a function decides itself (for display names).
 */
export type NotificationContent =
  | "hidden"
  | "preview"
  | ((batch: NotificationBatch) => NotificationText);

/** The longest preview text, in characters (push payloads are small: Web Push allows about 4 KB). */
export const MAX_PREVIEW_LENGTH = 200;

/** @internal The title and body of a batch under a content setting. */
export function notificationText(
  content: NotificationContent,
  batch: NotificationBatch,
): NotificationText {
  if (typeof content === "function") return content(batch);
  const headline = batch.count === 1 ? "New message" : `${batch.count} new messages`;
  if (content === "hidden") return { title: headline, body: "" };
  const { body } = batch.latest;
  const text = body.type === "text" ? body.text : `[${body.type}]`;
  const preview =
    text.length > MAX_PREVIEW_LENGTH ? `${text.slice(0, MAX_PREVIEW_LENGTH - 1)}…` : text;
  return {
    title: batch.latest.from,
    body: batch.count === 1 ? preview : `(${batch.count}) ${preview}`,
  };
}
