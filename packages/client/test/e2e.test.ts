import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createImServer, ImError, type ImServer, type Principal } from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport } from "@lucky-im/transport-ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  type ClientCursorStore,
  createImClient,
  createMemoryCursorStore,
  type ImClient,
  type MessageFrame,
  type SentResult,
} from "../src/index.js";

/** Tokens are "t-<userId>". */
const authenticator = {
  async authenticate(token: string): Promise<Principal> {
    if (!token.startsWith("t-")) throw new ImError("unauthorized", "bad token");
    return { userId: token.slice(2), claims: {} };
  },
};

const quiet = { info() {}, warn() {}, error() {} };

interface Harness {
  http: Server;
  im: ImServer;
  url: string;
  /** Server-side sockets, to kill them from the server side. */
  sockets: Set<Socket>;
}

let h: Harness;
const clients: ImClient[] = [];

beforeEach(async () => {
  const http = createServer();
  const sockets = new Set<Socket>();
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const im = createImServer({
    transport: createWsTransport({ server: http }),
    authenticator,
    logger: quiet,
    // Fast re-pushes exercise the client's de-duplication. The default rate limit
    // (40 frames/s) stays: the client paces its bursts under it.
    limits: { ackTimeoutMs: 300 },
  });
  await im.start();
  const { port } = http.address() as AddressInfo;
  h = { http, im, url: `ws://127.0.0.1:${port}/ws`, sockets };
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await h.im.close();
  for (const socket of h.sockets) socket.destroy();
  await new Promise<void>((resolve) => h.http.close(() => resolve()));
});

/** Drops every connection from the server side (as a crashed proxy or node would). */
function dropAllConnections(): void {
  for (const socket of h.sockets) socket.destroy();
}

interface User {
  client: ImClient;
  messages: MessageFrame[];
  sent: SentResult[];
  connect(): Promise<unknown>;
}

function user(userId: string, store: ClientCursorStore = createMemoryCursorStore()): User {
  const client = createImClient({
    WebSocket,
    cursorStore: store,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    gapTimeoutMs: 200,
  });
  clients.push(client);
  const messages: MessageFrame[] = [];
  const sent: SentResult[] = [];
  client.on("message", (m) => messages.push(m));
  client.on("sent", (s) => sent.push(s));
  return {
    client,
    messages,
    sent,
    connect: () => client.connect({ url: h.url, token: `t-${userId}` }),
  };
}

const text = (t: string) => ({ type: "text", text: t }) as const;
const to = (id: string) => ({ type: "user", id }) as const;
const bodyText = (m: MessageFrame) => (m.body.type === "text" ? m.body.text : "");

function expectInOrderOnce(messages: MessageFrame[], conversationId: string): void {
  const seqs = messages.filter((m) => m.conversationId === conversationId).map((m) => m.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(new Set(messages.map((m) => m.messageId)).size).toBe(messages.length);
}

async function storedMessages(conversationId: string) {
  return h.im.storage.messages.range(conversationId, { afterSeq: 0, limit: 10_000 });
}

describe("client e2e (core engine, ws transport, in-memory adapters)", () => {
  it("two users chat", async () => {
    const alice = user("alice");
    const bob = user("bob");
    await Promise.all([alice.connect(), bob.connect()]);
    const first = await alice.client.send(to("bob"), text("hi bob"));
    expect(first).toMatchObject({ conversationId: "d:alice:bob", seq: 1 });
    await bob.client.send(to("alice"), text("hi alice"));
    await alice.client.send(to("bob"), text("how are you"));
    await eventually(() => bob.messages.length === 2 && alice.messages.length === 1, {
      message: "the chat",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(bob.messages.map(bodyText)).toEqual(["hi bob", "how are you"]);
    expect(bob.messages.map((m) => m.seq)).toEqual([1, 3]);
    expect(alice.messages.map(bodyText)).toEqual(["hi alice"]);
    expect(alice.messages[0]!.from).toBe("bob");
    await eventually(
      () =>
        alice.client.cursors()["d:alice:bob"] === 3 && bob.client.cursors()["d:alice:bob"] === 3,
      { message: "cursors at 3", timeoutMs: 10_000, intervalMs: 5 },
    );
  });

  it("a group of 5", async () => {
    const ids = ["u0", "u1", "u2", "u3", "u4"];
    const users = ids.map((id) => user(id));
    await Promise.all(users.map((u) => u.connect()));
    const group = await h.im.groups.create({
      ownerId: "u0",
      name: "five",
      memberIds: ids.slice(1),
    });
    const conversationId = `g:${group.groupId}`;
    await Promise.all(
      users.map((u, i) =>
        u.client.send({ type: "group", id: group.groupId }, text(`from ${ids[i]}`)),
      ),
    );
    for (const [i, u] of users.entries()) {
      await eventually(() => u.messages.length === 4, {
        message: `${ids[i]} gets 4 messages`,
        timeoutMs: 10_000,
        intervalMs: 5,
      });
      expectInOrderOnce(u.messages, conversationId);
      expect(u.messages.map((m) => m.from).sort()).toEqual(ids.filter((id) => id !== ids[i]));
      await eventually(() => u.client.cursors()[conversationId] === 5, {
        message: `${ids[i]} cursor at 5`,
        timeoutMs: 10_000,
        intervalMs: 5,
      });
    }
    expect(await storedMessages(conversationId)).toHaveLength(5);
  });

  it("a user with two devices sees its own sends on the other device", async () => {
    const phone = user("alice");
    const laptop = user("alice");
    const bob = user("bob");
    await Promise.all([phone.connect(), laptop.connect(), bob.connect()]);
    const sent = await phone.client.send(to("bob"), text("from my phone"));
    await eventually(() => laptop.messages.length === 1 && bob.messages.length === 1, {
      message: "both copies",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(laptop.messages[0]).toMatchObject({ messageId: sent.messageId, from: "alice" });
    expect(bob.messages[0]!.messageId).toBe(sent.messageId);
    expect(phone.messages).toHaveLength(0); // the sending device gets `sent`, not `message`
    const reply = await bob.client.send(to("alice"), text("hi both"));
    await eventually(() => phone.messages.length === 1 && laptop.messages.length === 2, {
      message: "reply on both",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(phone.messages[0]!.messageId).toBe(reply.messageId);
  });

  it("offline then back: 100 messages arrive after reconnect, in seq order, exactly once", async () => {
    const alice = user("alice");
    const bobStore = createMemoryCursorStore();
    const bob = user("bob", bobStore);
    await Promise.all([alice.connect(), bob.connect()]);
    await alice.client.send(to("bob"), text("before"));
    await eventually(() => bob.messages.length === 1, {
      message: "the first message",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await bob.client.close();
    expect(await bobStore.load("bob")).toEqual({ "d:alice:bob": 1 });

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => alice.client.send(to("bob"), text(`m${i}`))),
    );
    expect(new Set(results.map((r) => r.seq)).size).toBe(100);

    // A new client on the same cursor store: a reopened app.
    const bobAgain = user("bob", bobStore);
    await bobAgain.connect();
    await eventually(() => bobAgain.messages.length === 100, {
      message: "100 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(bobAgain.messages.map((m) => m.seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 2),
    );
    expect(bobAgain.messages.map(bodyText)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    // Re-pushes (ackTimeoutMs 300) and syncs must not show anything twice.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(bobAgain.messages).toHaveLength(100);
    expectInOrderOnce(bobAgain.messages, "d:alice:bob");
  });

  it("200 messages of 15 KB while offline: the sync brings every one and ends with synced (issue 13, item 4)", async () => {
    const alice = user("alice");
    await alice.connect();
    const big = "x".repeat(15_000);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => alice.client.send(to("bob"), text(`${i}:${big}`))),
    );

    const bob = user("bob");
    const synced: boolean[] = [];
    bob.client.on("synced", (frame) => synced.push(frame.more));
    await bob.connect();
    await eventually(() => bob.messages.length === 200, {
      message: "200 messages",
      timeoutMs: 30_000,
      intervalMs: 5,
    });
    await eventually(() => synced.at(-1) === false, {
      message: "the last synced",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(bob.messages.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expectInOrderOnce(bob.messages, "d:alice:bob");
  });

  it("the server drops every connection mid-stream: clients reconnect by themselves, nothing lost", async () => {
    const alice = user("alice");
    const bob = user("bob");
    await Promise.all([alice.connect(), bob.connect()]);
    const reconnects = { alice: 0, bob: 0 };
    alice.client.on("ready", () => reconnects.alice++);
    bob.client.on("ready", () => reconnects.bob++);

    const sends: Promise<SentResult>[] = [];
    for (let i = 0; i < 60; i++) {
      sends.push(alice.client.send(to("bob"), text(`n${i}`)));
      if (i === 20) {
        await eventually(() => bob.messages.length > 0, {
          message: "the stream to start",
          timeoutMs: 10_000,
          intervalMs: 5,
        });
        dropAllConnections();
      }
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const results = await Promise.all(sends);
    await eventually(() => bob.messages.length === 60, {
      message: "60 messages at bob",
      timeoutMs: 20_000,
      intervalMs: 5,
    });
    expect(reconnects.alice).toBeGreaterThanOrEqual(1);
    expect(reconnects.bob).toBeGreaterThanOrEqual(1);
    // Every text exactly once. (Send order is not asserted: on a loaded machine a
    // burst after the reconnect can still hit the server's rate limit, and the
    // refused send is retried after later ones.)
    expect(bob.messages.map(bodyText).sort()).toEqual(
      Array.from({ length: 60 }, (_, i) => `n${i}`).sort(),
    );
    expectInOrderOnce(bob.messages, "d:alice:bob");
    const stored = await storedMessages("d:alice:bob");
    expect(stored).toHaveLength(60);
    expect(new Set(stored.map((m) => m.cid)).size).toBe(60);
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(stored.map((m) => m.seq));
    expect(new Set(results.map((r) => r.messageId))).toEqual(
      new Set(stored.map((m) => m.messageId)),
    );
  });

  it("presence: subscribePresence gets presenceState, then presence; the list is sent again after a reconnect; profile and settings frames arrive as events", async () => {
    const alice = user("alice");
    const bob = user("bob");
    await Promise.all([alice.connect(), bob.connect()]);
    const { conversationId } = await alice.client.send(to("bob"), text("hi"));
    const states: unknown[] = [];
    const changes: Array<{ userId: string; online: boolean }> = [];
    alice.client.on("presenceState", (f) => states.push(f.users));
    alice.client.on("presence", (f) => changes.push({ userId: f.userId, online: f.online }));
    expect(alice.client.subscribePresence(["bob"])).toBe(true);
    await eventually(() => states.length === 1, { message: "presence_state" });
    expect(states[0]).toEqual([{ userId: "bob", online: true }]);

    await bob.client.close();
    await eventually(() => changes.some((c) => !c.online), { message: "bob offline" });
    // Alice's connection drops: the client subscribes again by itself.
    dropAllConnections();
    await eventually(() => states.length === 2, {
      message: "presence_state after the reconnect",
      timeoutMs: 10_000,
    });
    expect(states[1]).toEqual([{ userId: "bob", online: false, lastSeen: expect.any(Number) }]);

    const profiles: string[] = [];
    const settings: boolean[] = [];
    alice.client.on("profile", (f) => profiles.push(f.displayName));
    alice.client.on("conversationSettings", (f) => settings.push(f.archived));
    await h.im.profiles.update("bob", { displayName: "Bob B." });
    await h.im.conversationSettings.update("alice", conversationId, { archived: true });
    await eventually(() => profiles.length === 1 && settings.length === 1, {
      message: "profile and settings",
    });
    expect(profiles).toEqual(["Bob B."]);
    expect(settings).toEqual([true]);
  });

  it("a send in flight during the drop is stored once", async () => {
    const alice = user("alice");
    const bob = user("bob");
    await Promise.all([alice.connect(), bob.connect()]);
    // Vary the moment of the drop relative to the send.
    for (let round = 0; round < 6; round++) {
      const promise = alice.client.send(to("bob"), text(`in flight ${round}`));
      if (round % 2 === 1) await new Promise((resolve) => setImmediate(resolve));
      if (round >= 4) await new Promise((resolve) => setTimeout(resolve, 1));
      dropAllConnections();
      const result = await promise;
      const stored = (await storedMessages("d:alice:bob")).filter((m) => m.cid === result.cid);
      expect(stored).toHaveLength(1);
      expect(stored[0]!.messageId).toBe(result.messageId);
      await eventually(() => bob.messages.length === round + 1, {
        message: `bob gets message ${round}`,
        timeoutMs: 10_000,
        intervalMs: 5,
      });
    }
    expect(await storedMessages("d:alice:bob")).toHaveLength(6);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bob.messages.map(bodyText)).toEqual(
      Array.from({ length: 6 }, (_, i) => `in flight ${i}`),
    );
    expect(alice.sent).toHaveLength(6);
  });
});
