import type { Profile, ProfilePatch, ProfileSearchOptions } from "../domain/profile.js";

/**
 * Users' public profiles. A profile exists once `update` or `setLastSeen` wrote
 * it; until then reads leave the user out (the engine shows defaults).
 * Texts are checked against the store's `PeopleLimits` (`bad_request` when
 * too long or holding U+0000).
 */
export interface ProfileStore {
  /** The user's profile, or undefined when none was written. */
  get(userId: string): Promise<Profile | undefined>;
  /**
   * The profiles of the listed users that have one, in the order asked (duplicates once),
   * in one round trip; at most `maxBatch` ids (`bad_request` beyond).
   */
  getMany(userIds: readonly string[]): Promise<Profile[]>;
  /**
   * Applies the fields present in `patch` in one write, creating the profile with
   * `DEFAULT_PROFILE_FIELDS` if needed; `updatedAt` becomes `now`. Resolves with the stored profile.
   */
  update(userId: string, patch: ProfilePatch, now: number): Promise<Profile>;
  /**
   * Records when the user was last online (creating the profile if needed). Never moves
   * back: an older `ts` than the stored one is ignored. Does not change `updatedAt`.
   */
  setLastSeen(userId: string, ts: number): Promise<void>;
  /**
   * Searchable users whose display name or username starts with `query`, ignoring case
   * (JavaScript `toLowerCase` of both sides) and leading/trailing spaces of the query;
   * ascending by user id, paged with `after` = the last user id. An index serves it in
   * the SQL adapters. `bad_request` for an empty query or one over `maxSearchLength`.
   */
  search(query: string, options?: ProfileSearchOptions): Promise<Profile[]>;
}
