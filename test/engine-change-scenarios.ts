/**
 * The change frames of docs/protocol.md §13 (edit, react, pin, delete_for_me, clear, send
 * with replyTo and mentions) and the sync of changes, run against the engine on any storage:
 * the memory store (packages/core) and PostgreSQL (packages/store-postgres) call
 * {@link describeEngineChanges}.
 */
import {
  type AppliedFrame,
  type ChangeFrame,
  ImError,
  type ImLimits,
  type ImServerOptions,
  type MemoryClient,
  type MessageFrame,
  type SyncedFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  pause,
  request,
  type ScenarioStorage,
  scenarioServers,
  send,
  sendText,
} from "./engine-scenario-harness.js";

/** A storage for one test, and how to release it. */
export type ChangeScenarioStorage = ScenarioStorage;

/** Sends a change frame with a cid and waits for its `applied` or `error`. */
const apply = (client: MemoryClient, frame: Record<string, unknown>) =>
  request<AppliedFrame>(client, frame, ["applied"]);

async function applied(
  client: MemoryClient,
  frame: Record<string, unknown>,
): Promise<AppliedFrame> {
  const answer = await apply(client, frame);
  if (answer.type === "error") throw new ImError("internal", `${answer.code}: ${answer.message}`);
  return answer;
}

async function refused(client: MemoryClient, frame: Record<string, unknown>): Promise<string> {
  const answer = await apply(client, frame);
  if (answer.type !== "error") throw new Error(`expected an error, got ${JSON.stringify(answer)}`);
  return answer.code;
}

const sent = sendText;

/** Makes a session change-aware (an empty `changes` sync) and waits for its `synced`. */
async function beAware(client: MemoryClient): Promise<SyncedFrame> {
  client.send({ type: "sync", cursors: {}, changes: {} });
  return client.next<SyncedFrame>("synced");
}

const changeOf = (kind: string, messageId: string) => (f: { type: string }) =>
  f.type === "change" &&
  (f as ChangeFrame).change.kind === kind &&
  (f as ChangeFrame).change.messageId === messageId;

/** The change scenarios on the storage `open` makes. */
export function describeEngineChanges(
  name: string,
  open: () => Promise<ChangeScenarioStorage>,
): void {
  describe(`engine changes (${name})`, () => {
    const servers = scenarioServers(open);
    const start = (limits: Partial<ImLimits> = {}, options: Partial<ImServerOptions> = {}) =>
      servers({ relay: { intervalMs: 50 }, ...options, limits });

    it("an edit reaches both change-aware sides; others' edits, recalled and late edits are refused", async () => {
      const server = await start({ editWindowMs: 60_000 });
      const [a, b] = [uniqueName("a"), uniqueName("b")];
      const alice = await server.login(a);
      const bob = await server.login(b);
      const v1 = await server.login(b);
      await beAware(alice);
      await beAware(bob);
      const first = await sent(alice, { type: "user", id: b }, "see you at 7");
      const answer = await applied(alice, {
        type: "edit",
        messageId: first.messageId,
        body: { type: "text", text: "see you at 8" },
      });
      expect(answer.changeSeq).toBe(1);
      for (const client of [alice, bob]) {
        const change = await client.next<ChangeFrame>(changeOf("edited", first.messageId));
        expect(change.change).toMatchObject({
          changeSeq: 1,
          by: a,
          seq: first.seq,
          body: { type: "text", text: "see you at 8" },
        });
      }
      expect(
        await refused(bob, {
          type: "edit",
          messageId: first.messageId,
          body: { type: "text", text: "mine" },
        }),
      ).toBe("forbidden");
      expect(
        await refused(alice, {
          type: "edit",
          messageId: "nope",
          body: { type: "text", text: "x" },
        }),
      ).toBe("not_found");
      expect(
        await refused(alice, {
          type: "edit",
          messageId: first.messageId,
          body: { type: "custom", data: 1 },
        }),
      ).toBe("bad_request");
      const history = await server.im.history(b, first.conversationId);
      expect(history.messages[0]).toMatchObject({ body: { text: "see you at 8" } });
      expect(history.messages[0]!.editedAt).toBeGreaterThan(0);
      // Recalled: no edit. A v1 session got `recalled`, never a `change` nor `applied`.
      alice.send({ type: "recall", messageId: first.messageId });
      await bob.next(changeOf("recalled", first.messageId));
      await v1.next("recalled");
      expect(
        await refused(alice, {
          type: "edit",
          messageId: first.messageId,
          body: { type: "text", text: "z" },
        }),
      ).toBe("conflict");
      expect(v1.all("change")).toHaveLength(0);
      expect(v1.all("applied")).toHaveLength(0);
      // Nothing half-applied: the refused edits took no changeSeq.
      expect(await server.im.storage.changes.lastChangeSeqs([first.conversationId])).toEqual(
        new Map([[first.conversationId, 2]]),
      );
      await eventually(async () =>
        expect((await server.im.storage.outbox.stats({ kinds: ["change"] })).pending).toBe(0),
      );
    });

    it("an edit after editWindowMs is a conflict", async () => {
      const server = await start({ editWindowMs: 1 });
      const [a, b] = [uniqueName("a"), uniqueName("b")];
      const alice = await server.login(a);
      const first = await sent(alice, { type: "user", id: b }, "typo");
      await pause(20);
      expect(
        await refused(alice, {
          type: "edit",
          messageId: first.messageId,
          body: { type: "text", text: "fixed" },
        }),
      ).toBe("conflict");
    });

    it("reactions: added once, removed, bad keys refused with their codes", async () => {
      const server = await start();
      const [a, b, c] = [uniqueName("a"), uniqueName("b"), uniqueName("c")];
      const alice = await server.login(a);
      const bob = await server.login(b);
      const carol = await server.login(c);
      await beAware(alice);
      const first = await sent(alice, { type: "user", id: b }, "lunch?");
      expect(
        (await applied(bob, { type: "react", messageId: first.messageId, key: "👍" })).changeSeq,
      ).toBe(1);
      expect(
        (await applied(bob, { type: "react", messageId: first.messageId, key: "👍" })).changeSeq,
      ).toBeUndefined();
      const change = await alice.next<ChangeFrame>(changeOf("reacted", first.messageId));
      expect(change.change).toMatchObject({ by: b, key: "👍" });
      expect(await refused(bob, { type: "react", messageId: first.messageId, key: "" })).toBe(
        "bad_request",
      );
      expect(
        await refused(bob, { type: "react", messageId: first.messageId, key: "a\u0007" }),
      ).toBe("bad_request");
      expect(
        await refused(bob, { type: "react", messageId: first.messageId, key: "x".repeat(33) }),
      ).toBe("too_large");
      expect(await refused(carol, { type: "react", messageId: first.messageId, key: "👍" })).toBe(
        "not_found",
      );
      expect(await server.im.storage.changes.reactions([first.messageId], a)).toEqual([
        { messageId: first.messageId, key: "👍", count: 1, mine: false },
      ]);
      expect(
        (await applied(bob, { type: "react", messageId: first.messageId, key: "👍", remove: true }))
          .changeSeq,
      ).toBe(2);
      await alice.next(changeOf("unreacted", first.messageId));
      expect(await server.im.storage.changes.reactions([first.messageId], a)).toEqual([]);
    });

    it("a client offline during an edit, a reaction and a recall learns them on sync, paged", async () => {
      const server = await start();
      const [a, b] = [uniqueName("a"), uniqueName("b")];
      const alice = await server.login(a);
      const m1 = await sent(alice, { type: "user", id: b }, "one");
      const m2 = await sent(alice, { type: "user", id: b }, "two");
      // Bob saw both messages, then went offline.
      let bob = await server.login(b);
      bob.send({ type: "sync", cursors: {}, changes: {} });
      const before = await bob.next<SyncedFrame>("synced");
      expect(before.conversations[0]).toMatchObject({ lastSeq: 2, lastChangeSeq: 0 });
      bob.close();
      await applied(alice, {
        type: "edit",
        messageId: m1.messageId,
        body: { type: "text", text: "one!" },
      });
      await applied(alice, { type: "react", messageId: m2.messageId, key: "🎉" });
      alice.send({ type: "recall", messageId: m2.messageId });
      await eventually(async () =>
        expect(
          (await server.im.storage.changes.lastChangeSeqs([m1.conversationId])).get(
            m1.conversationId,
          ),
        ).toBe(3),
      );
      // Every live push is over (the recall's change is published by the relay) before Bob is back.
      await eventually(
        async () =>
          expect((await server.im.storage.outbox.stats({ kinds: ["change"] })).pending).toBe(0),
        { timeoutMs: 15_000 },
      );
      bob = await server.login(b);
      // One frame per page: messages are up to date, so the three changes come one by one.
      const seen: ChangeFrame["change"][] = [];
      let changeSeq = 0;
      for (let page = 0; page < 10; page++) {
        bob.send({
          type: "sync",
          cursors: { [m1.conversationId]: 2 },
          changes: { [m1.conversationId]: changeSeq },
          limit: 1,
        });
        const synced = await bob.next<SyncedFrame>("synced");
        const got = bob
          .all<ChangeFrame>("change")
          .slice(seen.length)
          .map((f) => f.change);
        seen.push(...got);
        changeSeq = seen.at(-1)?.changeSeq ?? changeSeq;
        expect(synced.conversations[0]!.lastChangeSeq).toBe(3);
        if (!synced.more) break;
      }
      expect(seen.map((c) => [c.changeSeq, c.kind])).toEqual([
        [1, "edited"],
        [2, "reacted"],
        [3, "recalled"],
      ]);
      // A v1 sync gets the messages in their current state and no change.
      const v1 = await server.login(b);
      v1.send({ type: "sync", cursors: { [m1.conversationId]: 0 } });
      const synced = await v1.next<SyncedFrame>("synced");
      expect(synced.conversations[0]).not.toHaveProperty("lastChangeSeq");
      const messages = v1.all<MessageFrame>("message");
      expect(messages.map((m) => [m.seq, m.body, m.recalled ?? false])).toEqual([
        [1, { type: "text", text: "one!" }, false],
        [2, { type: "custom", data: null }, true],
      ]);
      expect(messages[0]!.editedAt).toBeGreaterThan(0);
      expect(v1.all("change")).toHaveLength(0);
    });

    it("replies carry the quoted excerpt (or recalled); mentions are checked; all is for managers", async () => {
      const server = await start();
      const [o, m, x] = [uniqueName("o"), uniqueName("m"), uniqueName("x")];
      const owner = await server.login(o);
      const member = await server.login(m);
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [m] });
      const to = { type: "group" as const, id: group.groupId };
      const quoted = await sent(owner, to, "the plan is simple");
      const reply = await sent(member, to, "agreed", { replyTo: quoted.messageId, mentions: [o] });
      const pushed = await owner.next<MessageFrame>(
        (f) => f.type === "message" && (f as MessageFrame).messageId === reply.messageId,
      );
      expect(pushed.replyTo).toEqual({
        messageId: quoted.messageId,
        seq: quoted.seq,
        from: o,
        excerpt: "the plan is simple",
      });
      expect(pushed.mentions).toEqual([o]);
      const elsewhere = await sent(owner, { type: "user", id: m }, "direct");
      expect(
        (await send(member, to, "bad", { replyTo: elsewhere.messageId })).type === "error"
          ? "not_found"
          : "sent",
      ).toBe("not_found");
      const stranger = await send(member, to, "hey", { mentions: [x] });
      expect(stranger.type === "error" && stranger.code).toBe("bad_request");
      const everyone = await send(member, to, "all of you", { mentions: ["all"] });
      expect(everyone.type === "error" && everyone.code).toBe("forbidden");
      await sent(owner, to, "all of you", { mentions: ["all"] });
      const counts = await server.im.storage.changes.mentionCounts(m, [quoted.conversationId]);
      expect(counts.get(quoted.conversationId)).toBe(1);
      owner.send({ type: "recall", messageId: quoted.messageId });
      await member.next("recalled");
      const late = await sent(member, to, "what plan?", { replyTo: quoted.messageId });
      const [stored] = await server.im.storage.messages.range(quoted.conversationId, {
        afterSeq: late.seq - 1,
        limit: 1,
      });
      expect(stored!.replyTo).toMatchObject({
        messageId: quoted.messageId,
        recalled: true,
        excerpt: "",
      });
    });

    it("pins: group admins only; delete for me and clear reach only my other devices", async () => {
      const server = await start();
      const [o, m] = [uniqueName("o"), uniqueName("m")];
      const owner = await server.login(o);
      const member = await server.login(m);
      const memberPhone = await server.login(m);
      await beAware(owner);
      await beAware(memberPhone);
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [m] });
      const to = { type: "group" as const, id: group.groupId };
      const first = await sent(owner, to, "rules");
      expect(await refused(member, { type: "pin", messageId: first.messageId })).toBe("forbidden");
      expect((await applied(owner, { type: "pin", messageId: first.messageId })).changeSeq).toBe(1);
      expect(
        (await applied(owner, { type: "pin", messageId: first.messageId })).changeSeq,
      ).toBeUndefined();
      await memberPhone.next(changeOf("pinned", first.messageId));
      expect(
        (await server.im.storage.changes.pins(first.conversationId)).map((p) => p.messageId),
      ).toEqual([first.messageId]);
      const deleted = await applied(member, { type: "delete_for_me", messageId: first.messageId });
      expect(deleted.changeSeq).toBe(2);
      await memberPhone.next(changeOf("deleted", first.messageId));
      expect(
        (await applied(member, { type: "clear", conversationId: first.conversationId, upToSeq: 1 }))
          .changeSeq,
      ).toBe(3);
      await memberPhone.next(changeOf("cleared", first.messageId));
      expect(
        await refused(member, { type: "clear", conversationId: first.conversationId, upToSeq: 0 }),
      ).toBe("bad_request");
      expect(await refused(member, { type: "clear", conversationId: "g:nope", upToSeq: 1 })).toBe(
        "not_found",
      );
      // The owner never sees the member's private changes, live or by sync.
      await pause(50);
      expect(owner.all<ChangeFrame>("change").map((f) => f.change.kind)).toEqual(["pinned"]);
      owner.send({ type: "sync", cursors: {}, changes: { [first.conversationId]: 0 } });
      await owner.next("synced");
      expect(owner.all<ChangeFrame>("change").map((f) => f.change.changeSeq)).toEqual([1, 1]);
      await eventually(async () =>
        expect((await server.im.storage.outbox.stats({ kinds: ["change"] })).pending).toBe(0),
      );
    });
  });
}
