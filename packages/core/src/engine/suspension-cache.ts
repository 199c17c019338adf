import type { ModerationStore } from "../contracts/moderation-store.js";
import { type Suspension, suspensionActive } from "../domain/moderation.js";

interface Entry {
  suspension: Suspension | undefined;
  expiresAt: number;
}

/**
 * The suspensions this node read, per user, for a bounded time: every new session asks
 * whether its user is suspended without a store read per connection. A suspension made
 * or lifted through `im.admin` drops the entry on every node (`suspension_changed`
 * broadcast); a missed broadcast is healed by the TTL, so the TTL bounds how long a
 * suspended user may still connect to a node that missed it.
 */
export class SuspensionCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param store - where misses are read
   * @param options - `ttlMs`: how long an entry is trusted (0: no cache); `maxEntries`: the bound (oldest dropped first)
   */
  constructor(
    private readonly store: Pick<ModerationStore, "suspension">,
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {}

  /** The user's suspension in force now, or undefined; cached. */
  async get(userId: string): Promise<Suspension | undefined> {
    const now = Date.now();
    const entry = this.entries.get(userId);
    if (entry && entry.expiresAt > now) {
      return entry.suspension && suspensionActive(entry.suspension, now)
        ? entry.suspension
        : undefined;
    }
    const suspension = await this.store.suspension(userId, now);
    if (this.options.ttlMs > 0) {
      this.entries.delete(userId);
      this.entries.set(userId, {
        suspension,
        expiresAt: Date.now() + this.options.ttlMs,
      });
      if (this.entries.size > this.options.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    return suspension;
  }

  /** Drops the user's entry (suspended or lifted somewhere). */
  invalidate(userId: string): void {
    this.entries.delete(userId);
  }
}
