import { randomUUID } from "node:crypto";
import {
  type BackgroundErrorHandler,
  type ImServer,
  reportBackgroundError,
  type SessionInfo,
} from "@lucky-im/core";
import type { WebhookEventSink } from "./webhook-storage.js";

/**
 * Records `user.connected` / `user.disconnected` for the sessions of this node (optional).
 * Best effort: they come from the node's events, not from a store, so a crash or a sink
 * failure (told to `onError`) loses them. Returns a function that stops listening.
 */
export function recordConnectionEvents(
  im: Pick<ImServer, "on" | "off">,
  sink: WebhookEventSink,
  onError?: BackgroundErrorHandler,
): () => void {
  const report = (error: unknown, context: string) => {
    if (onError) reportBackgroundError(onError, error, context);
  };
  const record = (
    type: "user.connected" | "user.disconnected",
    session: SessionInfo,
    code?: number,
  ) => {
    sink
      .record([
        {
          id: `${type}:${randomUUID()}`,
          type,
          occurredAt: Date.now(),
          data: {
            userId: session.userId,
            sessionId: session.sessionId,
            ...(code !== undefined ? { code } : {}),
          },
        },
      ])
      .catch((error: unknown) => report(error, "recording a connection webhook event"));
  };
  const onConnection = (session: SessionInfo) => record("user.connected", session);
  const onDisconnection = (session: SessionInfo, code: number) =>
    record("user.disconnected", session, code);
  im.on("connection", onConnection);
  im.on("disconnection", onDisconnection);
  return () => {
    im.off("connection", onConnection);
    im.off("disconnection", onDisconnection);
  };
}
