import { describe, expect, it } from "vitest";
import type { ContactStore } from "../contracts/contact-store.js";
import { createMemoryStorage } from "../memory/index.js";
import { RelationCache } from "./relation-cache.js";
import { checkDirectReach } from "./relation-checks.js";

/** The memory contact store, counting its `relations` round trips. */
function countingStore() {
  const contacts = createMemoryStorage().contacts;
  const trips: string[][] = [];
  const store: ContactStore = Object.create(contacts);
  store.relations = async (viewerId, otherIds) => {
    trips.push([viewerId, ...otherIds]);
    return contacts.relations(viewerId, otherIds);
  };
  return { store, contacts, trips };
}

describe("RelationCache", () => {
  it("a cached pair costs no store round trip and no promise", async () => {
    const { store, trips } = countingStore();
    const cache = new RelationCache(store, { ttlMs: 60_000, maxPairs: 100 });
    const first = checkDirectReach(cache, "bob", "ann");
    expect(first, "the first check loads").toBeInstanceOf(Promise);
    await first;
    expect(checkDirectReach(cache, "bob", "ann"), "then it is answered at once").toBeUndefined();
    expect(checkDirectReach(cache, "bob", "bob"), "oneself is never checked").toBeUndefined();
    expect(trips).toEqual([["bob", "ann"]]);
  });

  it("loads only the misses of a batch, in one round trip", async () => {
    const { store, trips } = countingStore();
    const cache = new RelationCache(store, { ttlMs: 60_000, maxPairs: 100 });
    await cache.get("ann", ["b"]);
    const relations = await cache.get("ann", ["c", "b", "ann", "d", "c"]);
    expect(relations.map((r) => r.userId)).toEqual(["c", "b", "d"]);
    expect(trips).toEqual([
      ["ann", "b"],
      ["ann", "c", "d"],
    ]);
  });

  it("invalidatePair drops both directions; invalidatePrivacy drops the policy", async () => {
    const { store, contacts } = countingStore();
    const cache = new RelationCache(store, { ttlMs: 60_000, maxPairs: 100 });
    await cache.get("bob", ["ann"]);
    await cache.get("ann", ["bob"]);
    await contacts.block("ann", "bob", Date.now());
    expect(cache.peek("bob", "ann")?.blockedBy, "stale until invalidated").toBe(false);
    cache.invalidatePair("ann", "bob");
    expect(cache.peek("bob", "ann")).toBeUndefined();
    expect(cache.peek("ann", "bob")).toBeUndefined();
    // Not cached: the answer is a promise, which rejects.
    await expect(checkDirectReach(cache, "bob", "ann")).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(() => checkDirectReach(cache, "bob", "ann"), "a cached refusal throws at once").toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );

    await cache.get("cat", ["ann"]);
    await contacts.setPrivacy("ann", { directMessages: "contacts" });
    cache.invalidatePrivacy("ann");
    expect(cache.peek("cat", "ann")).toBeUndefined();
    await expect(checkDirectReach(cache, "cat", "ann")).rejects.toMatchObject({
      code: "forbidden",
    });
  });

  it("a load that raced an invalidation is used once but not cached", async () => {
    const { store, contacts } = countingStore();
    const cache = new RelationCache(store, { ttlMs: 60_000, maxPairs: 100 });
    const loading = cache.get("bob", ["ann"]);
    await contacts.block("ann", "bob", Date.now());
    cache.invalidatePair("ann", "bob");
    await loading;
    expect(cache.peek("bob", "ann"), "possibly stale: not kept").toBeUndefined();
  });

  it("a TTL of 0 turns the cache off", async () => {
    const { store, trips } = countingStore();
    const cache = new RelationCache(store, { ttlMs: 0, maxPairs: 100 });
    await cache.get("bob", ["ann"]);
    await cache.get("bob", ["ann"]);
    expect(trips).toHaveLength(2);
    expect(cache.size).toBe(0);
  });

  it("keeps at most maxPairs", async () => {
    const { store } = countingStore();
    const cache = new RelationCache(store, { ttlMs: 60_000, maxPairs: 5 });
    for (let i = 0; i < 20; i++) await cache.get("bob", [`u${i}`]);
    expect(cache.size).toBe(5);
  });
});
