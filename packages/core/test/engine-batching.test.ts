import { afterEach, describe, expect, it } from "vitest";
import {
  CloseCode,
  createMemoryBroker,
  createMemoryBrokerHub,
  createMemoryPresence,
  createMemoryPresenceHub,
  createMemoryStorage,
  createMemoryStorageBackend,
  type ErrorFrame,
  type MemoryClient,
  type ReadyFrame,
  type ReceiptFrame,
  type ReceiptsFrame,
} from "../src/index.js";
import { eventually } from "../src/testing/eventually.js";
import { loginWithCapabilities, sendText, startServer, type TestServer } from "./engine-helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Connects announcing `capabilities` to the test's server. */
const loginWith = (userId: string, capabilities: string[] | undefined) =>
  loginWithCapabilities(server!, userId, capabilities);

const BOTH = ["receipt-batch", "ack-batch"];

/** A round trip: every frame sent before it was handled once its `pong` is back. */
async function roundTrip(client: MemoryClient, ts: number): Promise<void> {
  client.send({ type: "ping", ts });
  await client.next((f) => f.type === "pong" && f.ts === ts);
}

/** The user's stored delivered cursor in the conversation (0 when none). */
async function deliveredSeq(userId: string, conversationId: string): Promise<number> {
  const [cursor] = await server!.im.storage.cursors.cursors(userId, [conversationId]);
  return cursor?.deliveredSeq ?? 0;
}

describe("capabilities in auth and ready (§1.8)", () => {
  it("a v1 auth gets the v1 ready: no capabilities, no maxAcksPerFrame", async () => {
    server = await startServer();
    const { ready } = await loginWith("alice", undefined);
    expect(Object.keys(ready).sort()).toEqual(
      ["heartbeatMs", "nodeId", "serverTime", "sessionId", "type", "userId"].sort(),
    );
  });

  it("the server echoes the capabilities it accepts, drops unknown ones, and keeps them on renewal", async () => {
    server = await startServer({ limits: { maxAcksPerFrame: 7 } });
    const { client, ready } = await loginWith("alice", ["future-thing", ...BOTH]);
    expect(ready).toMatchObject({ capabilities: BOTH, maxAcksPerFrame: 7 });
    client.send({ type: "auth", token: "t:alice", capabilities: [] });
    const renewed = await client.next<ReadyFrame>("ready");
    expect(renewed).toMatchObject({ capabilities: BOTH, maxAcksPerFrame: 7 });
    const { ready: none } = await loginWith("bob", []);
    expect(none.capabilities).toEqual([]);
    expect(none.maxAcksPerFrame).toBeUndefined();
  });

  it("with delivery.receiptBatchMs 0 the node does not accept receipt-batch", async () => {
    server = await startServer({ delivery: { receiptBatchMs: 0 } });
    const { ready } = await loginWith("alice", BOTH);
    expect(ready.capabilities).toEqual(["ack-batch"]);
  });

  it("refuses a bad delivery.receiptBatchMs or a zero maxAcksPerFrame at construction", async () => {
    await expect(startServer({ delivery: { receiptBatchMs: -1 } })).rejects.toThrow(
      /receiptBatchMs/,
    );
    await expect(startServer({ limits: { maxAcksPerFrame: 0 } })).rejects.toThrow(
      /maxAcksPerFrame/,
    );
    await expect(startServer({ limits: { maxReceiptsPerFrame: 0 } })).rejects.toThrow(
      /maxReceiptsPerFrame/,
    );
  });
});

describe("batched receipts (§5.3)", () => {
  it("a v1 session keeps receipt frames while a receipt-batch session of the same user gets receipts frames", async () => {
    // The batch goes out when it holds 3 receipts (the window is far longer than the test).
    server = await startServer({
      delivery: { receiptBatchMs: 60_000 },
      limits: { maxReceiptsPerFrame: 3 },
    });
    const { client: v1 } = await loginWith("alice", undefined);
    const { client: batched } = await loginWith("alice", BOTH);
    const { client: bob } = await loginWith("bob", undefined);
    const { client: carol } = await loginWith("carol", undefined);
    for (let i = 1; i <= 3; i++) await sendText(v1, { type: "user", id: "bob" }, `b${i}`);
    await sendText(v1, { type: "user", id: "carol" }, "c1");

    // Two delivered receipts for bob in two cursor batches: the batch keeps only the highest.
    bob.send({ type: "ack", conversationId: "d:alice:bob", seq: 2 });
    await eventually(async () => expect(await deliveredSeq("bob", "d:alice:bob")).toBe(2));
    bob.send({ type: "ack", conversationId: "d:alice:bob", seq: 3 });
    await eventually(async () => expect(await deliveredSeq("bob", "d:alice:bob")).toBe(3));
    bob.send({ type: "read", conversationId: "d:alice:bob", seq: 3 });
    carol.send({ type: "ack", conversationId: "d:alice:carol", seq: 1 });

    const frame = await batched.next<ReceiptsFrame>("receipts");
    expect(frame.receipts).toHaveLength(3);
    expect(frame.receipts).toEqual(
      expect.arrayContaining([
        { conversationId: "d:alice:bob", userId: "bob", seq: 3, kind: "delivered" },
        { conversationId: "d:alice:bob", userId: "bob", seq: 3, kind: "read" },
        { conversationId: "d:alice:carol", userId: "carol", seq: 1, kind: "delivered" },
      ]),
    );
    expect(batched.all("receipt")).toHaveLength(0);

    // The v1 session got every receipt as its own frame, as before.
    await eventually(() => expect(v1.all("receipt")).toHaveLength(4));
    expect(v1.all<ReceiptFrame>("receipt").map((r) => [r.userId, r.kind, r.seq])).toEqual(
      expect.arrayContaining([
        ["bob", "delivered", 2],
        ["bob", "delivered", 3],
        ["bob", "read", 3],
        ["carol", "delivered", 1],
      ]),
    );
    expect(v1.all("receipts")).toHaveLength(0);
  });

  it("receipts wait at most the window: a lone receipt goes out in a receipts frame of one", async () => {
    server = await startServer({ delivery: { receiptBatchMs: 5 } });
    const { client: alice } = await loginWith("alice", BOTH);
    const { client: bob } = await loginWith("bob", undefined);
    await sendText(alice, { type: "user", id: "bob" }, "hi");
    bob.send({ type: "read", conversationId: "d:alice:bob", seq: 1 });
    const frame = await alice.next<ReceiptsFrame>(
      (f) => f.type === "receipts" && f.receipts.some((r) => r.kind === "read"),
    );
    expect(frame.receipts).toContainEqual({
      conversationId: "d:alice:bob",
      userId: "bob",
      seq: 1,
      kind: "read",
    });
  });

  it("a receipt from another node is batched by the node that holds the connection", async () => {
    const brokerHub = createMemoryBrokerHub();
    const presenceHub = createMemoryPresenceHub();
    const backend = createMemoryStorageBackend();
    const node = (nodeId: string) =>
      startServer({
        nodeId,
        broker: createMemoryBroker({ hub: brokerHub }),
        presence: createMemoryPresence({ hub: presenceHub }),
        storage: createMemoryStorage({ backend }),
        delivery: { receiptBatchMs: 60_000 },
        limits: { maxReceiptsPerFrame: 2 },
      });
    const a = await node("A");
    const b = await node("B");
    try {
      const alice = await a.transport.connect();
      alice.send({ type: "auth", token: "t:alice", capabilities: BOTH });
      await alice.next("ready");
      const aliceV1 = await a.login("alice");
      const bob = await b.login("bob");
      await sendText(aliceV1, { type: "user", id: "bob" }, "one");
      await sendText(aliceV1, { type: "user", id: "bob" }, "two");
      bob.send({ type: "ack", conversationId: "d:alice:bob", seq: 2 });
      bob.send({ type: "read", conversationId: "d:alice:bob", seq: 2 });
      const frame = await alice.next<ReceiptsFrame>("receipts");
      expect(frame.receipts).toEqual(
        expect.arrayContaining([
          { conversationId: "d:alice:bob", userId: "bob", seq: 2, kind: "delivered" },
          { conversationId: "d:alice:bob", userId: "bob", seq: 2, kind: "read" },
        ]),
      );
      await eventually(() => expect(aliceV1.all("receipt")).toHaveLength(2));
      expect(alice.all("receipt")).toHaveLength(0);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe("acks (§3.3)", () => {
  it("acks many conversations in one frame: re-pushes stop, cursors move, seq is capped at the last one", async () => {
    server = await startServer();
    const { client: alice } = await loginWith("alice", undefined);
    const { client: bob } = await loginWith("bob", BOTH);
    const group = await server.im.groups.create({
      ownerId: "alice",
      name: "team",
      memberIds: ["bob"],
    });
    const groupConversation = `g:${group.groupId}`;
    await sendText(alice, { type: "user", id: "bob" }, "direct");
    await sendText(alice, { type: "group", id: group.groupId }, "group");
    await bob.next((f) => f.type === "message" && f.conversationId === groupConversation);
    const delivered: string[] = [];
    server.im.on("delivered", (message, userId) =>
      delivered.push(`${userId}:${message.conversationId}`),
    );
    bob.send({
      type: "acks",
      acks: [
        { conversationId: "d:alice:bob", seq: 99 },
        { conversationId: groupConversation, seq: 1 },
      ],
    });
    await roundTrip(bob, 1);
    expect(delivered.sort()).toEqual([`bob:${groupConversation}`, "bob:d:alice:bob"].sort());
    expect(
      await alice.next<ReceiptFrame>((f) => f.type === "receipt" && f.kind === "delivered"),
    ).toEqual({
      type: "receipt",
      conversationId: "d:alice:bob",
      userId: "bob",
      seq: 1,
      kind: "delivered",
    });
    await eventually(async () => expect(await deliveredSeq("bob", groupConversation)).toBe(1));
    expect(await deliveredSeq("bob", "d:alice:bob")).toBe(1);
    expect(bob.all("error")).toHaveLength(0);
  });

  it("more than maxAcksPerFrame entries is too_large and applies none of them", async () => {
    server = await startServer({ limits: { maxAcksPerFrame: 2 } });
    const { client: alice } = await loginWith("alice", undefined);
    const { client: bob } = await loginWith("bob", BOTH);
    await sendText(alice, { type: "user", id: "bob" }, "one");
    await sendText(alice, { type: "user", id: "carol" }, "two");
    bob.send({
      type: "acks",
      cid: "big",
      acks: [
        { conversationId: "d:alice:bob", seq: 1 },
        { conversationId: "d:bob:carol", seq: 1 },
        { conversationId: "d:bob:dave", seq: 1 },
      ],
    });
    expect(await bob.next<ErrorFrame>("error")).toMatchObject({
      code: "too_large",
      cid: "big",
      message: "an acks frame has at most 2 entries; this one has 3",
    });
    await roundTrip(bob, 2);
    // Past a cursor batch (20 ms): nothing of the refused frame was written.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await deliveredSeq("bob", "d:alice:bob")).toBe(0);
    expect(alice.all("receipt")).toHaveLength(0);
  });

  it("a conversation named twice is bad_request and applies none of the entries", async () => {
    server = await startServer();
    const { client: alice } = await loginWith("alice", undefined);
    const { client: bob } = await loginWith("bob", BOTH);
    await sendText(alice, { type: "user", id: "bob" }, "one");
    await sendText(alice, { type: "user", id: "bob" }, "two");
    const delivered: number[] = [];
    server.im.on("delivered", (message) => delivered.push(message.seq));
    bob.send({
      type: "acks",
      cid: "dup",
      acks: [
        { conversationId: "d:alice:bob", seq: 1 },
        { conversationId: "d:alice:bob", seq: 2 },
      ],
    });
    const error = await bob.next<ErrorFrame>("error");
    expect(error).toMatchObject({ code: "bad_request", cid: "dup" });
    expect(error.message).toContain("d:alice:bob is repeated");
    await roundTrip(bob, 3);
    expect(delivered).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await deliveredSeq("bob", "d:alice:bob")).toBe(0);
  });

  it("entries of conversations the user is not in are skipped: one error for the frame, every other entry applied", async () => {
    server = await startServer();
    const { client: alice } = await loginWith("alice", undefined);
    const { client: eve } = await loginWith("eve", BOTH);
    const secret = await server.im.groups.create({ ownerId: "alice", name: "secret" });
    const open = await server.im.groups.create({
      ownerId: "alice",
      name: "open",
      memberIds: ["eve"],
    });
    await sendText(alice, { type: "user", id: "eve" }, "hello eve");
    await sendText(alice, { type: "user", id: "bob" }, "private");
    await sendText(alice, { type: "user", id: "carol" }, "hello carol");
    await sendText(alice, { type: "group", id: secret.groupId }, "members only");
    await sendText(alice, { type: "group", id: open.groupId }, "for eve too");
    eve.send({
      type: "acks",
      cid: "mixed",
      acks: [
        { conversationId: "d:alice:eve", seq: 1 },
        { conversationId: `g:${secret.groupId}`, seq: 1 },
        { conversationId: "d:alice:bob", seq: 1 },
        { conversationId: `g:${open.groupId}`, seq: 1 },
      ],
    });
    expect(await eve.next<ErrorFrame>("error")).toEqual({
      type: "error",
      code: "forbidden",
      message: `not a participant of this conversation (g:${secret.groupId})`,
      cid: "mixed",
    });
    expect(
      await alice.next<ReceiptFrame>((f) => f.type === "receipt" && f.kind === "delivered"),
    ).toMatchObject({ conversationId: "d:alice:eve", userId: "eve", seq: 1 });
    await roundTrip(eve, 4);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(eve.all("error"), "one error for the frame").toHaveLength(1);
    // No receipt was forged for the conversations eve is not in.
    expect(alice.all<ReceiptFrame>("receipt").map((r) => r.conversationId)).toEqual([
      "d:alice:eve",
    ]);
    expect(await deliveredSeq("eve", "d:alice:bob")).toBe(0);
    // The entry after the refused ones was applied (a refusal does not drop the rest).
    await eventually(async () => expect(await deliveredSeq("eve", `g:${open.groupId}`)).toBe(1));
    expect(await deliveredSeq("eve", `g:${secret.groupId}`)).toBe(0);
  });

  it("a flood of acks naming made-up groups costs what as many acks would, and gets the connection closed", async () => {
    const storage = createMemoryStorage();
    const groupReads: string[] = [];
    const get = storage.groups.get.bind(storage.groups);
    storage.groups.get = (groupId) => {
      groupReads.push(groupId);
      return get(groupId);
    };
    server = await startServer({ storage });
    const { client: mallory } = await loginWith("mallory", BOTH);
    const frames = 200;
    let sent = 0;
    for (; sent < frames && mallory.closeCode === undefined; sent++) {
      mallory.send({
        type: "acks",
        acks: Array.from({ length: 100 }, (_, i) => ({
          conversationId: `g:made-up-${sent}-${i}`,
          seq: 1,
        })),
      });
    }
    expect(await mallory.closed).toBe(CloseCode.rateLimited);
    // 40 points a second, 10 per frame of 100 entries: 4 frames got through, and each may look
    // up 10 groups that turn out missing (one per point, as 40 single acks could), not 100.
    expect(groupReads.length).toBeLessThanOrEqual(40);
    const errors = mallory.all<ErrorFrame>("error").filter((e) => e.code !== "rate_limited");
    expect(errors.length, "one error per frame").toBeLessThanOrEqual(4);
    expect(server.im.stats().rateLimited).toBeGreaterThan(0);
  });

  it("an external rateLimiter is charged one point per started 10 entries of an acks frame", async () => {
    const charged: number[] = [];
    server = await startServer({
      rateLimiter: {
        async consume(_key, points = 1) {
          charged.push(points);
          return { allowed: true, remaining: 100, retryAfterMs: 0 };
        },
      },
    });
    const { client: bob } = await loginWith("bob", BOTH);
    const acks = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ conversationId: `d:bob:u${i}`, seq: 0 }));
    for (const n of [1, 10, 11, 100]) bob.send({ type: "acks", acks: acks(n) });
    await roundTrip(bob, 1);
    expect(charged).toEqual([1, 1, 2, 10, 1]);
  });

  it("a group found missing is remembered: acking it again reads the store no more, until it is created", async () => {
    const storage = createMemoryStorage();
    const groupReads: string[] = [];
    const get = storage.groups.get.bind(storage.groups);
    storage.groups.get = (groupId) => {
      groupReads.push(groupId);
      return get(groupId);
    };
    server = await startServer({ storage, caches: { group: { missingTtlMs: 60_000 } } });
    const { client: bob } = await loginWith("bob", BOTH);
    for (const ts of [1, 2, 3]) {
      bob.send({
        type: "acks",
        acks: [
          { conversationId: "d:alice:bob", seq: 1 },
          { conversationId: "g:nope", seq: 1 },
        ],
      });
      await roundTrip(bob, ts);
    }
    await eventually(() =>
      expect(bob.all<ErrorFrame>("error").map((e) => e.code)).toEqual([
        "forbidden",
        "forbidden",
        "forbidden",
      ]),
    );
    expect(groupReads).toEqual(["nope"]);
    // A group created since is announced: the cached absence is dropped and bob's ack lands.
    const group = await server.im.groups.create({
      ownerId: "alice",
      name: "new",
      memberIds: ["bob"],
    });
    server.im.storage.groups.get = get;
    bob.send({
      type: "acks",
      acks: [
        { conversationId: "d:alice:bob", seq: 1 },
        { conversationId: `g:${group.groupId}`, seq: 0 },
      ],
    });
    await roundTrip(bob, 4);
    expect(bob.all("error")).toHaveLength(3);
  });

  it("a malformed entry refuses the whole frame with bad_request", async () => {
    server = await startServer();
    const { client: bob } = await loginWith("bob", BOTH);
    bob.send({
      type: "acks",
      cid: "bad",
      acks: [
        { conversationId: "d:alice:bob", seq: 1 },
        { conversationId: "nope", seq: 1 },
      ],
    });
    expect(await bob.next<ErrorFrame>("error")).toMatchObject({ code: "bad_request", cid: "bad" });
  });
});
