import { ImError } from "../errors.js";
import { checkOption } from "../util/check-option.js";
import type { PrivacyPatch } from "./contact.js";
import { DIRECT_MESSAGE_POLICIES, GROUP_INVITE_POLICIES } from "./contact.js";
import type { ConversationSettingsPatch } from "./conversation-settings.js";
import type { ProfilePatch } from "./profile.js";

/**
 * The limits of the contact, profile and conversation-settings stores. Every
 * adapter takes them as its `peopleLimits` option and applies them with the
 * checks below, so that all adapters refuse the same input with the same code.
 * Lengths count Unicode code points.
 */
export interface PeopleLimits {
  /** Longest contact request message. @default 200 */
  maxRequestMessageLength: number;
  /** Longest contact remark. @default 64 */
  maxRemarkLength: number;
  /** Most pending outgoing contact requests per user; one more is refused with `conflict`. @default 100 */
  maxPendingRequests: number;
  /** How long a contact request stays pending, in ms. @default 30 days */
  requestTtlMs: number;
  /** Longest display name. @default 64 */
  maxDisplayNameLength: number;
  /** Longest username copied into a profile. @default 64 */
  maxUsernameLength: number;
  /** Longest avatar file id or URL. @default 2048 */
  maxAvatarLength: number;
  /** Longest search query. @default 64 */
  maxSearchLength: number;
  /** Most users one `relations`/`getMany` call may name. @default 1000 */
  maxBatch: number;
  /** Most entries one page of a people list or a search returns. @default 200 */
  maxPageSize: number;
  /** Most pinned conversations per user; one more is refused with `conflict`. @default 50 */
  maxPinned: number;
}

/** The defaults of {@link PeopleLimits}. */
export const DEFAULT_PEOPLE_LIMITS: Readonly<PeopleLimits> = Object.freeze({
  maxRequestMessageLength: 200,
  maxRemarkLength: 64,
  maxPendingRequests: 100,
  requestTtlMs: 30 * 24 * 60 * 60 * 1000,
  maxDisplayNameLength: 64,
  maxUsernameLength: 64,
  maxAvatarLength: 2048,
  maxSearchLength: 64,
  maxBatch: 1000,
  maxPageSize: 200,
  maxPinned: 50,
});

const PREFIX = "[lucky-im] [people]";

function bad(message: string): ImError {
  return new ImError("bad_request", `${PREFIX} ${message}`);
}

/**
 * Fills in the defaults and checks every given limit (a positive integer);
 * throws `bad_request` naming the wrong one.
 */
export function resolvePeopleLimits(limits: Partial<PeopleLimits> = {}): PeopleLimits {
  const resolved = { ...DEFAULT_PEOPLE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    checkOption("core", `peopleLimits.${name}`, value, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    });
  }
  return resolved;
}

/** Length in code points (an emoji counts once). */
export function textLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Checks a user id argument: a non-empty string without U+0000. */
export function checkUserId(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0 || value.includes("\u0000")) {
    throw bad(`${what} must be a non-empty user id`);
  }
  return value;
}

/** Checks a time argument (ms since epoch). */
export function checkTime(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw bad(`${what} must be a time in ms since the epoch`);
  }
  return value;
}

/** Checks a text argument: a string without U+0000 of at most `max` code points. */
export function checkText(value: unknown, max: number, what: string): string {
  if (typeof value !== "string" || value.includes("\u0000")) {
    throw bad(`${what} must be a string without U+0000`);
  }
  if (textLength(value) > max) throw bad(`${what} is longer than ${max} characters`);
  return value;
}

/** The page size a call gets: `limit` capped at `maxPageSize`; `bad_request` unless >= 1. */
export function pageLimit(limit: number | undefined, limits: PeopleLimits): number {
  if (limit === undefined) return limits.maxPageSize;
  if (!Number.isInteger(limit) || limit < 1) throw bad("limit must be an integer >= 1");
  return Math.min(limit, limits.maxPageSize);
}

/** Checks a list of user ids for a batch call (at most `maxBatch`); returns them deduplicated, in order. */
export function checkBatch(ids: readonly string[], limits: PeopleLimits, what: string): string[] {
  if (!Array.isArray(ids)) throw bad(`${what} must be an array of user ids`);
  const unique = [...new Set(ids)];
  if (unique.length > limits.maxBatch) throw bad(`${what}: more than ${limits.maxBatch} users`);
  for (const id of unique) checkUserId(id, what);
  return unique;
}

/** Checks a privacy patch (known fields, known values). */
export function checkPrivacyPatch(patch: PrivacyPatch): PrivacyPatch {
  if (typeof patch !== "object" || patch === null) throw bad("privacy patch must be an object");
  const { directMessages, groupInvites } = patch;
  if (directMessages !== undefined && !DIRECT_MESSAGE_POLICIES.includes(directMessages)) {
    throw bad(`directMessages must be one of ${DIRECT_MESSAGE_POLICIES.join(", ")}`);
  }
  if (groupInvites !== undefined && !GROUP_INVITE_POLICIES.includes(groupInvites)) {
    throw bad(`groupInvites must be one of ${GROUP_INVITE_POLICIES.join(", ")}`);
  }
  return patch;
}

/** Checks a profile patch against the limits. */
export function checkProfilePatch(patch: ProfilePatch, limits: PeopleLimits): ProfilePatch {
  if (typeof patch !== "object" || patch === null) throw bad("profile patch must be an object");
  if (patch.displayName !== undefined) {
    checkText(patch.displayName, limits.maxDisplayNameLength, "displayName");
  }
  if (patch.username !== undefined && patch.username !== null) {
    checkText(patch.username, limits.maxUsernameLength, "username");
  }
  if (patch.avatar !== undefined && patch.avatar !== null) {
    checkText(patch.avatar, limits.maxAvatarLength, "avatar");
  }
  for (const flag of ["searchable", "hideLastSeen"] as const) {
    if (patch[flag] !== undefined && typeof patch[flag] !== "boolean") {
      throw bad(`${flag} must be a boolean`);
    }
  }
  return patch;
}

/** Checks a search query: trimmed, 1 to `maxSearchLength` code points. Returns the trimmed query. */
export function checkSearchQuery(query: unknown, limits: PeopleLimits): string {
  if (typeof query !== "string") throw bad("search query must be a string");
  const trimmed = checkText(query.trim(), limits.maxSearchLength, "search query");
  if (trimmed.length === 0) throw bad("search query must not be empty");
  return trimmed;
}

/** Checks a conversation-settings patch. */
export function checkSettingsPatch(patch: ConversationSettingsPatch): ConversationSettingsPatch {
  if (typeof patch !== "object" || patch === null) throw bad("settings patch must be an object");
  for (const flag of ["pinned", "archived", "markedUnread"] as const) {
    if (patch[flag] !== undefined && typeof patch[flag] !== "boolean") {
      throw bad(`${flag} must be a boolean`);
    }
  }
  const { mutedUntil } = patch;
  if (mutedUntil !== undefined && mutedUntil !== null && mutedUntil !== "forever") {
    checkTime(mutedUntil, "mutedUntil");
  }
  return patch;
}
