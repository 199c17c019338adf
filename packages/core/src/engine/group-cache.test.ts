import { describe, expect, it } from "vitest";
import type { GroupStore } from "../contracts/group-store.js";
import type { Group } from "../domain/group.js";
import { GroupCache } from "./group-cache.js";

/** A group store that counts its `get` calls. */
function countingStore() {
  const loads: string[] = [];
  const store = {
    async get(groupId: string): Promise<Group> {
      loads.push(groupId);
      return {
        groupId,
        name: groupId,
        ownerId: "owner",
        mutedAll: false,
        createdAt: 0,
        description: "",
        avatar: null,
        announcement: null,
        members: [{ userId: "owner", role: "owner", joinedAt: 0 }],
      };
    },
  } as unknown as GroupStore;
  return { store, loads };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("GroupCache", () => {
  it("keeps at most maxGroups, evicting the least recently used", async () => {
    const { store, loads } = countingStore();
    const cache = new GroupCache(store, { ttlMs: 60_000, maxGroups: 3 });
    for (const id of ["g0", "g1", "g2"]) await cache.get(id);
    await cache.get("g0"); // g0 is now the most recently used: g1 is the oldest
    for (let i = 3; i < 50; i++) await cache.get(`g${i}`);
    expect(cache.size).toBe(3);
    loads.length = 0;
    await cache.get("g49");
    expect(loads, "a recent group is served from the cache").toEqual([]);
    await cache.get("g1");
    expect(loads, "an evicted group is loaded again").toEqual(["g1"]);
  });

  it("an entry older than ttlMs is loaded again; ttlMs 0 caches nothing", async () => {
    const { store, loads } = countingStore();
    const cache = new GroupCache(store, { ttlMs: 5, maxGroups: 10 });
    await cache.get("g");
    expect(cache.peek("g")).toBeDefined();
    await pause(40);
    expect(cache.peek("g"), "stale: not served").toBeUndefined();
    await cache.get("g");
    expect(loads).toEqual(["g", "g"]);

    const off = new GroupCache(store, { ttlMs: 0, maxGroups: 10 });
    await off.get("h");
    expect(off.peek("h")).toBeUndefined();
    expect(off.size).toBe(0);
  });

  it("remembers a missing group for missingTtlMs, until invalidated; off by default", async () => {
    const loads: string[] = [];
    const existing = new Set<string>();
    const { store: full } = countingStore();
    const store = {
      async get(groupId: string) {
        loads.push(groupId);
        return existing.has(groupId) ? full.get(groupId) : undefined;
      },
    } as unknown as GroupStore;
    const cache = new GroupCache(store, { ttlMs: 60_000, maxGroups: 10, missingTtlMs: 60_000 });
    expect(await cache.get("g")).toBeUndefined();
    expect(cache.knownMissing("g")).toBe(true);
    expect(await cache.get("g")).toBeUndefined();
    expect(loads, "the absence is served from the cache").toEqual(["g"]);
    existing.add("g");
    cache.invalidate("g");
    expect(cache.knownMissing("g")).toBe(false);
    expect(await cache.get("g")).toBeDefined();

    const off = new GroupCache(store, { ttlMs: 60_000, maxGroups: 10 });
    await off.get("h");
    await off.get("h");
    expect(off.knownMissing("h")).toBe(false);
    expect(loads.filter((id) => id === "h")).toEqual(["h", "h"]);
  });

  it("a load that began before an invalidation caches nothing: a group created meanwhile is not remembered missing", async () => {
    const existing = new Set<string>();
    const { store: full } = countingStore();
    let releaseFirst: () => void = () => {};
    let calls = 0;
    const store = {
      async get(groupId: string) {
        calls += 1;
        const found = existing.has(groupId);
        // The first read misses, then waits: the group is created and announced meanwhile.
        if (calls === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
        return found ? full.get(groupId) : undefined;
      },
    } as unknown as GroupStore;
    const cache = new GroupCache(store, { ttlMs: 60_000, maxGroups: 10, missingTtlMs: 60_000 });
    const stale = cache.get("g");
    await Promise.resolve();
    existing.add("g");
    cache.invalidate("g");
    releaseFirst();
    expect(await stale, "its own caller still gets what it read").toBeUndefined();
    expect(cache.knownMissing("g")).toBe(false);
    expect(await cache.get("g")).toBeDefined();
  });
});
