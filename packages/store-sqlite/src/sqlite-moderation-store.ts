import {
  type AuditEntry,
  checkAuditDraft,
  checkModerationId,
  checkModerationPage,
  checkReportDraft,
  checkReportResolution,
  checkSuspension,
  checkTime,
  ImError,
  type ModerationStore,
  type Report,
  type ReportStatus,
  type Suspension,
  type SuspensionKind,
} from "@lucky-im/core";
import { type RawBuilder, sql } from "kysely";
import type { StoreContext } from "./context.js";

interface SuspensionRow {
  user_id: string;
  kind: SuspensionKind;
  reason: string | null;
  by_id: string;
  created_at: number;
  expires_at: number | null;
}

interface ReportRow {
  id: number;
  reporter_id: string;
  target_kind: "message" | "user";
  target_user_id: string;
  message_id: string | null;
  conversation_id: string | null;
  reason: string;
  created_at: number;
  status: ReportStatus;
  resolved_by: string | null;
  resolved_at: number | null;
  resolution: string | null;
}

interface AuditRow {
  id: number;
  actor_id: string;
  action: string;
  target_kind: string;
  target_id: string;
  details: string | null;
  at: number;
}

function toSuspension(row: SuspensionRow): Suspension {
  return {
    userId: row.user_id,
    kind: row.kind,
    reason: row.reason,
    by: row.by_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

function toReport(row: ReportRow): Report {
  return {
    reportId: Number(row.id),
    reporterId: row.reporter_id,
    target:
      row.target_kind === "message"
        ? {
            kind: "message",
            messageId: row.message_id!,
            conversationId: row.conversation_id!,
            userId: row.target_user_id,
          }
        : { kind: "user", userId: row.target_user_id },
    reason: row.reason,
    createdAt: row.created_at,
    status: row.status,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
  };
}

function toAudit(row: AuditRow): AuditEntry {
  return {
    entryId: Number(row.id),
    actorId: row.actor_id,
    action: row.action,
    targetKind: row.target_kind,
    targetId: row.target_id,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    at: row.at,
  };
}

/** `AND`s the conditions (TRUE when none). */
function where(conditions: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return conditions.length === 0 ? sql`TRUE` : sql.join(conditions, sql` AND `);
}

/** @internal The SQLite {@link ModerationStore}. */
export function createSqliteModerationStore(ctx: StoreContext): ModerationStore {
  const { db, exec } = ctx;
  const validId = (id: number) => Number.isSafeInteger(id) && id >= 1;

  return {
    suspend(suspension) {
      return ctx.run("suspend", async () => {
        checkSuspension(suspension);
        const s = suspension;
        exec.run(
          sql`
          INSERT INTO suspensions (user_id, kind, reason, by_id, created_at, expires_at)
          VALUES (${s.userId}, ${s.kind}, ${s.reason}, ${s.by}, ${s.createdAt},
                  ${s.expiresAt})
          ON CONFLICT (user_id) DO UPDATE SET kind = EXCLUDED.kind, reason = EXCLUDED.reason,
            by_id = EXCLUDED.by_id, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
        `.compile(db),
        );
      });
    },

    lift(userId) {
      return ctx.run("lift suspension", async () => {
        checkModerationId(userId, "userId");
        return exec.run(sql`DELETE FROM suspensions WHERE user_id = ${userId}`.compile(db)) > 0;
      });
    },

    suspension(userId, now) {
      return ctx.run("get suspension", async () => {
        checkModerationId(userId, "userId");
        checkTime(now, "now");
        const rows = exec.all(
          sql<SuspensionRow>`
          SELECT * FROM suspensions
          WHERE user_id = ${userId} AND (expires_at IS NULL OR expires_at > ${now})
        `.compile(db),
        );
        return rows[0] && toSuspension(rows[0]);
      });
    },

    suspensions(now, options = {}) {
      return ctx.run("list suspensions", async () => {
        checkTime(now, "now");
        const limit = checkModerationPage({ limit: options.limit });
        if (options.after !== undefined) checkModerationId(options.after, "after");
        const rows = exec.all(
          sql<SuspensionRow>`
          SELECT * FROM suspensions
          WHERE (expires_at IS NULL OR expires_at > ${now})
            ${options.after === undefined ? sql`` : sql`AND user_id > ${options.after}`}
          ORDER BY user_id LIMIT ${limit}
        `.compile(db),
        );
        return rows.map(toSuspension);
      });
    },

    addReport(draft) {
      return ctx.run("add report", async () => {
        checkReportDraft(draft);
        const target = draft.target;
        const message = target.kind === "message" ? target : undefined;
        const rows = exec.all(
          sql<ReportRow>`
          INSERT INTO moderation_reports
            (reporter_id, target_kind, target_user_id, message_id, conversation_id, reason, created_at, status)
          VALUES (${draft.reporterId}, ${target.kind}, ${target.userId}, ${
            message?.messageId ?? null
          },
                  ${message?.conversationId ?? null}, ${draft.reason}, ${draft.createdAt}, 'open')
          RETURNING *
        `.compile(db),
        );
        return toReport(rows[0]!);
      });
    },

    report(reportId) {
      return ctx.run("get report", async () => {
        if (!validId(reportId)) return undefined;
        const rows = exec.all(
          sql<ReportRow>`
          SELECT * FROM moderation_reports WHERE id = ${reportId}
        `.compile(db),
        );
        return rows[0] && toReport(rows[0]);
      });
    },

    reports(options = {}) {
      return ctx.run("list reports", async () => {
        const limit = checkModerationPage(options);
        const conditions: RawBuilder<unknown>[] = [];
        if (options.before !== undefined) conditions.push(sql`id < ${options.before}`);
        if (options.status !== undefined) conditions.push(sql`status = ${options.status}`);
        const rows = exec.all(
          sql<ReportRow>`
          SELECT * FROM moderation_reports WHERE ${where(conditions)}
          ORDER BY id DESC LIMIT ${limit}
        `.compile(db),
        );
        return rows.map(toReport);
      });
    },

    resolveReport(reportId, resolution) {
      return ctx.run("resolve report", async () => {
        checkReportResolution(resolution);
        if (!validId(reportId)) return undefined;
        const rows = exec.all(
          sql<ReportRow>`
          UPDATE moderation_reports
          SET status = ${resolution.status}, resolved_by = ${resolution.by},
              resolved_at = ${resolution.now}, resolution = ${resolution.note ?? null}
          WHERE id = ${reportId} AND status = 'open'
          RETURNING *
        `.compile(db),
        );
        if (rows[0]) return toReport(rows[0]);
        const existing = exec.all(
          sql<ReportRow>`
          SELECT * FROM moderation_reports WHERE id = ${reportId}
        `.compile(db),
        );
        if (!existing[0]) return undefined;
        throw new ImError("conflict", `report ${reportId} is already ${existing[0].status}`);
      });
    },

    appendAudit(draft) {
      return ctx.run("append audit", async () => {
        const details = checkAuditDraft(draft);
        const rows = exec.all(
          sql<AuditRow>`
          INSERT INTO moderation_audit (actor_id, action, target_kind, target_id, details, at)
          VALUES (${draft.actorId}, ${draft.action}, ${draft.targetKind}, ${draft.targetId},
                  ${details}, ${draft.at})
          RETURNING *
        `.compile(db),
        );
        return toAudit(rows[0]!);
      });
    },

    audit(options = {}) {
      return ctx.run("list audit", async () => {
        const limit = checkModerationPage(options);
        if (options.actorId !== undefined) checkModerationId(options.actorId, "actorId");
        if (options.targetId !== undefined) checkModerationId(options.targetId, "targetId");
        const conditions: RawBuilder<unknown>[] = [];
        if (options.before !== undefined) conditions.push(sql`id < ${options.before}`);
        if (options.actorId !== undefined) conditions.push(sql`actor_id = ${options.actorId}`);
        if (options.targetId !== undefined) conditions.push(sql`target_id = ${options.targetId}`);
        const rows = exec.all(
          sql<AuditRow>`
          SELECT * FROM moderation_audit WHERE ${where(conditions)}
          ORDER BY id DESC LIMIT ${limit}
        `.compile(db),
        );
        return rows.map(toAudit);
      });
    },
  };
}
