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
  /**
   * How long "no such group" is remembered, in ms; 0 turns it off. Short: it only spares the
   * store repeated lookups of an unknown id (a client acking made-up groups). A group created
   * since is announced (invalidating it on every node), so the TTL only bounds a creation made
   * behind the engine's back. Defaults to 0 here; the engine passes
   * `caches.group.missingTtlMs` (2000 by default).
   */
  missingTtlMs?: number;
}

/**
 * Group membership cached per node for the send and typing paths. Changes
 * made through the engine invalidate it on every node (control broadcast);
 * the TTL bounds staleness for changes made behind the engine's back. An LRU
 * bounds its size, so a client touching many groups cannot grow it without end.
 */
export class GroupCache {
  private readonly cache: LRUCache<string, CachedGroup> | undefined;
  /** Groups the store did not have, bounded like `cache`. */
  private readonly missing: LRUCache<string, true> | undefined;
  private readonly loading = new Map<string, Promise<CachedGroup | undefined>>();
  /**
   * The latest load of each group being loaded. `invalidate` drops it: a load that is no longer
   * the latest answers its caller but caches nothing (what it read may predate the change that
   * was announced meanwhile, such as the group's creation).
   */
  private readonly latestLoads = new Map<string, object>();

  constructor(
    private readonly groups: GroupStore,
    options: GroupCacheOptions,
  ) {
    this.cache =
      options.ttlMs > 0
        ? new LRUCache({ max: options.maxGroups, ttl: options.ttlMs, updateAgeOnGet: false })
        : undefined;
    const missingTtlMs = options.missingTtlMs ?? 0;
    this.missing =
      missingTtlMs > 0
        ? new LRUCache({ max: options.maxGroups, ttl: missingTtlMs, updateAgeOnGet: false })
        : undefined;
  }

  /** Groups cached now (fresh or not yet evicted). */
  get size(): number {
    return this.cache?.size ?? 0;
  }

  async get(groupId: string): Promise<CachedGroup | undefined> {
    const hit = this.cache?.get(groupId);
    if (hit) return hit;
    if (this.missing?.get(groupId)) return undefined;
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

  /** True when the store recently did not have the group (remembered for `missingTtlMs`). */
  knownMissing(groupId: string): boolean {
    return this.missing?.get(groupId) ?? false;
  }

  /**
   * Loads the group from the store now, whatever is cached or loading: for a
   * refusal that a change on another node may have made stale (the broadcast
   * that invalidates this cache can arrive after the change's HTTP answer).
   */
  async reload(groupId: string): Promise<CachedGroup | undefined> {
    this.invalidate(groupId);
    return this.load(groupId);
  }

  /** Forgets what is cached of the group, members or absence (a change announced it). */
  invalidate(groupId: string): void {
    this.cache?.delete(groupId);
    this.missing?.delete(groupId);
    this.loading.delete(groupId);
    this.latestLoads.delete(groupId);
  }

  private async load(groupId: string): Promise<CachedGroup | undefined> {
    const token = {};
    this.latestLoads.set(groupId, token);
    const isLatest = () => this.latestLoads.get(groupId) === token;
    let group: Awaited<ReturnType<GroupStore["get"]>>;
    try {
      group = await this.groups.get(groupId);
    } catch (error) {
      if (isLatest()) this.latestLoads.delete(groupId);
      throw error;
    }
    const latest = isLatest();
    if (latest) this.latestLoads.delete(groupId);
    const entry: CachedGroup | undefined = group && {
      members: new Map(group.members.map((m) => [m.userId, m])),
      memberIds: group.members.map((m) => m.userId),
      mutedAll: group.mutedAll,
    };
    if (!latest) return entry;
    if (entry) {
      this.missing?.delete(groupId);
      this.cache?.set(groupId, entry);
    } else {
      this.cache?.delete(groupId);
      this.missing?.set(groupId, true);
    }
    return entry;
  }
}
