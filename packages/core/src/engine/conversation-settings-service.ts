import type { Broker } from "../contracts/broker.js";
import type { ConversationSettingsStore } from "../contracts/conversation-settings-store.js";
import {
  type ConversationSettings,
  type ConversationSettingsPatch,
  isMuted,
} from "../domain/conversation-settings.js";
import { ImError } from "../errors.js";
import type { ConversationSettingsFrame } from "../protocol/schemas.js";
import type { ConversationSettingsOperations } from "./conversation-settings-operations.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";
import type { SettingsCache } from "./settings-cache.js";

/** The `conversation_settings` frame of stored settings. */
export function settingsFrame(settings: ConversationSettings): ConversationSettingsFrame {
  return {
    type: "conversation_settings",
    conversationId: settings.conversationId,
    pinnedAt: settings.pinnedAt,
    mutedUntil: settings.mutedUntil,
    archived: settings.archived,
    markedUnread: settings.markedUnread,
  };
}

/** What {@link ConversationSettingsService} works with. */
export interface ConversationSettingsServiceDeps {
  /** The store. */
  store: ConversationSettingsStore;
  /** This node's cache of settings (mute for `onOffline`, the unread mark for `read`). */
  cache: SettingsCache;
  /** Tells the other nodes to drop their cached entry. */
  broker: Pick<Broker, "broadcast">;
  /** Sends the frame to the user's sessions everywhere. */
  delivery: Pick<Delivery, "deliverFrame">;
  /** Failures that reach no client. */
  errors: ErrorReporter;
}

/** Checks the patch's shape: an API caller may pass anything. */
function checkPatch(patch: ConversationSettingsPatch): void {
  if (typeof patch !== "object" || patch === null)
    throw new ImError("bad_request", "settings must be an object");
  const { pinned, archived, markedUnread, mutedUntil } = patch;
  for (const [name, value] of Object.entries({ pinned, archived, markedUnread })) {
    if (value !== undefined && typeof value !== "boolean")
      throw new ImError("bad_request", `${name} must be true or false`);
  }
  if (
    mutedUntil !== undefined &&
    mutedUntil !== null &&
    mutedUntil !== "forever" &&
    !(Number.isSafeInteger(mutedUntil) && mutedUntil >= 0)
  )
    throw new ImError("bad_request", 'mutedUntil is a time in ms, "forever" or null');
}

/**
 * Implements {@link ConversationSettingsOperations} (`im.conversationSettings`), the
 * muted-user lookup of `onOffline` and the unread mark a `read` clears.
 *
 * @internal The engine creates it: use `im.conversationSettings`.
 */
export class ConversationSettingsService implements ConversationSettingsOperations {
  /** @param deps - the collaborators (see {@link ConversationSettingsServiceDeps}) */
  constructor(private readonly deps: ConversationSettingsServiceDeps) {}

  /** {@inheritDoc ConversationSettingsOperations.get} */
  get(userId: string, conversationIds?: readonly string[]): Promise<ConversationSettings[]> {
    return this.deps.store.get(userId, conversationIds);
  }

  /** {@inheritDoc ConversationSettingsOperations.update} */
  async update(
    userId: string,
    conversationId: string,
    patch: ConversationSettingsPatch,
  ): Promise<ConversationSettings> {
    checkPatch(patch);
    const settings = await this.deps.store.update(userId, conversationId, patch, Date.now());
    this.changed(userId, settings);
    await this.deps.delivery.deliverFrame([userId], settingsFrame(settings));
    return settings;
  }

  /**
   * Of `userIds`, those who muted the conversation now. Cached reads: a store read per
   * user only on a miss, all at once.
   */
  async mutedAmong(conversationId: string, userIds: readonly string[]): Promise<Set<string>> {
    const now = Date.now();
    const muted = new Set<string>();
    const misses: Promise<void>[] = [];
    for (const userId of userIds) {
      const cached = this.deps.cache.get(userId, conversationId);
      if (cached instanceof Promise) {
        misses.push(
          cached.then((settings) => {
            if (settings && isMuted(settings, now)) muted.add(userId);
          }),
        );
      } else if (cached && isMuted(cached, now)) {
        muted.add(userId);
      }
    }
    if (misses.length > 0) await Promise.all(misses);
    return muted;
  }

  /**
   * The user read the conversation: clear its unread mark if set (and tell its devices).
   * Synchronous and free when the cache knows there is no mark.
   */
  readBy(userId: string, conversationId: string): void | Promise<void> {
    const clear = (settings: ConversationSettings | undefined): void | Promise<void> => {
      if (!settings?.markedUnread) return;
      return this.update(userId, conversationId, { markedUnread: false }).then(
        () => undefined,
        (error: unknown) => this.deps.errors.report(error, "clearing an unread mark"),
      );
    };
    const cached = this.deps.cache.get(userId, conversationId);
    if (!(cached instanceof Promise)) return clear(cached);
    return cached.then(clear, (error: unknown) =>
      this.deps.errors.report(error, "reading conversation settings"),
    );
  }

  /** Caches what was written and tells the other nodes to drop their copy. */
  private changed(userId: string, settings: ConversationSettings): void {
    this.deps.cache.set(userId, settings);
    this.deps.broker
      .broadcast({ type: "settings_changed", userId, conversationId: settings.conversationId })
      .catch((error: unknown) => this.deps.errors.report(error, "broadcasting a settings change"));
  }
}
