import type { ModerationStore } from "../contracts/moderation-store.js";
import {
  type AuditEntry,
  checkAuditDraft,
  checkModerationId,
  checkModerationPage,
  checkReportDraft,
  checkReportResolution,
  checkSuspension,
  type Report,
  type Suspension,
  suspensionActive,
} from "../domain/moderation.js";
import { checkTime } from "../domain/people-limits.js";
import { ImError } from "../errors.js";
import type { MemoryStorageBackend } from "./memory-storage-backend.js";

/** @internal The moderation data of one backend. */
interface MemoryModerationState {
  suspensions: Map<string, Suspension>;
  /** Ascending by id. */
  reports: Report[];
  /** Ascending by id. */
  audit: AuditEntry[];
}

const states = new WeakMap<MemoryStorageBackend, MemoryModerationState>();

function moderationState(backend: MemoryStorageBackend): MemoryModerationState {
  let state = states.get(backend);
  if (!state) {
    state = { suspensions: new Map(), reports: [], audit: [] };
    states.set(backend, state);
  }
  return state;
}

const copy = <T>(value: T): T => structuredClone(value);

/** Newest first, ids below `before`, at most `limit`, matching `keep`. */
function newestFirst<T>(
  items: readonly T[],
  idOf: (item: T) => number,
  before: number | undefined,
  limit: number,
  keep: (item: T) => boolean,
): T[] {
  const page: T[] = [];
  for (let i = items.length - 1; i >= 0 && page.length < limit; i--) {
    const item = items[i]!;
    if (before !== undefined && idOf(item) >= before) continue;
    if (keep(item)) page.push(copy(item));
  }
  return page;
}

/** @internal What the memory moderation store needs from its storage. */
export interface MemoryModerationStoreContext {
  backend: MemoryStorageBackend;
}

/** @internal The in-memory {@link ModerationStore}. */
export function createMemoryModerationStore(
  context: MemoryModerationStoreContext,
): ModerationStore {
  const state = moderationState(context.backend);
  return {
    async suspend(suspension) {
      checkSuspension(suspension);
      state.suspensions.set(suspension.userId, copy(suspension));
    },

    async lift(userId) {
      checkModerationId(userId, "userId");
      return state.suspensions.delete(userId);
    },

    async suspension(userId, now) {
      checkModerationId(userId, "userId");
      checkTime(now, "now");
      const found = state.suspensions.get(userId);
      return found && suspensionActive(found, now) ? copy(found) : undefined;
    },

    async suspensions(now, options = {}) {
      checkTime(now, "now");
      const limit = checkModerationPage({ limit: options.limit });
      if (options.after !== undefined) checkModerationId(options.after, "after");
      return [...state.suspensions.values()]
        .filter(
          (s) =>
            suspensionActive(s, now) && (options.after === undefined || s.userId > options.after),
        )
        .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
        .slice(0, limit)
        .map(copy);
    },

    async addReport(draft) {
      checkReportDraft(draft);
      const report: Report = {
        ...copy(draft),
        reportId: state.reports.length + 1,
        status: "open",
        resolvedBy: null,
        resolvedAt: null,
        resolution: null,
      };
      state.reports.push(report);
      return copy(report);
    },

    async report(reportId) {
      const found = Number.isSafeInteger(reportId) ? state.reports[reportId - 1] : undefined;
      return found && copy(found);
    },

    async reports(options = {}) {
      const limit = checkModerationPage(options);
      return newestFirst(
        state.reports,
        (r) => r.reportId,
        options.before,
        limit,
        (r) => options.status === undefined || r.status === options.status,
      );
    },

    async resolveReport(reportId, resolution) {
      checkReportResolution(resolution);
      const found = Number.isSafeInteger(reportId) ? state.reports[reportId - 1] : undefined;
      if (!found) return undefined;
      if (found.status !== "open")
        throw new ImError("conflict", `report ${reportId} is already ${found.status}`);
      found.status = resolution.status;
      found.resolvedBy = resolution.by;
      found.resolvedAt = resolution.now;
      found.resolution = resolution.note ?? null;
      return copy(found);
    },

    async appendAudit(draft) {
      const details = checkAuditDraft(draft);
      const entry: AuditEntry = {
        ...copy(draft),
        details: details === null ? null : JSON.parse(details),
        entryId: state.audit.length + 1,
      };
      state.audit.push(entry);
      return copy(entry);
    },

    async audit(options = {}) {
      const limit = checkModerationPage(options);
      return newestFirst(
        state.audit,
        (e) => e.entryId,
        options.before,
        limit,
        (e) =>
          (options.actorId === undefined || e.actorId === options.actorId) &&
          (options.targetId === undefined || e.targetId === options.targetId),
      );
    },
  };
}
