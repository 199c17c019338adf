/**
 * Lookups of a message by id (forward, report, react, reply, recall, delete for me, pins and
 * the changes of `sync`, and the live `change` and `recalled` pushes) see what history sees: a group member added later gets `not_found`
 * for a message from before they joined, exactly as for a message that does not exist. The
 * memory store (packages/core) and PostgreSQL (packages/store-postgres) call
 * {@link describeEngineAccess}.
 */
import {
  type AppliedFrame,
  type ChangeFrame,
  type ErrorFrame,
  type ForwardedFrame,
  ImError,
  type MemoryClient,
  type RecalledFrame,
  type SyncedFrame,
} from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  pause,
  request,
  type ScenarioStorage,
  scenarioServers,
  send,
  sendText,
} from "./engine-scenario-harness.js";

/** The code and message of an `error` answer (fails on any other answer). */
function refusal(answer: { type: string }): { code: string; message: string } {
  if (answer.type !== "error") throw new Error(`expected an error, got ${JSON.stringify(answer)}`);
  const { code, message } = answer as ErrorFrame;
  return { code, message };
}

const react = (client: MemoryClient, messageId: string) =>
  request<AppliedFrame>(client, { type: "react", messageId, key: "👍" }, ["applied"]);

const forward = (client: MemoryClient, messageId: string, to: string) =>
  request<ForwardedFrame>(client, { type: "forward", messageId, to: [{ type: "user", id: to }] }, [
    "forwarded",
  ]);

/** An ImError's code and message from a rejected promise. */
async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ImError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a rejection");
}

/** The access scenarios on the storage `open` makes. */
export function describeEngineAccess(name: string, open: () => Promise<ScenarioStorage>): void {
  describe(`engine message access by id (${name})`, () => {
    const start = scenarioServers(open);

    it("a late group member gets not_found for messages before they joined, like a missing one", async () => {
      const server = await start();
      const [o, m, l, friend] = [
        uniqueName("o"),
        uniqueName("m"),
        uniqueName("l"),
        uniqueName("f"),
      ];
      const owner = await server.login(o);
      const member = await server.login(m);
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [m] });
      const to = { type: "group" as const, id: group.groupId };
      const before = await sendText(owner, to, "said before l joined");
      expect(
        (await request(owner, { type: "pin", messageId: before.messageId }, ["applied"])).type,
      ).toBe("applied");
      await server.im.groups.addMembers(group.groupId, o, [l]);
      await server.im.groups.setRole(group.groupId, o, l, "admin");
      const late = await server.login(l);
      const after = await sendText(owner, to, "said after l joined");
      const missing = uniqueName("no-such-message");

      // Forward: the hidden message answers exactly like a missing one.
      const hiddenForward = refusal(await forward(late, before.messageId, friend));
      expect(hiddenForward).toEqual(refusal(await forward(late, missing, friend)));
      expect(hiddenForward.code).toBe("not_found");
      expect((await forward(late, after.messageId, friend)).type).toBe("forwarded");

      // React, delete for me, recall (l is an admin now), reply.
      expect(refusal(await react(late, before.messageId))).toEqual(
        refusal(await react(late, missing)),
      );
      expect((await react(late, after.messageId)).type).toBe("applied");
      expect(
        refusal(
          await request(late, { type: "delete_for_me", messageId: before.messageId }, ["applied"]),
        ).code,
      ).toBe("not_found");
      late.send({ type: "recall", messageId: before.messageId });
      expect((await late.next<ErrorFrame>("error")).code).toBe("not_found");
      const hiddenReply = refusal(await send(late, to, "re", { replyTo: before.messageId }));
      expect(hiddenReply).toEqual(refusal(await send(late, to, "re", { replyTo: missing })));
      expect(hiddenReply.code).toBe("not_found");
      expect((await send(late, to, "re", { replyTo: after.messageId })).type).toBe("sent");

      // Report: not_found with the same message as a missing id; a later message is reportable.
      const hiddenReport = await rejection(
        server.im.admin.report(l, { kind: "message", messageId: before.messageId }, "spam"),
      );
      expect(hiddenReport).toEqual(
        await rejection(server.im.admin.report(l, { kind: "message", messageId: missing }, "spam")),
      );
      expect(hiddenReport.code).toBe("not_found");
      const report = await server.im.admin.report(
        l,
        { kind: "message", messageId: after.messageId },
        "spam",
      );
      expect(report.target).toMatchObject({ kind: "message", messageId: after.messageId });

      // Pins: the earlier pinned message is not listed for l; it is for the first members.
      expect(await server.im.pins(l, before.conversationId)).toEqual([]);
      expect((await server.im.pins(m, before.conversationId)).map((p) => p.messageId)).toEqual([
        before.messageId,
      ]);

      // A member from the start still reacts to and reports the earlier message.
      expect((await react(member, before.messageId)).type).toBe("applied");
      await server.im.admin.report(m, { kind: "message", messageId: before.messageId }, "spam");
    });

    it("sync sends a late member no change to a message from before they joined", async () => {
      const server = await start();
      const [o, l] = [uniqueName("o"), uniqueName("l")];
      const owner = await server.login(o);
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [] });
      const to = { type: "group" as const, id: group.groupId };
      const before = await sendText(owner, to, "first draft");
      await server.im.groups.addMembers(group.groupId, o, [l]);
      const after = await sendText(owner, to, "later");
      const edit = await request<AppliedFrame>(
        owner,
        { type: "edit", messageId: before.messageId, body: { type: "text", text: "secret" } },
        ["applied"],
      );
      expect(edit.type).toBe("applied");
      expect((await react(owner, after.messageId)).type).toBe("applied");
      const late = await server.login(l);
      late.send({ type: "sync", cursors: {}, changes: { [before.conversationId]: 0 } });
      const synced = await late.next<SyncedFrame>("synced");
      const changes = late.all<ChangeFrame>("change").map((f) => f.change);
      expect(changes.map((c) => [c.kind, c.messageId])).toEqual([["reacted", after.messageId]]);
      // The client still moves past the skipped change.
      expect(synced.conversations).toContainEqual(
        expect.objectContaining({ conversationId: before.conversationId, lastChangeSeq: 2 }),
      );
    });

    it("live changes and recalls of a message from before a member joined do not reach them; later ones do", async () => {
      const server = await start({ relay: { intervalMs: 50 }, limits: { editWindowMs: 60_000 } });
      const [o, m, l] = [uniqueName("o"), uniqueName("m"), uniqueName("l")];
      const owner = await server.login(o);
      const member = await server.login(m);
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [m] });
      const to = { type: "group" as const, id: group.groupId };
      const before = await sendText(owner, to, "first draft");
      await server.im.groups.addMembers(group.groupId, o, [l]);
      const late = await server.login(l);
      const after = await sendText(owner, to, "said after l joined");
      // Both listen to live changes (an empty `changes` sync makes a session change-aware).
      for (const client of [member, late]) {
        client.send({ type: "sync", cursors: {}, changes: {} });
        await client.next<SyncedFrame>("synced");
      }
      const changeTo = async (messageId: string) => {
        const edit = { type: "text", text: `secret ${messageId}` };
        for (const frame of [
          { type: "edit", messageId, body: edit },
          { type: "react", messageId, key: "👍" },
          { type: "pin", messageId },
        ]) {
          expect((await request<AppliedFrame>(owner, frame, ["applied"])).type).toBe("applied");
        }
        owner.send({ type: "recall", messageId });
        await owner.next<RecalledFrame>((f) => f.type === "recalled" && f.messageId === messageId);
      };
      const kinds = ["edited", "reacted", "pinned", "recalled"];
      const changesOf = (client: MemoryClient, messageId: string) =>
        client
          .all<ChangeFrame>("change")
          .filter((f) => f.change.messageId === messageId)
          .map((f) => f.change.kind);
      const recalls = (client: MemoryClient) =>
        client.all<RecalledFrame>("recalled").map((f) => f.messageId);

      await changeTo(before.messageId);
      await changeTo(after.messageId);
      // Every change was published (the relay re-publishes the recall's change, then marks it).
      await expect
        .poll(async () => (await server.im.storage.outbox.stats({ kinds: ["change"] })).pending, {
          timeout: 5_000,
        })
        .toBe(0);
      await late.next((f) => f.type === "change" && (f as ChangeFrame).change.kind === "recalled");
      await pause(50);

      // The member from the start gets every change and both recalls.
      expect(changesOf(member, before.messageId)).toEqual(kinds);
      expect(changesOf(member, after.messageId)).toEqual(kinds);
      expect(recalls(member)).toEqual([before.messageId, after.messageId]);
      // The late member: nothing about the earlier message (the edit carried its new text).
      expect(changesOf(late, before.messageId)).toEqual([]);
      expect(changesOf(late, after.messageId)).toEqual(kinds);
      expect(recalls(late)).toEqual([after.messageId]);
      expect(JSON.stringify(late.all("change"))).not.toContain(`secret ${before.messageId}`);
    });

    it("a member who left gets not_found for every message of the group", async () => {
      const server = await start();
      const [o, m] = [uniqueName("o"), uniqueName("m")];
      const owner = await server.login(o);
      const member = await server.login(m);
      const group = await server.im.groups.create({ ownerId: o, name: "g", memberIds: [m] });
      const to = { type: "group" as const, id: group.groupId };
      const first = await sendText(owner, to, "while m was in");
      expect((await react(member, first.messageId)).type).toBe("applied");
      await server.im.groups.leave(group.groupId, m);
      const second = await sendText(owner, to, "after m left");
      for (const messageId of [first.messageId, second.messageId]) {
        expect(refusal(await react(member, messageId)).code).toBe("not_found");
        expect(
          (await rejection(server.im.admin.report(m, { kind: "message", messageId }, "spam"))).code,
        ).toBe("not_found");
      }
    });
  });
}
