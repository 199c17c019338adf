import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { MODERATION_STORE_LIMITS, type Suspension } from "../domain/moderation.js";
import { expectImError, uid } from "./fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `ModerationStore` tests (`storage.moderation`); {@link moderationStoreConformance} runs them alone. */
export const moderationStoreSuite: StorageSuite = {
  name: "moderation",
  tests(context) {
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      storage = context.storage;
      other = await context.open();
    });

    const now = 1_700_000_000_000;

    it("suspends until the expiry, replaces a suspension and lifts it", async () => {
      const u = uid("u");
      const s: Suspension = {
        userId: u,
        kind: "suspend",
        reason: "spam 🥫",
        by: "admin",
        createdAt: now,
        expiresAt: now + 1000,
      };
      expect(await storage.moderation.suspension(u, now)).toBeUndefined();
      await storage.moderation.suspend(s);
      expect(await other.moderation.suspension(u, now + 999)).toEqual(s);
      expect(await other.moderation.suspension(u, now + 1000)).toBeUndefined();
      const ban: Suspension = {
        ...s,
        kind: "ban",
        reason: null,
        expiresAt: null,
      };
      await other.moderation.suspend(ban);
      expect(await storage.moderation.suspension(u, now + 10 ** 9)).toEqual(ban);
      expect(await storage.moderation.lift(u)).toBe(true);
      expect(await storage.moderation.lift(u)).toBe(false);
      expect(await other.moderation.suspension(u, now)).toBeUndefined();
    });

    it("lists the suspensions in force by user id, paged", async () => {
      const prefix = uid("list");
      const ids = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`, `${prefix}-d`];
      for (const [i, userId] of ids.entries()) {
        await storage.moderation.suspend({
          userId,
          kind: "suspend",
          reason: null,
          by: "admin",
          createdAt: now,
          // The third one has expired.
          expiresAt: i === 2 ? now - 1 : null,
        });
      }
      const ours = async (after?: string) =>
        (await other.moderation.suspensions(now, { after, limit: 2 })).map((s) => s.userId);
      const first = (
        await other.moderation.suspensions(now, {
          after: `${prefix}-`,
          limit: 2,
        })
      ).map((s) => s.userId);
      expect(first).toEqual([`${prefix}-a`, `${prefix}-b`]);
      expect((await ours(`${prefix}-b`)).filter((id) => id.startsWith(prefix))).toEqual([
        `${prefix}-d`,
      ]);
      for (const userId of ids) await storage.moderation.lift(userId);
    });

    it("stores reports, pages them newest first, filters by status and resolves once", async () => {
      const reporter = uid("r");
      const target = uid("t");
      const a = await storage.moderation.addReport({
        reporterId: reporter,
        target: { kind: "user", userId: target },
        reason: "rude",
        createdAt: now,
      });
      const b = await other.moderation.addReport({
        reporterId: reporter,
        target: {
          kind: "message",
          messageId: "m1",
          conversationId: "d:a:b",
          userId: target,
        },
        reason: "scam ✉️",
        createdAt: now + 1,
      });
      expect(b.reportId).toBeGreaterThan(a.reportId);
      expect(a).toMatchObject({
        status: "open",
        resolvedBy: null,
        resolvedAt: null,
        resolution: null,
      });
      expect(await other.moderation.report(b.reportId)).toEqual(b);
      expect(await other.moderation.report(9_999_999_999)).toBeUndefined();
      const page = await storage.moderation.reports({ limit: 2 });
      expect(page.map((r) => r.reportId)).toEqual([b.reportId, a.reportId]);
      const next = await storage.moderation.reports({
        before: b.reportId,
        limit: 1,
      });
      expect(next.map((r) => r.reportId)).toEqual([a.reportId]);

      const resolved = await other.moderation.resolveReport(a.reportId, {
        status: "dismissed",
        by: "admin",
        note: "fine",
        now: now + 5,
      });
      expect(resolved).toMatchObject({
        reportId: a.reportId,
        status: "dismissed",
        resolvedBy: "admin",
        resolvedAt: now + 5,
        resolution: "fine",
      });
      await expectImError(
        storage.moderation.resolveReport(a.reportId, {
          status: "resolved",
          by: "x",
          now,
        }),
        "conflict",
        "case 1",
      );
      expect(
        await storage.moderation.resolveReport(9_999_999_999, {
          status: "resolved",
          by: "x",
          now,
        }),
      ).toBeUndefined();
      const open = await storage.moderation.reports({
        status: "open",
        before: b.reportId + 1,
      });
      expect(open.map((r) => r.reportId)).toContain(b.reportId);
      expect(open.map((r) => r.reportId)).not.toContain(a.reportId);
      const dismissed = await storage.moderation.reports({
        status: "dismissed",
      });
      expect(dismissed.map((r) => r.reportId)).toContain(a.reportId);
    });

    it("appends to the audit log and pages it, by actor and by target", async () => {
      const actor = uid("admin");
      const target = uid("target");
      const first = await storage.moderation.appendAudit({
        actorId: actor,
        action: "suspend",
        targetKind: "user",
        targetId: target,
        details: { reason: "spam", expiresAt: null, nested: { n: 1 } },
        at: now,
      });
      const second = await other.moderation.appendAudit({
        actorId: actor,
        action: "unsuspend",
        targetKind: "user",
        targetId: target,
        details: null,
        at: now + 1,
      });
      expect(second.entryId).toBeGreaterThan(first.entryId);
      expect(first.details).toEqual({
        reason: "spam",
        expiresAt: null,
        nested: { n: 1 },
      });
      expect(await storage.moderation.audit({ actorId: actor })).toEqual([second, first]);
      expect(await storage.moderation.audit({ targetId: target, limit: 1 })).toEqual([second]);
      expect(
        await storage.moderation.audit({
          targetId: target,
          before: second.entryId,
        }),
      ).toEqual([first]);
      const newest = await other.moderation.audit({ limit: 1 });
      expect(newest[0]!.entryId).toBeGreaterThanOrEqual(second.entryId);
    });

    it("refuses bad input", async () => {
      const long = "x".repeat(MODERATION_STORE_LIMITS.maxTextLength + 1);
      const s: Suspension = {
        userId: uid("u"),
        kind: "suspend",
        reason: null,
        by: "admin",
        createdAt: now,
        expiresAt: null,
      };
      await expectImError(
        storage.moderation.suspend({ ...s, reason: long }),
        "bad_request",
        "case 2",
      );
      await expectImError(
        storage.moderation.suspend({ ...s, userId: "" }),
        "bad_request",
        "case 3",
      );
      await expectImError(
        storage.moderation.suspend({ ...s, kind: "mute" as "ban" }),
        "bad_request",
        "case 4",
      );
      await expectImError(
        storage.moderation.suspend({ ...s, reason: "a\u0000b" }),
        "bad_request",
        "case 5",
      );
      await expectImError(
        storage.moderation.addReport({
          reporterId: "r",
          target: { kind: "user", userId: "t" },
          reason: long,
          createdAt: now,
        }),
        "bad_request",
        "case 6",
      );
      await expectImError(
        storage.moderation.addReport({
          reporterId: "r",
          target: { kind: "group" } as never,
          reason: "x",
          createdAt: now,
        }),
        "bad_request",
        "case 7",
      );
      await expectImError(storage.moderation.reports({ before: 0 }), "bad_request", "case 8");
      await expectImError(storage.moderation.reports({ limit: 0 }), "bad_request", "case 9");
      await expectImError(storage.moderation.audit({ before: 1.5 }), "bad_request", "case 10");
      await expectImError(
        storage.moderation.appendAudit({
          actorId: "a",
          action: "x",
          targetKind: "user",
          targetId: "t",
          details: { big: long.repeat(5) },
          at: now,
        }),
        "bad_request",
        "case 11",
      );
      await expectImError(
        storage.moderation.resolveReport(1, {
          status: "open" as "resolved",
          by: "a",
          now,
        }),
        "bad_request",
        "case 12",
      );
    });
  },
};

/**
 * The conformance suite of {@link Storage.moderation} (the `ModerationStore`
 * contract): suspensions with expiry, replaced and lifted; reports stored,
 * paged, filtered and resolved once; the audit log appended and paged; bad
 * input refused. Two instances on one backend share everything.
 * {@link storageConformance} runs it with the other storage suites.
 *
 * @example
 * ```ts
 * moderationStoreConformance({ name: "sqlite", create: () => createSqliteStore({ path }) });
 * ```
 */
export function moderationStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} moderation store conformance`, [moderationStoreSuite], options);
}
