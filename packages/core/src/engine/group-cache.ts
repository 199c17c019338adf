import type { GroupStore } from "../contracts/group-store.js";
import type { GroupMember } from "../domain/group.js";

/** What the send path needs to know about a group. */
export interface CachedGroup {
  members: Map<string, GroupMember>;
  memberIds: string[];
  mutedAll: boolean;
  expiresAt: number;
}

/**
 * Group membership cached per node for the send and typing paths. Changes
 * made through the engine invalidate it on every node (control broadcast);
 * the TTL bounds staleness for changes made behind the engine's back.
 */
export class GroupCache {
  private readonly cache = new Map<string, CachedGroup>();
  private readonly loading = new Map<string, Promise<CachedGroup | undefined>>();

  constructor(
    private readonly groups: GroupStore,
    private readonly ttlMs: number,
  ) {}

  async get(groupId: string): Promise<CachedGroup | undefined> {
    const hit = this.cache.get(groupId);
    if (hit && hit.expiresAt > Date.now()) return hit;
    let load = this.loading.get(groupId);
    if (!load) {
      load = this.load(groupId).finally(() => this.loading.delete(groupId));
      this.loading.set(groupId, load);
    }
    return load;
  }

  /** The cached group when it is fresh, without loading: lets hot paths skip a promise. */
  peek(groupId: string): CachedGroup | undefined {
    const hit = this.cache.get(groupId);
    return hit && hit.expiresAt > Date.now() ? hit : undefined;
  }

  invalidate(groupId: string): void {
    this.cache.delete(groupId);
  }

  private async load(groupId: string): Promise<CachedGroup | undefined> {
    const group = await this.groups.get(groupId);
    if (!group) {
      this.cache.delete(groupId);
      return undefined;
    }
    const entry: CachedGroup = {
      members: new Map(group.members.map((m) => [m.userId, m])),
      memberIds: group.members.map((m) => m.userId),
      mutedAll: group.mutedAll,
      expiresAt: Date.now() + this.ttlMs,
    };
    if (this.ttlMs > 0) this.cache.set(groupId, entry);
    return entry;
  }
}
