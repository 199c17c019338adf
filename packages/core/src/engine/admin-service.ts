import type { RateLimiter } from "../contracts/rate-limiter.js";
import { parseConversationId } from "../domain/conversation.js";
import type { AuditEntry, Report, Suspension } from "../domain/moderation.js";
import type { Principal, SessionInfo } from "../domain/session.js";
import { ImError } from "../errors.js";
import { CloseCode } from "../protocol/close-codes.js";
import type {
  AdminOperations,
  AdminStats,
  ReportRequest,
  SuspendRequest,
} from "./admin-operations.js";
import type { EngineCore } from "./engine-core.js";
import { accessMessage } from "./message-access.js";
import type { NodeStatsBoard } from "./node-stats-board.js";
import { announceRecallChange, recalledAudience } from "./recall-handler.js";
import type { SuspensionCache } from "./suspension-cache.js";

/** What a user id may look like (as the connection lifecycle checks a token's subject). */
const USER_ID = /^[^\s:]{1,128}$/;

/** Longest message, group or report id accepted. */
const MAX_ID_LENGTH = 256;

/** What {@link AdminService} works with besides the engine core. */
export interface AdminServiceDeps {
  /** The application's admin check, if any. */
  isAdmin: ((userId: string) => boolean | Promise<boolean>) | undefined;
  /** The token claim that makes an admin when `true`; undefined: none. */
  adminClaim: string | undefined;
  /** What nodes cached of suspensions. */
  suspensions: SuspensionCache;
  /** Every node's load. */
  statsBoard: NodeStatsBoard;
  /** Budget of reports per user. */
  reportLimiter: RateLimiter;
  /** Closes every session of a user on every node. */
  kick(userId: string, code: number, reason: string): Promise<void>;
  /** Removes a member as a service admin (the group service). */
  removeMember(groupId: string, adminId: string, userId: string): Promise<void>;
}

function checkUser(userId: unknown, what = "userId"): string {
  if (typeof userId !== "string" || !USER_ID.test(userId))
    throw new ImError(
      "bad_request",
      `${what} must be a user id (1 to 128 characters, no spaces or colons)`,
    );
  return userId;
}

function checkId(id: unknown, what: string): string {
  if (
    typeof id !== "string" ||
    id.length === 0 ||
    id.length > MAX_ID_LENGTH ||
    id.includes("\u0000")
  )
    throw new ImError(
      "bad_request",
      `${what} must be a non-empty id of at most ${MAX_ID_LENGTH} characters`,
    );
  return id;
}

/**
 * Implements {@link AdminOperations} (`im.admin`).
 *
 * @internal The engine creates it: use `im.admin`.
 */
export class AdminService implements AdminOperations {
  /**
   * @param core - the engine's collaborators
   * @param deps - admin checks, caches and callbacks (see {@link AdminServiceDeps})
   */
  constructor(
    private readonly core: EngineCore,
    private readonly deps: AdminServiceDeps,
  ) {}

  /** {@inheritDoc AdminOperations.isAdmin} */
  async isAdmin(principal: Principal): Promise<boolean> {
    if (typeof principal !== "object" || principal === null || typeof principal.userId !== "string")
      return false;
    const { adminClaim, isAdmin } = this.deps;
    if (adminClaim !== undefined && principal.claims?.[adminClaim] === true) return true;
    return isAdmin ? (await isAdmin(principal.userId)) === true : false;
  }

  /** {@inheritDoc AdminOperations.suspend} */
  async suspend(
    admin: Principal,
    userId: string,
    request: SuspendRequest = {},
  ): Promise<Suspension> {
    await this.requireAdmin(admin);
    checkUser(userId);
    if (typeof request !== "object" || request === null)
      throw new ImError("bad_request", "a suspend request must be an object");
    const kind = request.kind ?? "suspend";
    if (kind !== "suspend" && kind !== "ban")
      throw new ImError("bad_request", "kind must be suspend or ban");
    const reason = request.reason === undefined ? null : this.checkReason(request.reason);
    const { durationMs } = request;
    if (durationMs !== undefined && !(Number.isSafeInteger(durationMs) && durationMs >= 1))
      throw new ImError("bad_request", "durationMs must be a whole number of ms >= 1");
    if (userId === admin.userId) throw new ImError("bad_request", "an admin cannot suspend itself");
    const now = Date.now();
    const suspension: Suspension = {
      userId,
      kind,
      reason,
      by: admin.userId,
      createdAt: now,
      expiresAt: durationMs === undefined ? null : now + durationMs,
    };
    await this.core.storage.moderation.suspend(suspension);
    await this.changed(userId);
    await this.deps.kick(userId, CloseCode.suspended, kind === "ban" ? "banned" : "suspended");
    await this.audit_(admin, kind, "user", userId, {
      reason,
      expiresAt: suspension.expiresAt,
    });
    return suspension;
  }

  /** {@inheritDoc AdminOperations.unsuspend} */
  async unsuspend(admin: Principal, userId: string): Promise<boolean> {
    await this.requireAdmin(admin);
    checkUser(userId);
    const lifted = await this.core.storage.moderation.lift(userId);
    await this.changed(userId);
    await this.audit_(admin, "unsuspend", "user", userId, { lifted });
    return lifted;
  }

  /** {@inheritDoc AdminOperations.suspensionOf} */
  suspensionOf(userId: string): Promise<Suspension | undefined> {
    checkUser(userId);
    return this.deps.suspensions.get(userId);
  }

  /** {@inheritDoc AdminOperations.suspensions} */
  async suspensions(
    admin: Principal,
    options: { after?: string; limit?: number } = {},
  ): Promise<Suspension[]> {
    await this.requireAdmin(admin);
    return this.core.storage.moderation.suspensions(Date.now(), options);
  }

  /** {@inheritDoc AdminOperations.forceLogout} */
  async forceLogout(admin: Principal, userId: string): Promise<void> {
    await this.requireAdmin(admin);
    checkUser(userId);
    await this.deps.kick(userId, CloseCode.unauthorized, "logged out by an admin");
    await this.audit_(admin, "force_logout", "user", userId, null);
  }

  /** {@inheritDoc AdminOperations.deleteMessage} */
  async deleteMessage(admin: Principal, messageId: string, reason?: string): Promise<void> {
    await this.requireAdmin(admin);
    checkId(messageId, "messageId");
    const why = reason === undefined ? null : this.checkReason(reason);
    const { core } = this;
    const message = await core.storage.messages.get(messageId);
    if (!message) throw new ImError("not_found", "no such message");
    const participants = await this.participants(message.conversationId);
    const recalled = await core.storage.messages.recall(messageId, admin.userId);
    if (!recalled) throw new ImError("not_found", "no such message");
    void core.tasks.track(
      announceRecallChange(core, recalled.conversationId, recalled.messageId, participants),
    );
    const audience = await recalledAudience(
      core,
      recalled.conversationId,
      recalled.seq,
      participants,
      admin.userId,
    );
    await core.delivery.deliverFrame(audience, {
      type: "recalled",
      messageId: recalled.messageId,
      conversationId: recalled.conversationId,
      seq: recalled.seq,
      by: admin.userId,
      reason: "admin",
    });
    await this.audit_(admin, "delete_message", "message", messageId, {
      conversationId: message.conversationId,
      from: message.from,
      reason: why,
    });
  }

  /** {@inheritDoc AdminOperations.removeMember} */
  async removeMember(admin: Principal, groupId: string, userId: string): Promise<void> {
    await this.requireAdmin(admin);
    checkId(groupId, "groupId");
    checkUser(userId);
    await this.deps.removeMember(groupId, admin.userId, userId);
    await this.audit_(admin, "remove_member", "group", groupId, { userId });
  }

  /** {@inheritDoc AdminOperations.stats} */
  async stats(admin: Principal): Promise<AdminStats> {
    await this.requireAdmin(admin);
    const nodes = this.deps.statsBoard.all();
    const outbox = await this.core.storage.outbox.stats({
      kinds: ["message", "change"],
    });
    return {
      nodes,
      messagesPerMinute: nodes.reduce((sum, n) => sum + n.messagesPerMinute, 0),
      outboxBacklog: outbox.pending,
      outboxOldestMs:
        outbox.oldestPendingAt === undefined ? 0 : Math.max(0, Date.now() - outbox.oldestPendingAt),
    };
  }

  /** {@inheritDoc AdminOperations.sessions} */
  async sessions(admin: Principal, userId: string): Promise<SessionInfo[]> {
    await this.requireAdmin(admin);
    checkUser(userId);
    return this.core.presence.sessionsOf([userId]);
  }

  /** {@inheritDoc AdminOperations.report} */
  async report(reporterId: string, target: ReportRequest, reason: string): Promise<Report> {
    checkUser(reporterId, "reporterId");
    if (typeof target !== "object" || target === null)
      throw new ImError("bad_request", "a report target must be an object");
    const why = this.checkReason(reason);
    if (why.trim() === "") throw new ImError("bad_request", "a report needs a reason");
    let resolved: Report["target"];
    if (target.kind === "user") {
      checkUser(target.userId);
      if (target.userId === reporterId)
        throw new ImError("bad_request", "a user cannot report themselves");
      resolved = { kind: "user", userId: target.userId };
    } else if (target.kind === "message") {
      checkId(target.messageId, "messageId");
      // A message the reporter cannot see (another conversation, or before they joined the
      // group) does not exist for them: `not_found`, as from accessMessage.
      const { message } = await accessMessage(this.core, reporterId, target.messageId);
      resolved = {
        kind: "message",
        messageId: message.messageId,
        conversationId: message.conversationId,
        userId: message.from,
      };
    } else {
      throw new ImError("bad_request", "target.kind must be message or user");
    }
    const budget = await this.deps.reportLimiter.consume(reporterId);
    if (!budget.allowed) {
      throw new ImError(
        "rate_limited",
        `too many reports; retry in ${Math.ceil(budget.retryAfterMs / 1000)} s`,
        { details: { retryAfterMs: budget.retryAfterMs } },
      );
    }
    return this.core.storage.moderation.addReport({
      reporterId,
      target: resolved,
      reason: why,
      createdAt: Date.now(),
    });
  }

  /** {@inheritDoc AdminOperations.reports} */
  async reports(admin: Principal, options: Parameters<AdminOperations["reports"]>[1] = {}) {
    await this.requireAdmin(admin);
    return this.core.storage.moderation.reports(options);
  }

  /** {@inheritDoc AdminOperations.resolveReport} */
  async resolveReport(
    admin: Principal,
    reportId: number,
    resolution: Parameters<AdminOperations["resolveReport"]>[2],
  ): Promise<Report> {
    await this.requireAdmin(admin);
    if (!(Number.isSafeInteger(reportId) && reportId >= 1))
      throw new ImError("bad_request", "reportId must be an integer >= 1");
    if (typeof resolution !== "object" || resolution === null)
      throw new ImError("bad_request", "a resolution must be an object");
    const note = resolution.note === undefined ? null : this.checkReason(resolution.note);
    const report = await this.core.storage.moderation.resolveReport(reportId, {
      status: resolution.status,
      by: admin.userId,
      note,
      now: Date.now(),
    });
    if (!report) throw new ImError("not_found", `no report ${reportId}`);
    await this.audit_(admin, `report_${resolution.status}`, "report", String(reportId), {
      note,
      target: report.target,
    });
    return report;
  }

  /** {@inheritDoc AdminOperations.audit} */
  async audit(
    admin: Principal,
    options: Parameters<AdminOperations["audit"]>[1] = {},
  ): Promise<AuditEntry[]> {
    await this.requireAdmin(admin);
    return this.core.storage.moderation.audit(options);
  }

  private async requireAdmin(admin: Principal): Promise<void> {
    if (!(await this.isAdmin(admin))) throw new ImError("forbidden", "admins only");
  }

  private checkReason(reason: unknown): string {
    const max = this.core.limits.maxModerationReasonLength;
    if (typeof reason !== "string" || reason.includes("\u0000"))
      throw new ImError("bad_request", "a reason must be a string without U+0000");
    if (reason.length > max)
      throw new ImError("bad_request", `a reason is at most ${max} characters`);
    return reason;
  }

  /** Tells every node (this one included) to drop its cached suspension of the user. */
  private async changed(userId: string): Promise<void> {
    this.deps.suspensions.invalidate(userId);
    try {
      await this.core.broker.broadcast({ type: "suspension_changed", userId });
    } catch (error) {
      // The other nodes' caches expire within `suspensionCacheMs`; the kick reaches them anyway.
      this.core.errors.report(error, "broadcasting a suspension change");
    }
  }

  /** Who takes part in a conversation now. */
  private async participants(conversationId: string): Promise<string[]> {
    const parsed = parseConversationId(conversationId);
    if (parsed.kind === "direct") return [...new Set(parsed.userIds)];
    const group = await this.core.groupCache.get(parsed.groupId);
    return group ? group.memberIds : [];
  }

  private async audit_(
    admin: Principal,
    action: string,
    targetKind: string,
    targetId: string,
    details: Record<string, unknown> | null,
  ): Promise<void> {
    await this.core.storage.moderation.appendAudit({
      actorId: admin.userId,
      action,
      targetKind,
      targetId,
      details,
      at: Date.now(),
    });
  }
}
