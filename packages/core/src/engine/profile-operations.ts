import type { Profile, ProfilePatch } from "../domain/profile.js";

/** What other users see of a profile. */
export interface PublicProfile {
  /** The user. */
  userId: string;
  /** The name shown (`""` until set). */
  displayName: string;
  /** A file id or URL, or null. */
  avatar: string | null;
  /** When the user was last online, or null when unknown or hidden by the user. */
  lastSeenAt: number | null;
  /** When the profile last changed (0: never). */
  updatedAt: number;
}

/** Options of {@link ProfileOperations.search}. */
export interface ProfileSearchRequest {
  /** Start after this user id (results ascend by user id). */
  after?: string;
  /** At most this many (capped by the store's page size). */
  limit?: number;
}

/** Users' profiles and user search, for the host application (`im.profiles`). */
export interface ProfileOperations {
  /** The user's own full profile (defaults when never written). */
  mine(userId: string): Promise<Profile>;
  /**
   * Changes the user's own profile (`bad_request` on oversize or malformed fields). The
   * user's sessions and its presence audience (conversation partners, the host's
   * `relatedUsers`) get a `profile` frame when the shown fields changed.
   */
  update(userId: string, patch: ProfilePatch): Promise<Profile>;
  /** Public profiles of these users (defaults for users without one), in the order asked. */
  getMany(viewerId: string, userIds: readonly string[]): Promise<PublicProfile[]>;
  /**
   * Searchable users whose display name or username starts with `query` (ignoring case).
   * At most `limits.profileSearchesPerWindow` searches per user per `limits.profileSearchWindowMs`
   * on this node; beyond: `rate_limited` with `details.retryAfterMs`.
   */
  search(viewerId: string, query: string, options?: ProfileSearchRequest): Promise<PublicProfile[]>;
}
