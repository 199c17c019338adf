import type { CursorStore } from "../contracts/cursor-store.js";
import type { Presence } from "../contracts/presence.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";

/** Tells a user's contacts when they come online or go offline. */
export interface PresenceAnnouncer {
  /**
   * Called when a user's first session on this node opened (`online`) or its last one
   * closed; a no-op unless `presenceEvents` is on. Never rejects.
   */
  changed(userId: string, online: boolean): Promise<void>;
}

/** What {@link PresenceEvents} works with. */
export interface PresenceEventsDeps {
  /** `ImServerOptions.presenceEvents`: announce at all. */
  enabled: boolean;
  /** Whether the user is still online elsewhere. */
  presence: Pick<Presence, "status">;
  /** Whom to tell: the participants of the user's recent conversations. */
  cursors: Pick<CursorStore, "conversations" | "participants">;
  /** Sends the `presence` frames. */
  delivery: Pick<Delivery, "deliverFrame">;
  /** Failures that reach no client. */
  errors: ErrorReporter;
}

/** Conversations whose participants hear about a presence change. */
const ANNOUNCE_CONVERSATIONS = 200;

/** Presence events: `presence` frames to the peers of the user's recent conversations. */
export class PresenceEvents implements PresenceAnnouncer {
  /** @param deps - the collaborators (see {@link PresenceEventsDeps}) */
  constructor(private readonly deps: PresenceEventsDeps) {}

  /** {@inheritDoc PresenceAnnouncer.changed} */
  async changed(userId: string, online: boolean): Promise<void> {
    if (!this.deps.enabled) return;
    const { presence, cursors, delivery, errors } = this.deps;
    try {
      const status = await presence.status([userId]);
      // Another session elsewhere keeps the user online: nothing changed.
      if (!online && status.get(userId)?.online) return;
      const summaries = await cursors.conversations(userId, { limit: ANNOUNCE_CONVERSATIONS });
      const peers = new Set<string>();
      for (const summary of summaries) {
        for (const peer of await cursors.participants(summary.conversationId)) {
          if (peer !== userId) peers.add(peer);
        }
      }
      await delivery.deliverFrame([...peers], { type: "presence", userId, online });
    } catch (error) {
      errors.report(error, "announcing presence");
    }
  }
}
