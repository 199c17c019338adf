import { LRUCache } from "lru-cache";
import type { ContactStore } from "../contracts/contact-store.js";
import type { PrivacyPolicy, Relation } from "../domain/contact.js";

/** What is known about a pair, seen from the viewer (the other's policy is cached apart). */
interface PairRelation {
  contact: boolean;
  blocked: boolean;
  blockedBy: boolean;
}

/** How a {@link RelationCache} is bounded. */
export interface RelationCacheOptions {
  /** How long an entry is used, in ms; 0 turns the cache off. */
  ttlMs: number;
  /** Most pairs kept (and as many privacy policies); the least recently used go first. */
  maxPairs: number;
}

/** The cache key of the pair (viewer, other). */
function pairKey(viewerId: string, otherId: string): string {
  return `${viewerId}\u0000${otherId}`;
}

/**
 * Relations between users (contact, blocks, the other's privacy policy), cached per
 * node for the send, typing, signal and group-add paths. A pair and a policy are kept
 * apart, so that a policy change drops one entry instead of every pair of the user.
 * Changes made through `im.contacts` drop the entries on every node (control
 * broadcast); the TTL bounds staleness for changes made behind the engine's back and
 * for a lost broadcast. An LRU bounds the size.
 */
export class RelationCache {
  private readonly pairs: LRUCache<string, PairRelation> | undefined;
  private readonly policies: LRUCache<string, PrivacyPolicy> | undefined;
  /** Bumped by every invalidation: a load that started before one is not cached. */
  private generation = 0;

  constructor(
    private readonly contacts: ContactStore,
    options: RelationCacheOptions,
  ) {
    const cached = options.ttlMs > 0;
    const lru = { max: options.maxPairs, ttl: options.ttlMs, updateAgeOnGet: false };
    this.pairs = cached ? new LRUCache(lru) : undefined;
    this.policies = cached ? new LRUCache(lru) : undefined;
  }

  /** Pairs cached now. */
  get size(): number {
    return this.pairs?.size ?? 0;
  }

  /** The relation when both halves are cached and fresh, without loading: lets hot paths skip a promise. */
  peek(viewerId: string, otherId: string): Relation | undefined {
    const pair = this.pairs?.get(pairKey(viewerId, otherId));
    if (!pair) return undefined;
    const privacy = this.policies?.get(otherId);
    if (!privacy) return undefined;
    return { userId: otherId, ...pair, privacy };
  }

  /** The relations of `viewerId` with each of `otherIds` (in order, deduplicated): one store round trip for the misses. */
  async get(viewerId: string, otherIds: readonly string[]): Promise<Relation[]> {
    const unique = [...new Set(otherIds)].filter((id) => id !== viewerId);
    const found = new Map<string, Relation>();
    const missing: string[] = [];
    for (const id of unique) {
      const hit = this.peek(viewerId, id);
      if (hit) found.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const generation = this.generation;
      const loaded = await this.contacts.relations(viewerId, missing);
      const fresh = generation === this.generation;
      for (const relation of loaded) {
        found.set(relation.userId, relation);
        if (!fresh) continue;
        const { contact, blocked, blockedBy } = relation;
        this.pairs?.set(pairKey(viewerId, relation.userId), { contact, blocked, blockedBy });
        this.policies?.set(relation.userId, relation.privacy);
      }
    }
    return unique.flatMap((id) => {
      const relation = found.get(id);
      return relation ? [relation] : [];
    });
  }

  /** Drops the pair both ways (a contact, request or block between the two changed). */
  invalidatePair(a: string, b: string): void {
    this.generation++;
    this.pairs?.delete(pairKey(a, b));
    this.pairs?.delete(pairKey(b, a));
  }

  /** Drops a user's cached privacy policy. */
  invalidatePrivacy(userId: string): void {
    this.generation++;
    this.policies?.delete(userId);
  }
}
