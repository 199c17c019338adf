/**
 * Profiles, presence subscriptions and conversation settings (issue 16), run against the
 * engine on any storage: the memory store (packages/core) and PostgreSQL
 * (packages/store-postgres) call {@link describePeoplePresence}.
 */
import type {
  ConversationSettingsFrame,
  ErrorFrame,
  ImHooks,
  ImLimits,
  MemoryClient,
  Message,
  PresenceFrame,
  PresenceStateFrame,
  ProfileFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  request,
  type ScenarioStorage,
  scenarioServers,
  sendText,
} from "./engine-scenario-harness.js";

/** A storage for one test, and how to release it. */
export type { ScenarioStorage };

const unique = uniqueName;

/** Sends `presence_subscribe` and waits for its answer (`presence_state` or `error`). */
function subscribe(
  client: MemoryClient,
  userIds: unknown,
): Promise<PresenceStateFrame | ErrorFrame> {
  return request<PresenceStateFrame>(client, { type: "presence_subscribe", userIds }, [
    "presence_state",
  ]);
}

/** The scenarios of issue 16 (profiles, presence, settings) on the storage `open` makes. */
export function describePeoplePresence(name: string, open: () => Promise<ScenarioStorage>): void {
  describe(`profiles, presence and conversation settings (${name})`, () => {
    const servers = scenarioServers(open);
    const start = (
      limits: Partial<ImLimits> = {},
      hooks: ImHooks = {},
      extra: { lastSeenBatchMs?: number } = {},
    ) =>
      servers({
        hooks,
        presenceTracking: { lastSeenBatchMs: extra.lastSeenBatchMs ?? 10 },
        limits,
      });

    it("settings: an update reaches the user's other device; the list has them pinned first; a read clears markedUnread", async () => {
      const server = await start();
      const [aliceId, bobId, carolId] = [unique("alice"), unique("bob"), unique("carol")];
      const alice = await server.login(aliceId);
      const aliceTablet = await server.login(aliceId);
      await server.login(bobId);
      await server.login(carolId);
      const withBob = await sendText(alice, bobId, "hi bob");
      await sendText(alice, carolId, "hi carol");
      const group = await server.im.groups.create({ name: "quiet", ownerId: aliceId });

      const pinned = await server.im.conversationSettings.update(aliceId, withBob.conversationId, {
        pinned: true,
        mutedUntil: "forever",
      });
      expect(pinned.pinnedAt).toBeGreaterThan(0);
      const frame = await aliceTablet.next<ConversationSettingsFrame>("conversation_settings");
      expect(frame).toMatchObject({
        conversationId: withBob.conversationId,
        mutedUntil: "forever",
        archived: false,
      });

      const list = await server.im.conversations(aliceId);
      expect(list.map((c) => c.conversationId)[0], "pinned first").toBe(withBob.conversationId);
      expect(
        list.map((c) => c.conversationId),
        "a group without messages is listed",
      ).toContain(`g:${group.groupId}`);
      expect(list[0]!.settings).toMatchObject({ mutedUntil: "forever" });
      const secondPage = await server.im.conversations(aliceId, { offset: 1, limit: 1 });
      expect(secondPage).toHaveLength(1);
      expect(secondPage[0]!.conversationId).toBe(list[1]!.conversationId);

      await server.im.conversationSettings.update(aliceId, withBob.conversationId, {
        markedUnread: true,
      });
      await aliceTablet.next<ConversationSettingsFrame>(
        (f) => f.type === "conversation_settings" && f.markedUnread,
      );
      alice.send({ type: "read", conversationId: withBob.conversationId, seq: withBob.seq });
      const cleared = await aliceTablet.next<ConversationSettingsFrame>(
        (f) => f.type === "conversation_settings" && !f.markedUnread,
      );
      expect(cleared.conversationId).toBe(withBob.conversationId);
      const [stored] = await server.im.conversationSettings.get(aliceId, [withBob.conversationId]);
      expect(stored!.markedUnread).toBe(false);
    });

    it("settings refusals: a conversation the user is not in is not_found; a malformed patch is bad_request", async () => {
      const server = await start();
      const [aliceId, bobId] = [unique("alice"), unique("bob")];
      const alice = await server.login(aliceId);
      const sent = await sendText(alice, bobId, "hello");
      await expect(
        server.im.conversationSettings.update(unique("mallory"), sent.conversationId, {
          pinned: true,
        }),
      ).rejects.toMatchObject({ code: "not_found" });
      await expect(
        server.im.conversationSettings.update(aliceId, sent.conversationId, {
          mutedUntil: "tomorrow" as never,
        }),
      ).rejects.toMatchObject({ code: "bad_request" });
      await expect(
        server.im.conversationSettings.update(aliceId, sent.conversationId, {
          archived: "yes" as never,
        }),
      ).rejects.toMatchObject({ code: "bad_request" });
    });

    it("onOffline is told which offline recipients muted the conversation", async () => {
      const calls: Array<{ userIds: string[]; muted: string[] }> = [];
      const server = await start(
        {},
        {
          async onOffline(_message: Message, userIds: string[], context) {
            calls.push({ userIds, muted: [...context.muted] });
          },
        },
      );
      const [aliceId, bobId, carolId] = [unique("alice"), unique("bob"), unique("carol")];
      const alice = await server.login(aliceId);
      const group = await server.im.groups.create({
        name: "team",
        ownerId: aliceId,
        memberIds: [bobId, carolId],
      });
      const conversationId = `g:${group.groupId}`;
      await server.im.conversationSettings.update(bobId, conversationId, {
        mutedUntil: Date.now() + 3_600_000,
      });
      await server.im.conversationSettings.update(carolId, conversationId, {
        mutedUntil: Date.now() - 1,
      });
      alice.send({
        type: "send",
        cid: "m1",
        to: { type: "group", id: group.groupId },
        body: { type: "text", text: "standup" },
      });
      await eventually(() => expect(calls).toHaveLength(1));
      expect(calls[0]!.userIds.sort()).toEqual([bobId, carolId].sort());
      expect(calls[0]!.muted, "a mute in the past is no mute").toEqual([bobId]);
    });

    it("profiles: a change reaches conversation partners and the user's devices, not strangers; bad input is refused", async () => {
      const server = await start();
      const [aliceId, bobId, strangerId] = [unique("alice"), unique("bob"), unique("stranger")];
      const alice = await server.login(aliceId);
      const bob = await server.login(bobId);
      const stranger = await server.login(strangerId);
      await sendText(alice, bobId, "hi");

      const mine = await server.im.profiles.mine(aliceId);
      expect(mine).toMatchObject({ displayName: "", avatar: null, searchable: true });
      await server.im.profiles.update(aliceId, { displayName: "Alice A.", avatar: "/files/f1" });
      const frame = await bob.next<ProfileFrame>("profile");
      expect(frame).toMatchObject({
        userId: aliceId,
        displayName: "Alice A.",
        avatar: "/files/f1",
      });
      await alice.next<ProfileFrame>("profile");
      await sendText(bob, aliceId, "a frame after the profile one");
      expect(stranger.all("profile"), "a stranger hears nothing").toEqual([]);

      await expect(
        server.im.profiles.update(aliceId, { displayName: "x".repeat(65) }),
      ).rejects.toMatchObject({ code: "bad_request" });
      await expect(
        server.im.profiles.update(aliceId, { searchable: "no" as never }),
      ).rejects.toMatchObject({ code: "bad_request" });

      const [aliceSeen, unknown] = await server.im.profiles.getMany(bobId, [
        aliceId,
        unique("nobody"),
      ]);
      expect(aliceSeen).toMatchObject({ userId: aliceId, displayName: "Alice A." });
      expect(unknown).toMatchObject({ displayName: "", avatar: null, updatedAt: 0 });
    });

    it("search: by prefix, searchable users only, rate limited per user", async () => {
      const server = await start({ profileSearchesPerWindow: 3 });
      const prefix = unique("zed");
      const [visibleId, hiddenId, searcherId] = [unique("v"), unique("h"), unique("s")];
      await server.im.profiles.update(visibleId, { displayName: `${prefix} visible` });
      await server.im.profiles.update(hiddenId, {
        displayName: `${prefix} hidden`,
        searchable: false,
      });
      const found = await server.im.profiles.search(searcherId, prefix.toUpperCase());
      expect(found.map((p) => p.userId)).toEqual([visibleId]);
      await expect(server.im.profiles.search(searcherId, "  ")).rejects.toMatchObject({
        code: "bad_request",
      });
      await server.im.profiles.search(searcherId, prefix);
      await server.im.profiles.search(searcherId, prefix);
      await expect(server.im.profiles.search(searcherId, prefix)).rejects.toMatchObject({
        code: "rate_limited",
      });
      // Another user has its own budget.
      await expect(server.im.profiles.search(unique("other"), prefix)).resolves.toHaveLength(1);
    });

    it("presence_subscribe: current status, then online/offline with last seen; strangers left out; last seen stored", async () => {
      const server = await start();
      const [aliceId, bobId, strangerId] = [unique("alice"), unique("bob"), unique("stranger")];
      const alice = await server.login(aliceId);
      await sendText(alice, bobId, "hi");
      await server.login(strangerId);

      const state = await subscribe(alice, [bobId, strangerId]);
      expect(state.type).toBe("presence_state");
      expect((state as PresenceStateFrame).users, "the stranger is not revealed").toEqual([
        { userId: bobId, online: false },
      ]);

      const bob = await server.login(bobId);
      await alice.next<PresenceFrame>((f) => f.type === "presence" && f.online);
      bob.close();
      const offline = await alice.next<PresenceFrame>((f) => f.type === "presence" && !f.online);
      expect(offline.userId).toBe(bobId);
      expect(offline.lastSeen).toBeGreaterThan(0);
      await eventually(async () =>
        expect((await server.im.profiles.mine(bobId)).lastSeenAt).toBe(offline.lastSeen),
      );

      const again = (await subscribe(alice, [bobId])) as PresenceStateFrame;
      expect(again.users).toEqual([{ userId: bobId, online: false, lastSeen: offline.lastSeen }]);
      expect(alice.all("presence").some((f) => (f as PresenceFrame).userId === strangerId)).toBe(
        false,
      );
    });

    it("presence hides last seen when the user asks; an empty list stops watching", async () => {
      const server = await start();
      const [aliceId, bobId] = [unique("alice"), unique("bob")];
      const alice = await server.login(aliceId);
      await sendText(alice, bobId, "hi");
      await server.im.profiles.update(bobId, { hideLastSeen: true });
      await subscribe(alice, [bobId]);
      const bob = await server.login(bobId);
      await alice.next<PresenceFrame>((f) => f.type === "presence" && f.online);
      bob.close();
      const offline = await alice.next<PresenceFrame>((f) => f.type === "presence" && !f.online);
      expect(offline.lastSeen).toBeUndefined();
      const state = (await subscribe(alice, [bobId])) as PresenceStateFrame;
      expect(state.users).toEqual([{ userId: bobId, online: false }]);

      await subscribe(alice, []);
      const before = alice.all("presence").length;
      const bobAgain = await server.login(bobId);
      bobAgain.close();
      await sendText(alice, bobId, "a frame after bob's login");
      expect(alice.all("presence")).toHaveLength(before);
    });

    it("presence_subscribe refusals: too many users is too_large, malformed ids bad_request", async () => {
      const server = await start({ maxPresenceSubscriptions: 3 });
      const alice = await server.login(unique("alice"));
      const tooMany = await subscribe(alice, ["a", "b", "c", "d"]);
      expect(tooMany).toMatchObject({ type: "error", code: "too_large" });
      alice.send({ type: "presence_subscribe", userIds: ["has space"], cid: "bad1" });
      expect(await alice.next((f) => f.type === "error" && f.cid === "bad1")).toMatchObject({
        code: "bad_request",
      });
      alice.send({ type: "presence_subscribe", userIds: "bob", cid: "bad2" });
      expect(await alice.next((f) => f.type === "error" && f.cid === "bad2")).toMatchObject({
        code: "bad_request",
      });
      // Duplicates count once.
      expect(await subscribe(alice, ["a", "a", "a", "a"])).toMatchObject({
        type: "presence_state",
      });
    });

    it("members of a shared group may watch each other and hear profile changes", async () => {
      const server = await start();
      const [ownerId, memberId] = [unique("owner"), unique("member")];
      const owner = await server.login(ownerId);
      const member = await server.login(memberId);
      await server.im.groups.create({ name: "club", ownerId, memberIds: [memberId] });
      const state = (await subscribe(owner, [memberId])) as PresenceStateFrame;
      expect(state.users).toEqual([{ userId: memberId, online: true }]);
      await server.im.profiles.update(memberId, { displayName: "Member M." });
      expect(await owner.next<ProfileFrame>("profile")).toMatchObject({
        userId: memberId,
        displayName: "Member M.",
      });
      await member.next<ProfileFrame>("profile");
    });

    it("a block hides presence both ways: no subscription, and a watch made before ends", async () => {
      const server = await start();
      const [aliceId, bobId, carolId] = [unique("alice"), unique("bob"), unique("carol")];
      const alice = await server.login(aliceId);
      const carol = await server.login(carolId);
      await sendText(alice, bobId, "hi");
      await sendText(carol, bobId, "hi");
      const bob = await server.login(bobId);
      expect(((await subscribe(alice, [bobId])) as PresenceStateFrame).users).toEqual([
        { userId: bobId, online: true },
      ]);
      await subscribe(carol, [bobId]);

      await server.im.contacts.block(bobId, aliceId);
      // Neither may watch the other any more: the blocked user nor the blocker.
      await eventually(async () =>
        expect(((await subscribe(bob, [aliceId])) as PresenceStateFrame).users).toEqual([]),
      );
      const watcher = await server.login(aliceId);
      expect(((await subscribe(watcher, [bobId])) as PresenceStateFrame).users).toEqual([]);
      // Alice's first session subscribed before the block: its watch ended too. Carol, who
      // watches on the same node, hears Bob leave; Alice does not.
      const before = alice.all("presence").length;
      bob.close();
      await carol.next<PresenceFrame>((f) => f.type === "presence" && !f.online);
      expect(alice.all("presence").slice(before)).toEqual([]);

      await server.im.contacts.unblock(bobId, aliceId);
      await eventually(async () =>
        expect(((await subscribe(watcher, [bobId])) as PresenceStateFrame).users).toHaveLength(1),
      );
    });

    it("the relatedUsers hook lets a contact without a conversation watch presence", async () => {
      const [aliceId, bobId] = [unique("alice"), unique("bob")];
      const server = await start(
        {},
        {
          async relatedUsers(userId: string) {
            return userId === aliceId ? [bobId] : userId === bobId ? [aliceId] : [];
          },
        },
      );
      const alice = await server.login(aliceId);
      await server.login(bobId);
      const state = (await subscribe(alice, [bobId])) as PresenceStateFrame;
      expect(state.users).toEqual([{ userId: bobId, online: true }]);
    });
  });
}
