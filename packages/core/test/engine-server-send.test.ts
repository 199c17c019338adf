import { eventually } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  createMemoryBroker,
  createMemoryBrokerHub,
  createMemoryPresence,
  createMemoryPresenceHub,
  createMemoryStorage,
  createMemoryStorageBackend,
  ImError,
  type MessageFrame,
  type SendContext,
  SYSTEM_SENDER_ID,
  type SyncedFrame,
} from "../src/index.js";
import { nextMessage, startServer } from "./engine-helpers.js";

const text = (t: string) => ({ type: "text" as const, text: t });

/** The rejection of a promise, as an ImError (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<ImError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ImError);
    return error as ImError;
  }
  throw new Error("expected a rejection");
}

describe("server-side send (im.send, im.sendMany, im.broadcast)", () => {
  it("sends as a user: the recipient online gets the message frame, the sender's other device too", async () => {
    const server = await startServer();
    try {
      const bob = await server.login("bob");
      const alice = await server.login("alice");
      const { message, created } = await server.im.send({
        from: "alice",
        to: "bob",
        body: text("hi from the backend"),
        cid: "c-1",
      });
      expect(created).toBe(true);
      expect(message).toMatchObject({ from: "alice", conversationId: "d:alice:bob", seq: 1 });
      const frame = await nextMessage(bob, "hi from the backend");
      expect(frame).toMatchObject({ messageId: message.messageId, from: "alice", cid: "c-1" });
      expect(frame.system).toBeUndefined();
      // The sender's own sessions get it too (no session sent it).
      await nextMessage(alice, "hi from the backend");
      // Kept at zero unread for the sender, as for a client send.
      await eventually(async () => {
        const [summary] = await server.im.conversations("alice");
        expect(summary?.unread).toBe(0);
      });
    } finally {
      await server.close();
    }
  });

  it("sends as the system: shown as such, to a user and to a group it is no member of", async () => {
    const server = await startServer();
    try {
      const bob = await server.login("bob");
      const carol = await server.login("carol");
      const direct = await server.im.send({ to: "bob", body: text("order shipped"), cid: "o-1" });
      expect(direct.message.from).toBe(SYSTEM_SENDER_ID);
      expect(direct.message.conversationId).toBe(`d:bob:${SYSTEM_SENDER_ID}`);
      const frame = await nextMessage(bob, "order shipped");
      expect(frame).toMatchObject({ from: SYSTEM_SENDER_ID, system: true });
      const [summary] = await server.im.conversations("bob");
      expect(summary).toMatchObject({ conversationId: `d:bob:${SYSTEM_SENDER_ID}`, unread: 1 });
      // The system sender has no conversations of its own.
      expect(await server.im.conversations(SYSTEM_SENDER_ID)).toEqual([]);

      await server.im.groups.create({
        ownerId: "bob",
        name: "team",
        memberIds: ["carol"],
        groupId: "g1",
      });
      // Mute-all silences members, not the application.
      await server.im.groups.muteAll("g1", "bob", true);
      const notice = await server.im.send({
        groupId: "g1",
        body: text("maintenance tonight"),
        cid: "m-1",
        mentions: ["all"],
      });
      expect(notice.message).toMatchObject({
        from: SYSTEM_SENDER_ID,
        to: { type: "group", id: "g1" },
      });
      expect(await nextMessage(carol, "maintenance tonight")).toMatchObject({
        system: true,
        mentions: ["all"],
      });
      await nextMessage(bob, "maintenance tonight");
    } finally {
      await server.close();
    }
  });

  it("a repeated cid returns the original message and delivers nothing again", async () => {
    const server = await startServer();
    try {
      const bob = await server.login("bob");
      const first = await server.im.send({ to: "bob", body: text("once"), cid: "dup" });
      const again = await server.im.send({ to: "bob", body: text("twice?"), cid: "dup" });
      expect(again.created).toBe(false);
      expect(again.message).toEqual(first.message);
      await nextMessage(bob, "once");
      // The same cid from another sender is another message.
      const other = await server.im.send({
        from: "alice",
        to: "bob",
        body: text("mine"),
        cid: "dup",
      });
      expect(other.created).toBe(true);
      await nextMessage(bob, "mine");
      expect(bob.all("message")).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it("an offline recipient gets server-sent messages on sync", async () => {
    const server = await startServer();
    try {
      const outcomes = await server.im.sendMany([
        { to: "dave", body: text("one"), cid: "b-1" },
        { to: "dave", body: text("two"), cid: "b-2" },
        { from: "erin", to: "dave", body: text("three"), cid: "b-3" },
      ]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
      const dave = await server.login("dave");
      dave.send({ type: "sync", cursors: {} });
      const synced = await dave.next<SyncedFrame>("synced");
      expect(synced.conversations.map((c) => c.conversationId).sort()).toEqual(
        [`d:dave:${SYSTEM_SENDER_ID}`, "d:dave:erin"].sort(),
      );
      const texts = dave
        .all<MessageFrame>("message")
        .map((m) => (m.body.type === "text" ? m.body.text : ""));
      expect(texts.sort()).toEqual(["one", "three", "two"]);
      expect(dave.all<MessageFrame>("message").filter((m) => m.system)).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it("sendMany keeps order, returns per-message outcomes and dedupes within the batch", async () => {
    const server = await startServer();
    try {
      await server.im.groups.create({
        ownerId: "alice",
        name: "g",
        memberIds: ["bob"],
        groupId: "g2",
      });
      const outcomes = await server.im.sendMany([
        { groupId: "g2", body: text("a"), cid: "s-1" },
        { groupId: "nope", body: text("b"), cid: "s-2" },
        { from: "mallory", groupId: "g2", body: text("c"), cid: "s-3" },
        { groupId: "g2", body: text("d"), cid: "s-4" },
        { groupId: "g2", body: text("a again"), cid: "s-1" },
      ]);
      expect(outcomes.map((o) => (o.ok ? "ok" : o.error.code))).toEqual([
        "ok",
        "not_found",
        "forbidden",
        "ok",
        "ok",
      ]);
      const [first, , , fourth, repeat] = outcomes;
      expect(first?.ok && fourth?.ok && fourth.message.seq).toBe(2);
      expect(repeat?.ok && repeat.created).toBe(false);
      expect(repeat?.ok && first?.ok && repeat.message.messageId).toBe(
        first?.ok && first.message.messageId,
      );
    } finally {
      await server.close();
    }
  });

  it("broadcast sends one direct message per user, with derived cids, and repeats send nothing", async () => {
    const server = await startServer();
    try {
      const bob = await server.login("bob");
      const carol = await server.login("carol");
      const input = {
        userIds: ["bob", "carol", "dave", "bob"],
        body: text("we are live"),
        cid: "launch",
      };
      const outcomes = await server.im.broadcast(input);
      expect(outcomes.map((o) => [o.userId, o.ok, o.cid])).toEqual([
        ["bob", true, "launch/bob"],
        ["carol", true, "launch/carol"],
        ["dave", true, "launch/dave"],
      ]);
      await nextMessage(bob, "we are live");
      await nextMessage(carol, "we are live");
      const again = await server.im.broadcast(input);
      expect(again.every((o) => o.ok && !o.created)).toBe(true);
      expect(bob.all("message")).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("as a user: blocks hold, membership is needed; the system sender is not blockable", async () => {
    const server = await startServer();
    try {
      await server.im.contacts.block("bob", "alice");
      expect(
        (await refusal(server.im.send({ from: "alice", to: "bob", body: text("x"), cid: "k1" })))
          .code,
      ).toBe("forbidden");
      const outcomes = await server.im.broadcast({
        from: "alice",
        userIds: ["bob", "carol"],
        body: text("hello"),
        cid: "bc",
      });
      expect(outcomes.map((o) => (o.ok ? "ok" : o.error.code))).toEqual(["forbidden", "ok"]);
      expect(
        (await server.im.send({ to: "bob", body: text("from the app"), cid: "k2" })).created,
      ).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("runs beforeSend with origin server; a refusal rejects, a replacement is stored", async () => {
    const seen: SendContext[] = [];
    const server = await startServer({
      hooks: {
        async beforeSend(context) {
          seen.push(context);
          if (context.body.type === "text" && context.body.text === "bad") {
            throw new ImError("forbidden", "moderated");
          }
          if (context.body.type === "text" && context.body.text === "darn") return text("d**n");
          return undefined;
        },
      },
    });
    try {
      expect(
        (await refusal(server.im.send({ to: "bob", body: text("bad"), cid: "h1" }))).message,
      ).toBe("moderated");
      const { message } = await server.im.send({
        from: "alice",
        to: "bob",
        body: text("darn"),
        cid: "h2",
      });
      expect(message.body).toEqual(text("d**n"));
      expect(seen.map((c) => [c.principal.userId, c.origin])).toEqual([
        [SYSTEM_SENDER_ID, "server"],
        ["alice", "server"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("refuses bad input with clear errors and stores nothing", async () => {
    const server = await startServer({
      limits: { maxBodyBytes: 100, maxServerBatch: 3, maxBroadcastUsers: 2 },
    });
    try {
      const im = server.im;
      const cases: Array<[Promise<unknown>, string, RegExp]> = [
        [
          im.send({ to: "bob", body: text(""), cid: "e1" }),
          "bad_request",
          /invalid message at \/body/,
        ],
        [im.send({ to: "bob", body: undefined as never, cid: "e2" }), "bad_request", /body/],
        [
          im.send({ to: "bob", body: text("x".repeat(200)), cid: "e3" }),
          "too_large",
          /limit is 100/,
        ],
        [im.send({ to: "bob", body: text("x"), cid: "" }), "bad_request", /cid/],
        [im.send({ to: "bob", body: text("x"), cid: "c".repeat(129) }), "bad_request", /cid/],
        [im.send({ body: text("x"), cid: "e4" }), "bad_request", /exactly one/],
        [
          im.send({ to: "bob", groupId: "g", body: text("x"), cid: "e5" }),
          "bad_request",
          /exactly one/,
        ],
        [im.send({ groupId: "ghost", body: text("x"), cid: "e6" }), "not_found", /ghost/],
        [im.send({ from: "a b", to: "bob", body: text("x"), cid: "e7" }), "bad_request", /from/],
        [im.send({ to: SYSTEM_SENDER_ID, body: text("x"), cid: "e8" }), "bad_request", /system/],
        [im.send(null as never), "bad_request", /object/],
        [im.sendMany([]), "bad_request", /empty/],
        [im.sendMany("x" as never), "bad_request", /array/],
        [
          im.sendMany(
            Array.from({ length: 4 }, (_, i) => ({ to: "bob", body: text("x"), cid: `m${i}` })),
          ),
          "too_large",
          /at most 3/,
        ],
        [
          im.sendMany([
            { to: "bob", body: text("ok"), cid: "v1" },
            { to: "bob", body: { type: "text" } as never, cid: "v2" },
          ]),
          "bad_request",
          /^messages\[1\]: /,
        ],
        [im.broadcast({ userIds: [], body: text("x"), cid: "b" }), "bad_request", /userIds/],
        [
          im.broadcast({ userIds: ["a", "b", "c"], body: text("x"), cid: "b" }),
          "too_large",
          /at most 2/,
        ],
        [
          im.broadcast({ userIds: ["a:b"], body: text("x"), cid: "b" }),
          "bad_request",
          /invalid user id/,
        ],
        [
          im.broadcast({ userIds: ["a"], body: text("x"), cid: "b".repeat(65) }),
          "bad_request",
          /cid/,
        ],
      ];
      for (const [promise, code, message] of cases) {
        const error = await refusal(promise);
        expect(error.code).toBe(code);
        expect(error.message).toMatch(message);
      }
      // The valid first message of the refused batch was not stored.
      expect(await im.conversations("bob")).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("a user cannot authenticate as the system sender", async () => {
    const server = await startServer();
    try {
      const client = await server.transport.connect();
      client.send({ type: "auth", token: `t:${SYSTEM_SENDER_ID}` });
      expect(await client.closed).toBe(4401);
    } finally {
      await server.close();
    }
  });

  it("is callable from any node: a send on node A reaches a user on node B; a closing node refuses", async () => {
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
      const bob = await b.login("bob");
      const { message } = await a.im.send({ to: "bob", body: text("across"), cid: "x-1" });
      expect((await nextMessage(bob, "across")).messageId).toBe(message.messageId);
      await eventually(async () =>
        expect((await a.im.storage.outbox.stats({ kinds: ["message"] })).pending).toBe(0),
      );
      // The repeat on the other node finds the original.
      expect((await b.im.send({ to: "bob", body: text("across"), cid: "x-1" })).message).toEqual(
        message,
      );
      await a.close();
      expect((await refusal(a.im.send({ to: "bob", body: text("late"), cid: "x-2" }))).code).toBe(
        "unavailable",
      );
    } finally {
      await b.close();
      await a.close();
    }
  });
});
