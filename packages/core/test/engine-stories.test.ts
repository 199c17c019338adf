import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryStorage,
  createMemoryStorageBackend,
  type MessageFrame,
  type ReceiptFrame,
  type SyncedFrame,
} from "../src/index.js";
import { eventually } from "../src/testing/eventually.js";
import { nextMessage, sendText, startServer, type TestServer } from "./engine-helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("engine stories (in-memory transport and adapters)", () => {
  it("two users chat: sent, message, ack, delivered receipt, read receipt", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const sent = await sendText(alice, { type: "user", id: "bob" }, "hi bob");
    expect(sent).toMatchObject({ conversationId: "d:alice:bob", seq: 1 });
    expect(sent.messageId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await nextMessage(bob, "hi bob");
    expect(got).toMatchObject({
      from: "alice",
      to: { type: "user", id: "bob" },
      seq: 1,
      cid: sent.cid,
    });
    expect(got.messageId).toBe(sent.messageId);
    bob.send({ type: "ack", conversationId: got.conversationId, seq: got.seq });
    const delivered = await alice.next<ReceiptFrame>("receipt");
    expect(delivered).toMatchObject({
      kind: "delivered",
      userId: "bob",
      seq: 1,
      conversationId: "d:alice:bob",
    });
    bob.send({ type: "read", conversationId: got.conversationId, seq: 1 });
    const read = await alice.next<ReceiptFrame>((f) => f.type === "receipt" && f.kind === "read");
    expect(read).toMatchObject({ userId: "bob", seq: 1 });
    const reply = await sendText(bob, { type: "user", id: "alice" }, "hello alice");
    expect(reply.seq).toBe(2);
    expect((await nextMessage(alice, "hello alice")).from).toBe("bob");
  });

  it("a five-member group: created frame to all, every member gets each message, non-members are refused", async () => {
    server = await startServer();
    const users = ["u1", "u2", "u3", "u4", "u5"];
    const clients = await Promise.all(users.map((u) => server!.login(u)));
    const group = await server.im.groups.create({
      ownerId: "u1",
      name: "five",
      memberIds: users.slice(1),
    });
    for (const client of clients) {
      expect(await client.next("group")).toMatchObject({
        groupId: group.groupId,
        event: "created",
        by: "u1",
      });
    }
    const sent = await sendText(clients[2]!, { type: "group", id: group.groupId }, "hello group");
    expect(sent.conversationId).toBe(`g:${group.groupId}`);
    for (const [i, client] of clients.entries()) {
      if (i === 2) continue;
      expect((await nextMessage(client, "hello group")).from).toBe("u3");
    }
    const outsider = await server.login("mallory");
    await expect(
      sendText(outsider, { type: "group", id: group.groupId }, "let me in"),
    ).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(sendText(outsider, { type: "group", id: "nope" }, "x")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("a recipient offline during 50 messages gets all 50, in order, by sync", async () => {
    server = await startServer({ limits: { framesPerWindow: 1_000 } });
    const alice = await server.login("alice");
    for (let i = 1; i <= 50; i++) await sendText(alice, { type: "user", id: "bob" }, `m${i}`);
    const bob = await server.login("bob");
    bob.send({ type: "sync", cursors: {} });
    const synced = await bob.next<SyncedFrame>("synced");
    expect(synced.more).toBe(false);
    expect(synced.conversations).toEqual([{ conversationId: "d:alice:bob", lastSeq: 50 }]);
    const messages = bob.all<MessageFrame>("message");
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(messages.map((m) => (m.body.type === "text" ? m.body.text : ""))).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i + 1}`),
    );
  });

  it("sync pages with `more` and resumes from the client's cursors; absent conversations start at the delivered cursor", async () => {
    server = await startServer({ limits: { framesPerWindow: 1_000 } });
    const alice = await server.login("alice");
    for (let i = 1; i <= 30; i++) await sendText(alice, { type: "user", id: "bob" }, `m${i}`);
    for (let i = 1; i <= 5; i++) await sendText(alice, { type: "user", id: "carol" }, `c${i}`);
    const bob = await server.login("bob");
    bob.send({ type: "sync", cursors: {}, limit: 20 });
    const first = await bob.next<SyncedFrame>("synced");
    expect(first.more).toBe(true);
    expect(bob.all<MessageFrame>("message").map((m) => m.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    // A cursor for a conversation bob is not in returns nothing of it.
    bob.send({ type: "sync", cursors: { "d:alice:bob": 20, "d:alice:carol": 0 }, limit: 20 });
    const second = await bob.next<SyncedFrame>("synced");
    expect(second.more).toBe(false);
    const all = bob.all<MessageFrame>("message");
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(all.every((m) => m.conversationId === "d:alice:bob")).toBe(true);
    // After an ack, a sync without cursors starts after the delivered cursor.
    bob.send({ type: "ack", conversationId: "d:alice:bob", seq: 30 });
    await eventually(async () => {
      const [cursor] = await server!.im.storage.cursors.cursors("bob", ["d:alice:bob"]);
      expect(cursor?.deliveredSeq).toBe(30);
    });
    const bob2 = await server.login("bob");
    bob2.send({ type: "sync", cursors: {} });
    await bob2.next("synced");
    expect(bob2.all("message")).toHaveLength(0);
  });

  it("a push that is not acked is pushed again; after de-duplication the client sees it once", async () => {
    server = await startServer({ limits: { ackTimeoutMs: 100, maxPushAttempts: 3 } });
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const sent = await sendText(alice, { type: "user", id: "bob" }, "are you there?");
    await eventually(() => expect(bob.all("message").length).toBeGreaterThanOrEqual(2), {
      timeoutMs: 5_000,
    });
    const raw = bob.all<MessageFrame>("message");
    expect(raw.every((m) => m.messageId === sent.messageId)).toBe(true);
    expect(new Set(raw.map((m) => m.messageId)).size).toBe(1);
    bob.send({ type: "ack", conversationId: sent.conversationId, seq: sent.seq });
    await eventually(() => expect(server!.im.stats().pendingPushes).toBe(0));
    const afterAck = bob.all("message").length;
    await new Promise((r) => setTimeout(r, 400));
    expect(bob.all("message").length).toBe(afterAck);
    expect(server.im.stats().pushRetries).toBeGreaterThanOrEqual(1);
  });

  it("an un-acked push is abandoned after the retry budget and stays available to sync", async () => {
    server = await startServer({ limits: { ackTimeoutMs: 60, maxPushAttempts: 2 } });
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    await sendText(alice, { type: "user", id: "bob" }, "one");
    await eventually(() => expect(server!.im.stats().pushesAbandoned).toBe(1), {
      timeoutMs: 5_000,
    });
    expect(bob.all("message")).toHaveLength(2);
    bob.send({ type: "sync", cursors: {} });
    await bob.next("synced");
    expect(bob.all("message")).toHaveLength(3);
  });

  it("the same cid twice gives one message and the same sent", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const first = await sendText(alice, { type: "user", id: "bob" }, "once", "same-cid");
    const second = await sendText(alice, { type: "user", id: "bob" }, "once", "same-cid");
    expect(second).toEqual(first);
    await nextMessage(bob, "once");
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.all("message")).toHaveLength(1);
    const page = await server.im.history("alice", "d:alice:bob");
    expect(page.messages).toHaveLength(1);
  });

  it("multi-device: the sender's other session gets its own message; one-per-device-class replaces with 4409", async () => {
    server = await startServer({ multiDevice: "one-per-device-class" });
    const phone = await server.login("alice", "mobile");
    const desktop = await server.login("alice", "desktop");
    await server.login("bob");
    const sent = await sendText(phone, { type: "user", id: "bob" }, "from my phone");
    const mirrored = await nextMessage(desktop, "from my phone");
    expect(mirrored.messageId).toBe(sent.messageId);
    expect(phone.all("message")).toHaveLength(0);
    const newPhone = await server.login("alice", "mobile");
    expect(await phone.closed).toBe(4409);
    expect(desktop.closeCode).toBeUndefined();
    expect(newPhone.closeCode).toBeUndefined();
  });

  it("close() drains: every client gets 1001 and what was sent is stored", async () => {
    const backend = createMemoryStorageBackend();
    server = await startServer({ storage: createMemoryStorage({ backend }) });
    const alice = await server.login("alice");
    await sendText(alice, { type: "user", id: "bob" }, "before close");
    await server.im.close();
    expect(await alice.closed).toBe(1001);
    const { messages } = createMemoryStorage({ backend });
    expect(await messages.range("d:alice:bob", { afterSeq: 0, limit: 10 })).toHaveLength(1);
    server = undefined;
  });
});
