/** A user's public profile. */
export interface Profile {
  /** The user. */
  userId: string;
  /** The user's login name, copied here by the application so that search finds it; null when unknown. */
  username: string | null;
  /** The name shown to others (`""` until set). */
  displayName: string;
  /** A file id or URL of the avatar, or null. */
  avatar: string | null;
  /** Whether user search may return this user. */
  searchable: boolean;
  /** Whether others may see `lastSeenAt` (the store keeps it anyway; the engine hides it). */
  hideLastSeen: boolean;
  /** When the user was last online (ms since epoch), or null when never recorded. */
  lastSeenAt: number | null;
  /** When the profile last changed (ms since epoch); `setLastSeen` does not change it. */
  updatedAt: number;
}

/** The profile fields to change; absent fields keep their value. */
export interface ProfilePatch {
  /** The login name (null clears it). */
  username?: string | null;
  /** The shown name. */
  displayName?: string;
  /** A file id or URL (null clears it). */
  avatar?: string | null;
  /** Whether search may return the user. */
  searchable?: boolean;
  /** Whether to hide the last-seen time from others. */
  hideLastSeen?: boolean;
}

/** A profile's defaults, before the user changed anything. */
export const DEFAULT_PROFILE_FIELDS: Readonly<
  Pick<
    Profile,
    "username" | "displayName" | "avatar" | "searchable" | "hideLastSeen" | "lastSeenAt"
  >
> = Object.freeze({
  username: null,
  displayName: "",
  avatar: null,
  searchable: true,
  hideLastSeen: false,
  lastSeenAt: null,
});

/** Options of `ProfileStore.search`. */
export interface ProfileSearchOptions {
  /** Start after this user id (results are ascending by user id). */
  after?: string;
  /** At most this many results (capped by the store's `maxPageSize`). */
  limit?: number;
}

/**
 * The search key of a name: what prefix search compares, in every adapter
 * (lower case by JavaScript's `toLowerCase`, so all adapters agree).
 */
export function searchKey(text: string): string {
  return text.toLowerCase();
}

/**
 * The smallest string greater than every string starting with `prefix`
 * (in code point order): a prefix search is the range `[prefix, upper)`,
 * which an index on a binary-collated column serves. Undefined when no such
 * string exists (a prefix of only U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate range: it holds no characters.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join("") + String.fromCodePoint(next);
    }
  }
  return undefined;
}
