import { eventually } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  type ChangeFrame,
  createMemoryBroker,
  createMemoryBrokerHub,
  createMemoryPresence,
  createMemoryPresenceHub,
  createMemoryStorage,
  createMemoryStorageBackend,
} from "../src/index.js";
import { sendText, startServer } from "./engine-helpers.js";

describe("changes across nodes (memory broker hub)", () => {
  it("a recall on node A reaches a member on node B as recalled and change; the change outbox drains", async () => {
    const brokerHub = createMemoryBrokerHub();
    const presenceHub = createMemoryPresenceHub();
    const backend = createMemoryStorageBackend();
    const node = (nodeId: string) =>
      startServer({
        nodeId,
        broker: createMemoryBroker({ hub: brokerHub }),
        presence: createMemoryPresence({ hub: presenceHub }),
        storage: createMemoryStorage({ backend, outboxGraceMs: 50 }),
        relay: { intervalMs: 50 },
      });
    const a = await node("A");
    const b = await node("B");
    try {
      const alice = await a.login("alice");
      const bob = await b.login("bob");
      const bobV1 = await b.login("bob");
      bob.send({ type: "sync", cursors: {}, changes: {} });
      await bob.next("synced");
      const sent = await sendText(alice, { type: "user", id: "bob" }, "oops");
      await bob.next("message");
      alice.send({ type: "recall", messageId: sent.messageId });
      await bobV1.next("recalled");
      const change = await bob.next<ChangeFrame>("change");
      expect(change.change).toMatchObject({
        conversationId: sent.conversationId,
        changeSeq: 1,
        kind: "recalled",
        messageId: sent.messageId,
        by: "alice",
      });
      // The relay re-published the entry the fast path could not mark; node B dropped the repeat.
      await eventually(async () =>
        expect((await a.im.storage.outbox.stats({ kinds: ["change"] })).pending).toBe(0),
      );
      expect(bob.all("change")).toHaveLength(1);
      expect(bobV1.all("change")).toHaveLength(0);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("an edit and a reaction on node A reach node B, and a reconnect on B learns them by sync", async () => {
    const brokerHub = createMemoryBrokerHub();
    const presenceHub = createMemoryPresenceHub();
    const backend = createMemoryStorageBackend();
    const node = (nodeId: string) =>
      startServer({
        nodeId,
        broker: createMemoryBroker({ hub: brokerHub }),
        presence: createMemoryPresence({ hub: presenceHub }),
        storage: createMemoryStorage({ backend, outboxGraceMs: 50 }),
        relay: { intervalMs: 50 },
      });
    const a = await node("A");
    const b = await node("B");
    try {
      const alice = await a.login("alice");
      let bob = await b.login("bob");
      bob.send({ type: "sync", cursors: {}, changes: {} });
      await bob.next("synced");
      const sent = await sendText(alice, { type: "user", id: "bob" }, "hi");
      alice.send({
        type: "edit",
        cid: "e1",
        messageId: sent.messageId,
        body: { type: "text", text: "hello" },
      });
      alice.send({ type: "react", cid: "r1", messageId: sent.messageId, key: "👋" });
      await alice.next((f) => f.type === "applied" && f.cid === "r1");
      await eventually(() => expect(bob.all("change")).toHaveLength(2));
      expect(bob.all<ChangeFrame>("change").map((f) => f.change.kind)).toEqual([
        "edited",
        "reacted",
      ]);
      bob.close();
      bob = await b.login("bob");
      bob.send({
        type: "sync",
        cursors: { [sent.conversationId]: 0 },
        changes: { [sent.conversationId]: 0 },
      });
      const synced = await bob.next("synced");
      expect(synced.type === "synced" && synced.conversations[0]?.lastChangeSeq).toBe(2);
      expect(bob.all("message")).toMatchObject([{ body: { text: "hello" } }]);
      expect(bob.all<ChangeFrame>("change").map((f) => f.change.kind)).toEqual([
        "edited",
        "reacted",
      ]);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("a change on node A of a message from before a member joined does not reach them on node B", async () => {
    const brokerHub = createMemoryBrokerHub();
    const presenceHub = createMemoryPresenceHub();
    const backend = createMemoryStorageBackend();
    const node = (nodeId: string) =>
      startServer({
        nodeId,
        broker: createMemoryBroker({ hub: brokerHub }),
        presence: createMemoryPresence({ hub: presenceHub }),
        storage: createMemoryStorage({ backend, outboxGraceMs: 50 }),
        relay: { intervalMs: 50 },
      });
    const a = await node("A");
    const b = await node("B");
    try {
      const owner = await a.login("owner");
      const member = await b.login("member");
      const group = await a.im.groups.create({
        ownerId: "owner",
        name: "g",
        memberIds: ["member"],
      });
      const to = { type: "group" as const, id: group.groupId };
      const before = await sendText(owner, to, "first draft");
      await a.im.groups.addMembers(group.groupId, "owner", ["late"]);
      const late = await b.login("late");
      for (const client of [member, late]) {
        client.send({ type: "sync", cursors: {}, changes: {} });
        await client.next("synced");
      }
      const after = await sendText(owner, to, "later");
      for (const messageId of [before.messageId, after.messageId]) {
        owner.send({
          type: "edit",
          cid: `e-${messageId}`,
          messageId,
          body: { type: "text", text: `secret ${messageId}` },
        });
        await owner.next((f) => f.type === "applied" && f.cid === `e-${messageId}`);
        owner.send({ type: "recall", messageId });
        await owner.next((f) => f.type === "recalled" && f.messageId === messageId);
      }
      const seen = (client: typeof late) =>
        client.all<ChangeFrame>("change").map((f) => [f.change.kind, f.change.messageId]);
      await eventually(() => expect(seen(member)).toHaveLength(4));
      await eventually(async () =>
        expect((await a.im.storage.outbox.stats({ kinds: ["change"] })).pending).toBe(0),
      );
      await eventually(() => expect(seen(late)).toHaveLength(2));
      expect(seen(late)).toEqual([
        ["edited", after.messageId],
        ["recalled", after.messageId],
      ]);
      expect(late.all("recalled").map((f) => f.type === "recalled" && f.messageId)).toEqual([
        after.messageId,
      ]);
      expect(member.all("recalled")).toHaveLength(2);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
