import { ImError } from "../errors.js";
import { checkTime, checkUserId } from "./people-limits.js";

/** How a user was kept out: `suspend` usually has an end, `ban` usually has none. */
export type SuspensionKind = "suspend" | "ban";

/**
 * A user kept out of the service: their sessions are closed and new ones
 * refused until `expiresAt` (never, when null) or until it is lifted.
 */
export interface Suspension {
  /** Who is suspended. */
  userId: string;
  /** A suspension or a ban (the same effect; the name is for people). */
  kind: SuspensionKind;
  /** Why, as the admin wrote it (may be shown to the user); null: no reason given. */
  reason: string | null;
  /** The admin who suspended. */
  by: string;
  /** When (ms since the epoch). */
  createdAt: number;
  /** When it ends by itself (ms since the epoch); null: never. */
  expiresAt: number | null;
}

/** What a report is about: a message (with its conversation) or a user. */
export type ReportTarget =
  | {
      /** A message. */
      kind: "message";
      /** The reported message. */
      messageId: string;
      /** Its conversation. */
      conversationId: string;
      /** Its sender. */
      userId: string;
    }
  | {
      /** A user. */
      kind: "user";
      /** The reported user. */
      userId: string;
    };

/** Where a report is: `open` until an admin resolves it (`resolved`) or dismisses it. */
export type ReportStatus = "open" | "resolved" | "dismissed";

/** What {@link ModerationStore.addReport} stores. */
export interface ReportDraft {
  /** Who reports. */
  reporterId: string;
  /** What is reported. */
  target: ReportTarget;
  /** Why, as the reporter wrote it. */
  reason: string;
  /** When (ms since the epoch). */
  createdAt: number;
}

/** A user's report of a message or a user, and what an admin did with it. */
export interface Report extends ReportDraft {
  /** Its id: 1, 2, 3, ... in the order reports were stored (pages go newest first). */
  reportId: number;
  /** `open`, `resolved` or `dismissed`. */
  status: ReportStatus;
  /** The admin who closed it; null while open. */
  resolvedBy: string | null;
  /** When it was closed; null while open. */
  resolvedAt: number | null;
  /** The admin's note on closing; null when none. */
  resolution: string | null;
}

/** How an admin closes a report. */
export interface ReportResolution {
  /** `resolved` (acted on) or `dismissed` (nothing to do). */
  status: Exclude<ReportStatus, "open">;
  /** The admin. */
  by: string;
  /** An optional note. */
  note?: string | null;
  /** When (ms since the epoch). */
  now: number;
}

/** What {@link ModerationStore.appendAudit} stores: one admin action. */
export interface AuditDraft {
  /** The admin who acted. */
  actorId: string;
  /** What they did, for example `suspend`, `unsuspend`, `delete_message`, `resolve_report`. */
  action: string;
  /** The kind of thing acted on: `user`, `message`, `group`, `report`. */
  targetKind: string;
  /** Its id. */
  targetId: string;
  /** Anything else worth keeping (a reason, an expiry, a group id), as JSON; null: nothing. */
  details: Record<string, unknown> | null;
  /** When (ms since the epoch). */
  at: number;
}

/** One entry of the audit log. */
export interface AuditEntry extends AuditDraft {
  /** Its id: 1, 2, 3, ... in the order entries were appended (pages go newest first). */
  entryId: number;
}

/** A page request over reports or the audit log: newest first, ids below `before`. */
export interface ModerationPageOptions {
  /** Only ids below this one (the last id of the previous page). Absent: from the newest. */
  before?: number;
  /** At most this many (default and cap: {@link MODERATION_STORE_LIMITS}.maxPageSize). */
  limit?: number;
}

/** Filters of {@link ModerationStore.reports}. */
export interface ReportPageOptions extends ModerationPageOptions {
  /** Only reports with this status. */
  status?: ReportStatus;
}

/** Filters of {@link ModerationStore.audit}. */
export interface AuditPageOptions extends ModerationPageOptions {
  /** Only the actions of this admin. */
  actorId?: string;
  /** Only the actions on this target id. */
  targetId?: string;
}

/** The limits every moderation store applies (the engine's own limits are lower or equal). */
export const MODERATION_STORE_LIMITS = {
  /** Longest reason, note or action name, in UTF-16 code units. */
  maxTextLength: 2000,
  /** Longest `details` once serialized as JSON, in UTF-16 code units. */
  maxDetailsLength: 8000,
  /** Longest id (user, message, conversation, target). */
  maxIdLength: 256,
  /** Largest page. */
  maxPageSize: 200,
} as const;

const PREFIX = "[lucky-im] [core] moderation:";

function bad(message: string): ImError {
  return new ImError("bad_request", `${PREFIX} ${message}`);
}

/** Checks an id (non-empty, no U+0000, not over `maxIdLength`). */
export function checkModerationId(value: unknown, what: string): string {
  checkUserId(value, what);
  if ((value as string).length > MODERATION_STORE_LIMITS.maxIdLength)
    throw bad(`${what} is longer than ${MODERATION_STORE_LIMITS.maxIdLength}`);
  return value as string;
}

/** Checks a text (a string without U+0000, not over `maxTextLength`); null passes when `nullable`. */
export function checkModerationText(value: unknown, what: string, nullable = false): void {
  if (value === null && nullable) return;
  if (typeof value !== "string" || value.includes("\u0000"))
    throw bad(`${what} must be a string without U+0000`);
  if (value.length > MODERATION_STORE_LIMITS.maxTextLength)
    throw bad(`${what} is longer than ${MODERATION_STORE_LIMITS.maxTextLength}`);
}

/** Checks a suspension before it is stored. */
export function checkSuspension(s: Suspension): void {
  if (typeof s !== "object" || s === null) throw bad("a suspension must be an object");
  checkModerationId(s.userId, "userId");
  checkModerationId(s.by, "by");
  if (s.kind !== "suspend" && s.kind !== "ban") throw bad("kind must be suspend or ban");
  checkModerationText(s.reason, "reason", true);
  checkTime(s.createdAt, "createdAt");
  if (s.expiresAt !== null) checkTime(s.expiresAt, "expiresAt");
}

/** Checks a report draft before it is stored. */
export function checkReportDraft(draft: ReportDraft): void {
  if (typeof draft !== "object" || draft === null) throw bad("a report must be an object");
  checkModerationId(draft.reporterId, "reporterId");
  const target = draft.target;
  if (typeof target !== "object" || target === null) throw bad("target must be an object");
  checkModerationId(target.userId, "target.userId");
  if (target.kind === "message") {
    checkModerationId(target.messageId, "target.messageId");
    checkModerationId(target.conversationId, "target.conversationId");
  } else if (target.kind !== "user") {
    throw bad("target.kind must be message or user");
  }
  checkModerationText(draft.reason, "reason");
  checkTime(draft.createdAt, "createdAt");
}

/** Checks a resolution before it is stored. */
export function checkReportResolution(resolution: ReportResolution): void {
  if (typeof resolution !== "object" || resolution === null)
    throw bad("a resolution must be an object");
  if (resolution.status !== "resolved" && resolution.status !== "dismissed")
    throw bad("status must be resolved or dismissed");
  checkModerationId(resolution.by, "by");
  if (resolution.note !== undefined) checkModerationText(resolution.note, "note", true);
  checkTime(resolution.now, "now");
}

/** Checks an audit draft; returns its details serialized (or null). */
export function checkAuditDraft(draft: AuditDraft): string | null {
  if (typeof draft !== "object" || draft === null) throw bad("an audit entry must be an object");
  checkModerationId(draft.actorId, "actorId");
  checkModerationId(draft.action, "action");
  checkModerationId(draft.targetKind, "targetKind");
  checkModerationId(draft.targetId, "targetId");
  checkTime(draft.at, "at");
  if (draft.details === null) return null;
  if (typeof draft.details !== "object" || Array.isArray(draft.details))
    throw bad("details must be an object or null");
  const json = JSON.stringify(draft.details);
  if (json.length > MODERATION_STORE_LIMITS.maxDetailsLength || json.includes("\\u0000"))
    throw bad(
      `details must serialize to at most ${MODERATION_STORE_LIMITS.maxDetailsLength} characters without U+0000`,
    );
  return json;
}

/** Checks a page request; returns the limit to use. */
export function checkModerationPage(options: ModerationPageOptions): number {
  const { before, limit } = options;
  if (before !== undefined && !(Number.isSafeInteger(before) && before >= 1))
    throw bad("before must be an integer >= 1");
  if (limit === undefined) return MODERATION_STORE_LIMITS.maxPageSize;
  if (!Number.isInteger(limit) || limit < 1) throw bad("limit must be an integer >= 1");
  return Math.min(limit, MODERATION_STORE_LIMITS.maxPageSize);
}

/** Whether a suspension is in force at `now`. */
export function suspensionActive(s: Suspension, now: number): boolean {
  return s.expiresAt === null || s.expiresAt > now;
}
