import type { ProfileStore } from "../contracts/profile-store.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import { DEFAULT_PROFILE_FIELDS, type Profile, type ProfilePatch } from "../domain/profile.js";
import { ImError } from "../errors.js";
import type { Delivery } from "./delivery.js";
import type { ErrorReporter } from "./error-reporter.js";
import type { PresenceAudience } from "./presence-audience.js";
import type {
  ProfileOperations,
  ProfileSearchRequest,
  PublicProfile,
} from "./profile-operations.js";

/** What {@link ProfileService} works with. */
export interface ProfileServiceDeps {
  /** The store. */
  profiles: ProfileStore;
  /** Who hears about a profile change. */
  audience: PresenceAudience;
  /** Sends `profile` frames. */
  delivery: Pick<Delivery, "deliverFrame">;
  /** Budget of searches per user. */
  searchLimiter: RateLimiter;
  /** Failures that reach no client. */
  errors: ErrorReporter;
}

/** A profile of a user who never wrote one. */
function defaultProfile(userId: string): Profile {
  return { userId, ...DEFAULT_PROFILE_FIELDS, updatedAt: 0 };
}

/** What others see: no search or privacy flags, last seen only when not hidden. */
export function publicProfile(profile: Profile, viewerId?: string): PublicProfile {
  const hide = profile.hideLastSeen && profile.userId !== viewerId;
  return {
    userId: profile.userId,
    displayName: profile.displayName,
    avatar: profile.avatar,
    lastSeenAt: hide ? null : profile.lastSeenAt,
    updatedAt: profile.updatedAt,
  };
}

/** Checks the patch's shape (an API caller may pass anything); lengths are the store's to check. */
function checkPatch(patch: ProfilePatch): void {
  if (typeof patch !== "object" || patch === null)
    throw new ImError("bad_request", "a profile patch must be an object");
  const { displayName, avatar, username, searchable, hideLastSeen } = patch;
  if (displayName !== undefined && typeof displayName !== "string")
    throw new ImError("bad_request", "displayName must be a string");
  for (const [name, value] of Object.entries({ avatar, username })) {
    if (value !== undefined && value !== null && typeof value !== "string")
      throw new ImError("bad_request", `${name} must be a string or null`);
  }
  for (const [name, value] of Object.entries({ searchable, hideLastSeen })) {
    if (value !== undefined && typeof value !== "boolean")
      throw new ImError("bad_request", `${name} must be true or false`);
  }
}

/**
 * Implements {@link ProfileOperations} (`im.profiles`).
 *
 * @internal The engine creates it: use `im.profiles`.
 */
export class ProfileService implements ProfileOperations {
  /** @param deps - the collaborators (see {@link ProfileServiceDeps}) */
  constructor(private readonly deps: ProfileServiceDeps) {}

  /** {@inheritDoc ProfileOperations.mine} */
  async mine(userId: string): Promise<Profile> {
    return (await this.deps.profiles.get(userId)) ?? defaultProfile(userId);
  }

  /** {@inheritDoc ProfileOperations.update} */
  async update(userId: string, patch: ProfilePatch): Promise<Profile> {
    checkPatch(patch);
    const before = await this.deps.profiles.get(userId);
    const profile = await this.deps.profiles.update(userId, patch, Date.now());
    const shownChanged =
      (before?.displayName ?? DEFAULT_PROFILE_FIELDS.displayName) !== profile.displayName ||
      (before?.avatar ?? DEFAULT_PROFILE_FIELDS.avatar) !== profile.avatar;
    if (shownChanged) {
      try {
        const audience = await this.deps.audience.relatedTo(userId);
        audience.add(userId);
        await this.deps.delivery.deliverFrame([...audience], {
          type: "profile",
          userId,
          displayName: profile.displayName,
          avatar: profile.avatar,
          updatedAt: profile.updatedAt,
        });
      } catch (error) {
        // The change is stored; clients also read profiles on demand.
        this.deps.errors.report(error, "announcing a profile change");
      }
    }
    return profile;
  }

  /** {@inheritDoc ProfileOperations.getMany} */
  async getMany(viewerId: string, userIds: readonly string[]): Promise<PublicProfile[]> {
    const unique = [...new Set(userIds)];
    const found = new Map(
      (await this.deps.profiles.getMany(unique)).map((p) => [p.userId, p] as const),
    );
    return unique.map((id) => publicProfile(found.get(id) ?? defaultProfile(id), viewerId));
  }

  /** {@inheritDoc ProfileOperations.search} */
  async search(
    viewerId: string,
    query: string,
    options: ProfileSearchRequest = {},
  ): Promise<PublicProfile[]> {
    if (typeof query !== "string" || query.trim() === "")
      throw new ImError("bad_request", "a search needs a non-empty query");
    const budget = await this.deps.searchLimiter.consume(viewerId);
    if (!budget.allowed) {
      throw new ImError(
        "rate_limited",
        `too many searches; retry in ${Math.ceil(budget.retryAfterMs / 1000)} s`,
        { details: { retryAfterMs: budget.retryAfterMs } },
      );
    }
    const found = await this.deps.profiles.search(query, options);
    return found.map((p) => publicProfile(p, viewerId));
  }
}
