import type {
  AuditEntry,
  AuditPageOptions,
  Report,
  ReportPageOptions,
  ReportStatus,
  Suspension,
  SuspensionKind,
} from "../domain/moderation.js";
import type { NodeStats } from "../domain/node-stats.js";
import type { Principal, SessionInfo } from "../domain/session.js";

/** How {@link AdminOperations.suspend} suspends. */
export interface SuspendRequest {
  /** `suspend` (the default) or `ban`: the same effect, a different name. */
  kind?: SuspensionKind;
  /** Why (at most `limits.maxModerationReasonLength`); shown in the audit log. */
  reason?: string;
  /** How long, in ms; absent: until lifted. */
  durationMs?: number;
}

/** What a user reports: a message (seen by them) or a user. */
export type ReportRequest =
  | {
      /** A message of a conversation the reporter is in. */
      kind: "message";
      /** The message. */
      messageId: string;
    }
  | {
      /** Another user. */
      kind: "user";
      /** The user. */
      userId: string;
    };

/** The cluster's load, for {@link AdminOperations.stats}. */
export interface AdminStats {
  /** Every node that broadcast its stats lately, the answering node first. */
  nodes: NodeStats[];
  /** Messages stored per minute over every node listed. */
  messagesPerMinute: number;
  /** Outbox entries (messages and changes) waiting to be published, cluster-wide. */
  outboxBacklog: number;
  /** Age of the oldest waiting entry, in ms (0: none). */
  outboxOldestMs: number;
}

/**
 * Admin and moderation (`im.admin`). Every method but {@link AdminOperations.report},
 * {@link AdminOperations.isAdmin} and {@link AdminOperations.suspensionOf} takes the
 * acting admin's `Principal` and is `forbidden` for anyone else; each admin action is
 * appended to the audit log.
 */
export interface AdminOperations {
  /** Whether the principal is an admin: its `adminClaim` is `true`, or the `isAdmin` callback says so. */
  isAdmin(principal: Principal): Promise<boolean>;
  /**
   * Suspends (or bans) a user: stored, then every session of theirs on every node is closed
   * with 4403 and new ones are refused (each node within `suspensionCacheMs` at worst, at
   * once when the broadcast arrives) until it expires or is lifted. Replaces an earlier one.
   */
  suspend(admin: Principal, userId: string, request?: SuspendRequest): Promise<Suspension>;
  /** Lifts a user's suspension; resolves with whether there was one. */
  unsuspend(admin: Principal, userId: string): Promise<boolean>;
  /** The user's suspension in force, or undefined (for a login route: refuse suspended users). */
  suspensionOf(userId: string): Promise<Suspension | undefined>;
  /** The suspensions in force, by user id after `after`. */
  suspensions(
    admin: Principal,
    options?: { after?: string; limit?: number },
  ): Promise<Suspension[]>;
  /** Closes every session of a user on every node (4401: the client must log in again). */
  forceLogout(admin: Principal, userId: string): Promise<void>;
  /**
   * Removes any message (no recall window): participants get `recalled` with
   * `reason: "admin"` and the `recalled` change. `not_found` for an unknown message.
   */
  deleteMessage(admin: Principal, messageId: string, reason?: string): Promise<void>;
  /** Removes a member from any group (even its owner is not spared: `conflict` for the owner). */
  removeMember(admin: Principal, groupId: string, userId: string): Promise<void>;
  /** Connections per node, messages per minute and the outbox backlog. */
  stats(admin: Principal): Promise<AdminStats>;
  /** A user's live sessions on every node. */
  sessions(admin: Principal, userId: string): Promise<SessionInfo[]>;
  /**
   * A user reports a message of a conversation they are in, or another user, with a reason
   * (at most `limits.maxModerationReasonLength`). At most `limits.reportsPerWindow` per
   * `limits.reportWindowMs` per user on a node (`rate_limited` beyond).
   */
  report(reporterId: string, target: ReportRequest, reason: string): Promise<Report>;
  /** A page of reports, newest first. */
  reports(admin: Principal, options?: ReportPageOptions): Promise<Report[]>;
  /** Closes an open report (`not_found` unknown, `conflict` already closed). */
  resolveReport(
    admin: Principal,
    reportId: number,
    resolution: { status: Exclude<ReportStatus, "open">; note?: string },
  ): Promise<Report>;
  /** A page of the audit log, newest first. */
  audit(admin: Principal, options?: AuditPageOptions): Promise<AuditEntry[]>;
}
