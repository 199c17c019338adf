import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { directConversationId, groupConversationId } from "../domain/conversation.js";
import { defaultConversationSettings } from "../domain/conversation-settings.js";
import { DEFAULT_PEOPLE_LIMITS } from "../domain/people-limits.js";
import { newMessageId } from "../util/ids.js";
import { expectImError, oneTo, uid } from "./fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `ConversationSettingsStore` tests (`storage.conversationSettings`); {@link conversationSettingsConformance} runs them alone. */
export const conversationSettingsSuite: StorageSuite = {
  name: "conversation settings",
  tests(context) {
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      storage = context.storage;
      other = await context.open();
    });

    const now = 1_700_000_000_000;
    const group = async (ownerId: string, memberIds: string[] = [], createdAt = now) => {
      const groupId = uid("g");
      await storage.groups.create({ groupId, name: "g", ownerId, memberIds, createdAt });
      return groupConversationId(groupId);
    };
    const sendDirect = async (from: string, to: string, ts: number) => {
      await storage.messages.append({
        messageId: newMessageId(),
        conversationId: directConversationId(from, to),
        from,
        to: { type: "user", id: to },
        body: { type: "text", text: "hi" },
        cid: uid("cid"),
        ts,
        participants: [from, to],
      });
      return directConversationId(from, to);
    };

    it("defaults until changed; not_found outside the conversation", async () => {
      const [a, b] = [uid("a"), uid("b")];
      const cid = await group(a, [b]);
      expect(await storage.conversationSettings.get(a)).toEqual([defaultConversationSettings(cid)]);
      expect(await storage.conversationSettings.get(b, [cid, "g:nope"])).toEqual([
        defaultConversationSettings(cid),
      ]);
      await expectImError(
        storage.conversationSettings.update(uid("stranger"), cid, { archived: true }, now),
        "not_found",
        "not a member",
      );
      await expectImError(
        storage.conversationSettings.update(a, "g:missing", { archived: true }, now),
        "not_found",
        "unknown conversation",
      );
    });

    it("pins, mutes (until a time or for ever), archives and marks unread, per user", async () => {
      const [a, b] = [uid("a"), uid("b")];
      const cid = await group(a, [b]);
      expect(await storage.conversationSettings.update(a, cid, { pinned: true }, now)).toEqual({
        ...defaultConversationSettings(cid),
        pinnedAt: now,
      });
      // Pinning again keeps the first pin's time.
      await other.conversationSettings.update(a, cid, { pinned: true }, now + 9);
      await other.conversationSettings.update(
        a,
        cid,
        { mutedUntil: "forever", archived: true },
        now,
      );
      expect(await storage.conversationSettings.get(a, [cid])).toEqual([
        {
          conversationId: cid,
          pinnedAt: now,
          mutedUntil: "forever",
          archived: true,
          markedUnread: false,
        },
      ]);
      await storage.conversationSettings.update(
        a,
        cid,
        { mutedUntil: now + 3600_000, markedUnread: true },
        now,
      );
      await storage.conversationSettings.update(a, cid, { pinned: false, archived: false }, now);
      expect(await other.conversationSettings.get(a, [cid])).toEqual([
        {
          conversationId: cid,
          pinnedAt: null,
          mutedUntil: now + 3600_000,
          archived: false,
          markedUnread: true,
        },
      ]);
      expect(await other.conversationSettings.get(b, [cid])).toEqual([
        defaultConversationSettings(cid),
      ]);
      await storage.conversationSettings.update(a, cid, { mutedUntil: null }, now);
      expect((await storage.conversationSettings.get(a, [cid]))[0]?.mutedUntil).toBeNull();
    });

    it("refuses a malformed patch", async () => {
      const a = uid("a");
      const cid = await group(a);
      for (const patch of [
        { pinned: "yes" },
        { mutedUntil: -1 },
        { mutedUntil: "later" },
        { archived: 1 },
      ]) {
        await expectImError(
          storage.conversationSettings.update(a, cid, patch as never, now),
          "bad_request",
          `patch ${JSON.stringify(patch)}`,
        );
      }
    });

    it("concurrent updates of different fields on two instances both land", async () => {
      const a = uid("a");
      const cid = await group(a);
      await Promise.all([
        storage.conversationSettings.update(a, cid, { archived: true }, now),
        other.conversationSettings.update(a, cid, { mutedUntil: "forever" }, now),
        storage.conversationSettings.update(a, cid, { markedUnread: true }, now),
      ]);
      expect(await storage.conversationSettings.get(a, [cid])).toEqual([
        {
          conversationId: cid,
          pinnedAt: null,
          mutedUntil: "forever",
          archived: true,
          markedUnread: true,
        },
      ]);
    });

    it("the conversation list: pinned first, then activity, with settings; groups without messages too", async () => {
      const [a, b, c] = [uid("a"), uid("b"), uid("c")];
      const quietGroup = await group(a, [], now - 10_000);
      const withB = await sendDirect(a, b, now);
      const withC = await sendDirect(c, a, now + 1000);
      const newGroup = await group(b, [a], now + 2000);
      let list = await other.cursors.conversations(a);
      expect(list.map((s) => s.conversationId)).toEqual([newGroup, withC, withB, quietGroup]);
      expect(list[0]?.settings).toEqual(defaultConversationSettings(newGroup));
      await storage.conversationSettings.update(a, quietGroup, { pinned: true }, now);
      await storage.conversationSettings.update(
        a,
        withB,
        { pinned: true, mutedUntil: "forever" },
        now + 5,
      );
      list = await other.cursors.conversations(a);
      expect(list.map((s) => s.conversationId)).toEqual([withB, quietGroup, newGroup, withC]);
      expect(list[0]).toMatchObject({
        unread: 1,
        lastMessage: { from: a },
        settings: { pinnedAt: now + 5, mutedUntil: "forever" },
      });
      const page1 = await other.cursors.conversations(a, { limit: 3 });
      const page2 = await other.cursors.conversations(a, { limit: 3, offset: 3 });
      expect([...page1, ...page2].map((s) => s.conversationId)).toEqual(
        list.map((s) => s.conversationId),
      );
      // Other users' lists do not see a's settings.
      expect(
        (await other.cursors.conversations(b)).find((s) => s.conversationId === withB)?.settings,
      ).toEqual(defaultConversationSettings(withB));
    });

    it("leaving a group drops the settings kept with the cursor", async () => {
      const [a, b] = [uid("a"), uid("b")];
      const cid = await group(a, [b]);
      await storage.conversationSettings.update(b, cid, { pinned: true, archived: true }, now);
      await storage.groups.removeMembers(cid.slice(2), [b]);
      expect(await storage.conversationSettings.get(b, [cid])).toEqual([]);
      await storage.groups.addMembers(cid.slice(2), [b], now);
      expect(await storage.conversationSettings.get(b, [cid])).toEqual([
        defaultConversationSettings(cid),
      ]);
    });

    it("limits pinned conversations per user", async () => {
      const a = uid("a");
      const max = DEFAULT_PEOPLE_LIMITS.maxPinned;
      const cids: string[] = [];
      for (const _ of oneTo(max + 1)) cids.push(await group(a));
      for (const cid of cids.slice(0, max - 1)) {
        await storage.conversationSettings.update(a, cid, { pinned: true }, now);
      }
      // Two pins at once on two instances for the last slot: exactly one passes.
      const racing = await Promise.allSettled([
        storage.conversationSettings.update(a, cids[max - 1]!, { pinned: true }, now),
        other.conversationSettings.update(a, cids[max]!, { pinned: true }, now),
      ]);
      expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      if (racing[1]?.status === "fulfilled") {
        // Keep the test's layout: the first `max` conversations pinned, the last one not.
        await storage.conversationSettings.update(a, cids[max]!, { pinned: false }, now);
        await storage.conversationSettings.update(a, cids[max - 1]!, { pinned: true }, now);
      }
      await expectImError(
        other.conversationSettings.update(a, cids[max]!, { pinned: true }, now),
        "conflict",
        "one pin too many",
      );
      // Other changes of an unpinned conversation still pass, and re-pinning a pinned one too.
      await other.conversationSettings.update(a, cids[max]!, { archived: true }, now);
      await other.conversationSettings.update(a, cids[0]!, { pinned: true }, now);
      await storage.conversationSettings.update(a, cids[0]!, { pinned: false }, now);
      await other.conversationSettings.update(a, cids[max]!, { pinned: true }, now);
    });
  },
};

/**
 * The conformance suite of {@link Storage.conversationSettings} (the
 * `ConversationSettingsStore` contract) and of the settings in
 * `CursorStore.conversations`: pinned first, settings per summary, offset
 * paging, groups without messages. The adapter must run with the default
 * `PeopleLimits`.
 *
 * @example
 * ```ts
 * conversationSettingsConformance({ name: "memory", create: async () => createMemoryStorage({ backend }) });
 * ```
 */
export function conversationSettingsConformance(options: StorageSuiteOptions): void {
  runStorageSuites(
    `${options.name} conversation settings conformance`,
    [conversationSettingsSuite],
    options,
  );
}
