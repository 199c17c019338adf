import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { expectUnavailableAfterClose } from "./after-close.js";
import { uid } from "./fixtures.js";
import { directDraft } from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/**
 * The `Storage` lifecycle tests: `ping`, a `close` that is idempotent and leaves other
 * instances working, and calls after close that reject with `ImError("unavailable")`.
 */
export const storageLifecycleSuite: StorageSuite = {
  name: "lifecycle",
  tests(context) {
    let storage: Storage;
    beforeAll(() => {
      storage = context.storage;
    });

    it("ping answers true; close is idempotent and leaves other instances working", async () => {
      const extra = await context.open();
      expect(await extra.ping(), "ping() of an open storage").toBe(true);
      await extra.close();
      await extra.close();
      expect(await storage.ping(), "another instance after one closed").toBe(true);
      const result = await context.append(directDraft(uid("alice"), uid("bob")));
      expect(result.created, "another instance still appends after one closed").toBe(true);
    });

    it("close twice at once is fine: both calls resolve", async () => {
      const extra = await context.open();
      await Promise.all([extra.close(), extra.close()]);
      await extra.close();
    });

    it("every store rejects calls after close with unavailable; ping answers false", async () => {
      const extra = await context.open();
      await extra.close();
      const [alice, bob] = [uid("alice"), uid("bob")];
      const draft = directDraft(alice, bob);
      const conversationId = draft.conversationId;
      await expectUnavailableAfterClose({
        "messages.append": () => extra.messages.append(draft),
        "messages.range": () => extra.messages.range(conversationId, { limit: 10 }),
        "messages.get": () => extra.messages.get(draft.messageId),
        "changes.pins": () => extra.changes.pins(conversationId),
        "cursors.markRead": () => extra.cursors.markRead(alice, conversationId, 1),
        "cursors.cursors": () => extra.cursors.cursors(alice),
        "cursors.conversations": () => extra.cursors.conversations(alice),
        ...(extra.cursors.markMany && {
          "cursors.markMany": () =>
            extra.cursors.markMany?.([{ userId: alice, conversationId, seq: 1, kind: "read" }]),
        }),
        "groups.get": () => extra.groups.get(uid("group")),
        "groupJoins.settings": () => extra.groupJoins.settings(uid("group")),
        "outbox.stats": () => extra.outbox.stats(),
        "contacts.privacy": () => extra.contacts.privacy(alice),
        "profiles.get": () => extra.profiles.get(alice),
        "conversationSettings.get": () => extra.conversationSettings.get(alice),
        "moderation.suspension": () => extra.moderation.suspension(alice, Date.now()),
        ...(extra.domainEvents && {
          "domainEvents.pending": () => extra.domainEvents?.pending(),
        }),
        ...(extra.outboxNotifications && {
          outboxNotifications: () => extra.outboxNotifications?.(() => {}),
        }),
      });
      expect(await extra.ping(), "ping() after close").toBe(false);
    });
  },
};

/**
 * The conformance suite of the `Storage` lifecycle (`ping`, `close`). Runs
 * alone; `storageConformance` runs it with the other storage suites.
 */
export function storageLifecycleConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} lifecycle conformance`, [storageLifecycleSuite], options);
}
