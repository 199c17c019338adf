import type { Broker } from "../contracts/broker.js";
import type { Presence } from "../contracts/presence.js";
import type { ProfileStore } from "../contracts/profile-store.js";
import { Batcher } from "./batcher.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";
import type { PresenceAudience } from "./presence-audience.js";

/** Tells the cluster when a user comes online or goes offline. */
export interface PresenceAnnouncer {
  /**
   * Called when a user's first session on this node opened (`online`) or its last one
   * closed. Never rejects.
   */
  changed(userId: string, online: boolean): Promise<void>;
  /** Writes the last-seen times still waiting (on close). */
  flush(): Promise<void>;
}

/** What {@link PresenceEvents} works with. */
export interface PresenceEventsDeps {
  /** `ImServerOptions.presenceEvents`: also push `presence` to every conversation partner. */
  partnerFrames: boolean;
  /** Whether the user is still online elsewhere. */
  presence: Pick<Presence, "status">;
  /** Last-seen writes, and whether the user hides it. */
  profiles: Pick<ProfileStore, "get" | "setLastSeen">;
  /** Carries `presence_changed` to every node's watchers. */
  broker: Pick<Broker, "broadcast">;
  /** Who the partner frames go to. */
  audience: PresenceAudience;
  /** Sends the partner frames. */
  delivery: Pick<Delivery, "deliverFrame">;
  /** How long last-seen writes wait to be batched, in ms. */
  lastSeenBatchMs: number;
  /** Failures that reach no client. */
  errors: ErrorReporter;
}

/**
 * Presence events: a `presence_changed` broadcast per change (every node tells its
 * subscribed sessions), the last-seen time written to the profile store in batches
 * on a user's final disconnect, and, with `presenceEvents`, `presence` frames to the
 * user's conversation partners.
 */
export class PresenceEvents implements PresenceAnnouncer {
  private readonly lastSeenWrites: Batcher<string, number>;

  /** @param deps - the collaborators (see {@link PresenceEventsDeps}) */
  constructor(private readonly deps: PresenceEventsDeps) {
    this.lastSeenWrites = new Batcher(
      async (items) => {
        await Promise.all([...items].map(([userId, ts]) => deps.profiles.setLastSeen(userId, ts)));
      },
      {
        delayMs: deps.lastSeenBatchMs,
        maxItems: 500,
        merge: (a, b) => Math.max(a, b),
        onError: (error) => deps.errors.report(error, "writing last-seen times"),
      },
    );
  }

  /** {@inheritDoc PresenceAnnouncer.changed} */
  async changed(userId: string, online: boolean): Promise<void> {
    const { presence, profiles, broker, errors } = this.deps;
    try {
      let lastSeen: number | undefined;
      if (!online) {
        const status = await presence.status([userId]);
        // Another session elsewhere keeps the user online: nothing changed.
        if (status.get(userId)?.online) return;
        const now = Date.now();
        this.lastSeenWrites.add(userId, now);
        const profile = await profiles.get(userId);
        if (!profile?.hideLastSeen) lastSeen = now;
      }
      await broker.broadcast(
        lastSeen === undefined
          ? { type: "presence_changed", userId, online }
          : { type: "presence_changed", userId, online, lastSeen },
      );
      if (this.deps.partnerFrames) {
        const peers = await this.deps.audience.relatedTo(userId);
        await this.deps.delivery.deliverFrame(
          [...peers],
          lastSeen === undefined
            ? { type: "presence", userId, online }
            : { type: "presence", userId, online, lastSeen },
        );
      }
    } catch (error) {
      errors.report(error, "announcing presence");
    }
  }

  /** {@inheritDoc PresenceAnnouncer.flush} */
  flush(): Promise<void> {
    return this.lastSeenWrites.flush();
  }
}
