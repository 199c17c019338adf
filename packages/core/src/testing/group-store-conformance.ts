import { beforeAll, expect, it } from "vitest";
import type { Storage } from "../contracts/storage.js";
import { groupConversationId } from "../domain/conversation.js";
import { newMessageId } from "../util/ids.js";
import { expectCapHeld, expectImError, sorted, uid } from "./fixtures.js";
import { text } from "./storage-fixtures.js";
import { runStorageSuites, type StorageSuite, type StorageSuiteOptions } from "./storage-suite.js";

/** The `GroupStore` tests: create, members and their cursors, roles, mutes, ownership, dismiss. */
export const groupStoreSuite: StorageSuite = {
  name: "groups",
  tests(context) {
    const { append, cursorOf } = context;
    let storage: Storage;
    beforeAll(() => {
      storage = context.storage;
    });

    async function newGroup(memberCount = 2) {
      const groupId = uid("g");
      const ownerId = uid("owner");
      const memberIds = Array.from({ length: memberCount }, (_, i) => uid(`m${i}`));
      const createdAt = Date.now() - 10_000;
      const group = await storage.groups.create({
        groupId,
        name: `Team ✨ "quoted" 'name'`,
        ownerId,
        memberIds,
        createdAt,
      });
      return {
        group,
        groupId,
        ownerId,
        memberIds,
        createdAt,
        conversationId: groupConversationId(groupId),
      };
    }

    const sendToGroup = (groupId: string, from: string, participants: string[]) =>
      append({
        messageId: newMessageId(),
        conversationId: groupConversationId(groupId),
        from,
        to: { type: "group", id: groupId },
        body: text("to the group"),
        cid: uid("cid"),
        ts: Date.now(),
        participants,
      });

    it("create stores the group with the owner as owner and the others as members, with their cursors", async () => {
      const { group, groupId, ownerId, memberIds, createdAt, conversationId } = await newGroup();
      const [m0, m1] = memberIds as [string, string];
      expect(group, "create() returns the group").toMatchObject({
        groupId,
        name: `Team ✨ "quoted" 'name'`,
        ownerId,
        mutedAll: false,
        createdAt,
      });
      const stored = await storage.groups.get(groupId);
      expect(stored, "get() after create").toMatchObject({
        groupId,
        ownerId,
        mutedAll: false,
        createdAt,
      });
      const roles = Object.fromEntries(stored!.members.map((m) => [m.userId, m.role]));
      expect(roles, "member roles").toEqual({
        [ownerId]: "owner",
        [m0]: "member",
        [m1]: "member",
      });
      for (const member of stored!.members) {
        expect(member.joinedAt, `joinedAt of ${member.userId}`).toBe(createdAt);
      }
      expect(await storage.groups.member(groupId, m0), "member()").toMatchObject({
        userId: m0,
        role: "member",
      });
      expect(
        await storage.groups.member(groupId, uid("stranger")),
        "member() of a stranger",
      ).toBeUndefined();
      expect(sorted(await storage.groups.memberIds(groupId)), "memberIds()").toEqual(
        sorted([ownerId, m0, m1]),
      );
      expect(await storage.groups.groupsOf(m0), "groupsOf(member)").toContain(groupId);
      expect(await storage.groups.groupsOf(ownerId), "groupsOf(owner)").toContain(groupId);
      expect(
        sorted(await storage.cursors.participants(conversationId)),
        "create() gives every member a cursor in g:<groupId>",
      ).toEqual(sorted([ownerId, m0, m1]));
      expect(await cursorOf(m1, conversationId), "a new member's cursor").toEqual({
        conversationId,
        deliveredSeq: 0,
        readSeq: 0,
        lastSeq: 0,
      });
      expect(await storage.groups.get(uid("nope")), "get() of an unknown group").toBeUndefined();
      expect(
        await storage.groups.memberIds(uid("nope")),
        "memberIds() of an unknown group",
      ).toEqual([]);
    });

    it("addMembers returns the ids added and gives them cursors at the current last seq", async () => {
      const { groupId, ownerId, memberIds, conversationId } = await newGroup();
      const everyone = [ownerId, ...memberIds];
      for (let i = 0; i < 3; i++) await sendToGroup(groupId, ownerId, everyone);
      const [n0, n1] = [uid("new0"), uid("new1")];
      const joinedAt = Date.now();
      const added = await storage.groups.addMembers(groupId, [memberIds[0]!, n0, n1], joinedAt);
      expect(sorted(added), "addMembers returns only the ids it added").toEqual(sorted([n0, n1]));
      expect(await storage.groups.member(groupId, n0), "an added member").toMatchObject({
        userId: n0,
        role: "member",
        joinedAt,
      });
      expect(
        await cursorOf(n0, conversationId),
        "an added member's cursor starts at lastSeq, which is its join point (sync and history start after it)",
      ).toEqual({
        conversationId,
        deliveredSeq: 3,
        readSeq: 3,
        lastSeq: 3,
        joinedSeq: 3,
      });
      const summary = (await storage.cursors.conversations(n1)).find(
        (c) => c.conversationId === conversationId,
      );
      expect(summary?.unread, "an added member has nothing unread of the history").toBe(0);
      expect(
        summary?.lastMessage,
        "an added member is not shown a message from before they joined",
      ).toBeUndefined();
      expect(
        (await cursorOf(ownerId, conversationId))?.joinedSeq,
        "a member from the start has no join point",
      ).toBeUndefined();
      expect(
        sorted(await storage.cursors.membersJoinedAfter(conversationId, 3)),
        "membersJoinedAfter(the last seq before they joined): the added members",
      ).toEqual(sorted([n0, n1]));
      expect(
        sorted(await storage.cursors.membersJoinedAfter(conversationId, 1)),
        "membersJoinedAfter(an earlier seq): the added members, not the ones from the start",
      ).toEqual(sorted([n0, n1]));
      expect(
        await storage.cursors.membersJoinedAfter(conversationId, 4),
        "membersJoinedAfter(a seq after they joined): nobody",
      ).toEqual([]);
      expect(
        await storage.cursors.membersJoinedAfter(uid("g:nope"), 1),
        "membersJoinedAfter(an unknown conversation)",
      ).toEqual([]);
      expect(await storage.groups.groupsOf(n1), "groupsOf(added member)").toContain(groupId);
      expect(sorted(await storage.groups.memberIds(groupId)), "memberIds after add").toEqual(
        sorted([...everyone, n0, n1]),
      );
      expect(
        await storage.groups.addMembers(groupId, [n0, n1], joinedAt),
        "adding them again",
      ).toEqual([]);
    });

    it("addMembers with maxMembers refuses an add past the cap, adding no one; members already in do not count", async () => {
      const { groupId, ownerId, memberIds, conversationId } = await newGroup();
      const [a, b, c] = [uid("a"), uid("b"), uid("c")];
      const cap = { maxMembers: 5 };
      expect(
        sorted(await storage.groups.addMembers(groupId, [memberIds[0]!, a, b], Date.now(), cap)),
        "up to the cap",
      ).toEqual(sorted([a, b]));
      await expectImError(
        storage.groups.addMembers(groupId, [c], Date.now(), cap),
        "too_large",
        "one past the cap",
      );
      await expectImError(
        storage.groups.addMembers(groupId, [ownerId, c, uid("d")], Date.now(), { maxMembers: 6 }),
        "too_large",
        "two past a cap with room for one",
      );
      expect(await storage.groups.member(groupId, c), "a refused add adds no one").toBeUndefined();
      expect(await cursorOf(c, conversationId), "nor a cursor").toBeUndefined();
      expect(
        await storage.groups.addMembers(groupId, [a], Date.now(), cap),
        "members already in, at the cap",
      ).toEqual([]);
      expect(await storage.groups.memberIds(groupId)).toHaveLength(5);
    });

    it("concurrent capped addMembers from two instances never pass the cap", async () => {
      const other = await context.open();
      const { groupId } = await newGroup(1);
      const users = Array.from({ length: 6 }, (_, i) => uid(`c${i}`));
      const results = await Promise.allSettled(
        users.map((userId, i) =>
          (i % 2 ? other : storage).groups.addMembers(groupId, [userId], Date.now(), {
            maxMembers: 5,
          }),
        ),
      );
      expectCapHeld(results, 3, "three places were left");
      expect(await storage.groups.memberIds(groupId)).toHaveLength(5);
    });

    it("removeMembers returns the ids that were members and deletes their cursors", async () => {
      const { groupId, ownerId, memberIds, conversationId } = await newGroup();
      const [m0, m1] = memberIds as [string, string];
      await sendToGroup(groupId, ownerId, [ownerId, m0, m1]);
      const removed = await storage.groups.removeMembers(groupId, [m0, uid("stranger")]);
      expect(removed, "removeMembers returns only former members").toEqual([m0]);
      expect(
        await storage.groups.member(groupId, m0),
        "member() of a removed member",
      ).toBeUndefined();
      expect(sorted(await storage.groups.memberIds(groupId)), "memberIds after remove").toEqual(
        sorted([ownerId, m1]),
      );
      expect(await storage.groups.groupsOf(m0), "groupsOf(removed member)").not.toContain(groupId);
      expect(
        await storage.cursors.cursors(m0, [conversationId]),
        "a removed member's cursor",
      ).toEqual([]);
      expect(
        (await storage.cursors.conversations(m0)).map((c) => c.conversationId),
        "a removed member's conversations",
      ).not.toContain(conversationId);
      expect(
        sorted(await storage.cursors.participants(conversationId)),
        "participants after remove",
      ).toEqual(sorted([ownerId, m1]));
    });

    it("setRole, muteMember and update change what get() and member() return", async () => {
      const { groupId, memberIds } = await newGroup();
      const [m0, m1] = memberIds as [string, string];
      await storage.groups.setRole(groupId, m0, "admin");
      expect((await storage.groups.member(groupId, m0))?.role, "role after setRole(admin)").toBe(
        "admin",
      );
      const until = Date.now() + 60_000;
      await storage.groups.muteMember(groupId, m1, until);
      expect((await storage.groups.member(groupId, m1))?.mutedUntil, "mutedUntil after mute").toBe(
        until,
      );
      await storage.groups.muteMember(groupId, m1, null);
      expect(
        (await storage.groups.member(groupId, m1))?.mutedUntil ?? undefined,
        "mutedUntil after unmute (null)",
      ).toBeUndefined();
      await storage.groups.update(groupId, { name: "renamed 🎉" });
      expect(await storage.groups.get(groupId), "get() after update({name})").toMatchObject({
        name: "renamed 🎉",
        mutedAll: false,
      });
      await storage.groups.update(groupId, { mutedAll: true });
      expect(await storage.groups.get(groupId), "get() after update({mutedAll})").toMatchObject({
        name: "renamed 🎉",
        mutedAll: true,
      });
    });

    it("a new group has no description, avatar or announcement; update sets and clears each alone", async () => {
      const { group, groupId } = await newGroup();
      expect(group, "create() returns the empty profile").toMatchObject({
        description: "",
        avatar: null,
        announcement: null,
      });
      const description = `Über 'quoted' "text" ✨\nsecond line`;
      await storage.groups.update(groupId, { description });
      const at = Date.now() - 1234;
      const announcement = { text: "Meeting at 10 🕙", by: group.ownerId, at };
      await storage.groups.update(groupId, { avatar: "/files/f_avatar", announcement });
      expect(
        await storage.groups.get(groupId),
        "get() after description, avatar, announcement",
      ).toMatchObject({
        name: group.name,
        mutedAll: false,
        description,
        avatar: "/files/f_avatar",
        announcement: { text: "Meeting at 10 🕙", by: group.ownerId, at },
      });
      // Absent fields keep their value; null clears.
      await storage.groups.update(groupId, { announcement: null });
      expect(
        await storage.groups.get(groupId),
        "get() after clearing the announcement",
      ).toMatchObject({
        description,
        avatar: "/files/f_avatar",
        announcement: null,
      });
      await storage.groups.update(groupId, { avatar: null, description: "" });
      expect(
        await storage.groups.get(groupId),
        "get() after clearing avatar and description",
      ).toMatchObject({
        description: "",
        avatar: null,
        announcement: null,
      });
      await expect(
        storage.groups.update(uid("missing"), { description: "x" }),
        "update() of an unknown group",
      ).rejects.toMatchObject({ code: "not_found" });
    });

    it("transferOwner makes the new owner owner and the old one admin", async () => {
      const { groupId, ownerId, memberIds } = await newGroup();
      const [m0, m1] = memberIds as [string, string];
      await storage.groups.transferOwner(groupId, m0);
      const group = await storage.groups.get(groupId);
      expect(group?.ownerId, "ownerId after transfer").toBe(m0);
      expect(
        Object.fromEntries(group!.members.map((m) => [m.userId, m.role])),
        "roles after transfer",
      ).toEqual({ [ownerId]: "admin", [m0]: "owner", [m1]: "member" });
    });

    it("dismiss deletes the group, its members and their cursors; messages stay", async () => {
      const { groupId, ownerId, memberIds, conversationId } = await newGroup();
      await sendToGroup(groupId, ownerId, [ownerId, ...memberIds]);
      await sendToGroup(groupId, memberIds[0]!, [ownerId, ...memberIds]);
      await storage.groups.dismiss(groupId);
      expect(await storage.groups.get(groupId), "get() after dismiss").toBeUndefined();
      expect(await storage.groups.memberIds(groupId), "memberIds() after dismiss").toEqual([]);
      expect(await storage.groups.groupsOf(ownerId), "groupsOf(owner) after dismiss").not.toContain(
        groupId,
      );
      expect(
        await storage.cursors.participants(conversationId),
        "participants after dismiss",
      ).toEqual([]);
      expect(
        await storage.cursors.cursors(memberIds[0]!, [conversationId]),
        "a member's cursor",
      ).toEqual([]);
      expect(
        (await storage.messages.range(conversationId, { afterSeq: 0, limit: 10 })).map(
          (m) => m.seq,
        ),
        "messages of a dismissed group stay",
      ).toEqual([1, 2]);
    });
  },
};

/**
 * The conformance suite of the `GroupStore` contract. Runs alone; `storageConformance` runs it with
 * the other storage suites.
 */
export function groupStoreConformance(options: StorageSuiteOptions): void {
  runStorageSuites(`${options.name} groups conformance`, [groupStoreSuite], options);
}
