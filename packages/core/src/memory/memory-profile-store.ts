import type { ProfileStore } from "../contracts/profile-store.js";
import {
  checkBatch,
  checkProfilePatch,
  checkSearchQuery,
  checkTime,
  checkUserId,
  type PeopleLimits,
  pageLimit,
} from "../domain/people-limits.js";
import { DEFAULT_PROFILE_FIELDS, type Profile, searchKey } from "../domain/profile.js";
import { type MemoryPeopleState, pageBy } from "./memory-people-state.js";

/** @internal What the memory profile store needs from its storage. */
export interface MemoryProfileStoreContext {
  people: MemoryPeopleState;
  limits: PeopleLimits;
}

/** @internal The in-memory {@link ProfileStore}. */
export function createMemoryProfileStore(context: MemoryProfileStoreContext): ProfileStore {
  const { people, limits } = context;

  const ensure = (userId: string, now: number): Profile => {
    let profile = people.profiles.get(userId);
    if (!profile) {
      profile = { userId, ...DEFAULT_PROFILE_FIELDS, updatedAt: now };
      people.profiles.set(userId, profile);
    }
    return profile;
  };

  return {
    async get(userId) {
      const profile = people.profiles.get(userId);
      return profile && { ...profile };
    },

    async getMany(userIds) {
      return checkBatch(userIds, limits, "getMany").flatMap((id) => {
        const profile = people.profiles.get(id);
        return profile ? [{ ...profile }] : [];
      });
    },

    async update(userId, patch, now) {
      checkUserId(userId, "update");
      checkTime(now, "now");
      checkProfilePatch(patch, limits);
      const profile = ensure(userId, now);
      if (patch.username !== undefined) profile.username = patch.username;
      if (patch.displayName !== undefined) profile.displayName = patch.displayName;
      if (patch.avatar !== undefined) profile.avatar = patch.avatar;
      if (patch.searchable !== undefined) profile.searchable = patch.searchable;
      if (patch.hideLastSeen !== undefined) profile.hideLastSeen = patch.hideLastSeen;
      profile.updatedAt = now;
      return { ...profile };
    },

    async setLastSeen(userId, ts) {
      checkUserId(userId, "setLastSeen");
      checkTime(ts, "ts");
      const profile = ensure(userId, ts);
      if (profile.lastSeenAt === null || ts > profile.lastSeenAt) profile.lastSeenAt = ts;
    },

    async search(query, options = {}) {
      const key = searchKey(checkSearchQuery(query, limits));
      const limit = pageLimit(options.limit, limits);
      const hits = [...people.profiles.values()].filter(
        (p) =>
          p.searchable &&
          (searchKey(p.displayName).startsWith(key) ||
            (p.username !== null && searchKey(p.username).startsWith(key))),
      );
      return pageBy(hits, (p) => p.userId, options.after, limit).map((p) => ({ ...p }));
    },
  };
}
