import type {
  AuditDraft,
  AuditEntry,
  AuditPageOptions,
  Report,
  ReportDraft,
  ReportPageOptions,
  ReportResolution,
  Suspension,
} from "../domain/moderation.js";

/**
 * Suspensions and bans, user reports and the audit log of admin actions.
 * Inputs are checked against `MODERATION_STORE_LIMITS` (`bad_request` for an
 * empty or oversize id, an oversize text, U+0000, a bad page request). Pages
 * go newest first by id: pass the last id of a page as `before` for the next.
 */
export interface ModerationStore {
  /** Suspends (or bans) `suspension.userId`, replacing any suspension they had. */
  suspend(suspension: Suspension): Promise<void>;
  /** Lifts the user's suspension; resolves with whether there was one (expired or not). */
  lift(userId: string): Promise<boolean>;
  /** The user's suspension in force at `now`, or undefined (none, or expired). */
  suspension(userId: string, now: number): Promise<Suspension | undefined>;
  /** The suspensions in force at `now`, ascending by user id after `after`, at most `limit`. */
  suspensions(now: number, options?: { after?: string; limit?: number }): Promise<Suspension[]>;
  /** Stores an open report and resolves with it (its `reportId` assigned). */
  addReport(draft: ReportDraft): Promise<Report>;
  /** One report, or undefined. */
  report(reportId: number): Promise<Report | undefined>;
  /** A page of reports, newest first, optionally of one status. */
  reports(options?: ReportPageOptions): Promise<Report[]>;
  /**
   * Closes an open report; resolves with it, or undefined when there is no such report.
   * A report that is not open stays as it is (`conflict`).
   */
  resolveReport(reportId: number, resolution: ReportResolution): Promise<Report | undefined>;
  /** Appends an admin action to the audit log; resolves with it (its `entryId` assigned). */
  appendAudit(draft: AuditDraft): Promise<AuditEntry>;
  /** A page of the audit log, newest first, optionally of one admin or one target. */
  audit(options?: AuditPageOptions): Promise<AuditEntry[]>;
}
