import { LRUCache } from "lru-cache";
import type { GroupStore } from "../contracts/group-store.js";
import type { GroupMember } from "../domain/group.js";

/** What the send path needs to know about a group. */
export interface CachedGroup {
  members: Map<string, GroupMember>;
  memberIds: string[];
  mutedAll: boolean;
}

/** How a {@link GroupCache} is bounded. */
export interface GroupCacheOptions {
  /** How long an entry is used, in ms; 0 turns the cache off. */
  ttlMs: number;
  /** Most groups kept; the least recently used go first. */
  maxGroups: number;
}

/**
 * Group membership cached per node for the send and typing paths. Changes
 * made through the engine invalidate it on every node (control broadcast);
 * the TTL bounds staleness for changes made behind the engine's back. An LRU
 * bounds its size, so a client touching many groups cannot grow it without end.
 */
export class GroupCache {
  private readonly cache: LRUCache<string, CachedGroup> | undefined;
  private readonly loading = new Map<string, Promise<CachedGroup | undefined>>();

  constructor(
    private readonly groups: GroupStore,
    options: GroupCacheOptions,
  ) {
    this.cache =
      options.ttlMs > 0
        ? new LRUCache({ max: options.maxGroups, ttl: options.ttlMs, updateAgeOnGet: false })
        : undefined;
  }

  /** Groups cached now (fresh or not yet evicted). */
  get size(): number {
    return this.cache?.size ?? 0;
  }

  async get(groupId: string): Promise<CachedGroup | undefined> {
    const hit = this.cache?.get(groupId);
    if (hit) return hit;
    let load = this.loading.get(groupId);
    if (!load) {
      load = this.load(groupId).finally(() => this.loading.delete(groupId));
      this.loading.set(groupId, load);
    }
    return load;
  }

  /** The cached group when it is fresh, without loading: lets hot paths skip a promise. */
  peek(groupId: string): CachedGroup | undefined {
    return this.cache?.get(groupId);
  }

  /**
   * Loads the group from the store now, whatever is cached or loading: for a
   * refusal that a change on another node may have made stale (the broadcast
   * that invalidates this cache can arrive after the change's HTTP answer).
   */
  async reload(groupId: string): Promise<CachedGroup | undefined> {
    this.cache?.delete(groupId);
    return this.load(groupId);
  }

  invalidate(groupId: string): void {
    this.cache?.delete(groupId);
  }

  private async load(groupId: string): Promise<CachedGroup | undefined> {
    const group = await this.groups.get(groupId);
    if (!group) {
      this.cache?.delete(groupId);
      return undefined;
    }
    const entry: CachedGroup = {
      members: new Map(group.members.map((m) => [m.userId, m])),
      memberIds: group.members.map((m) => m.userId),
      mutedAll: group.mutedAll,
    };
    this.cache?.set(groupId, entry);
    return entry;
  }
}
