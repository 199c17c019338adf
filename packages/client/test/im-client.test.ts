import { eventually } from "@lucky-im/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createImClient,
  createLocalStorageCursorStore,
  createMemoryCursorStore,
  type ImClient,
  ImClientError,
  type ImClientOptions,
  type MessageFrame,
  type StorageLike,
} from "../src/index.js";
import { type FakeConnection, FakeServer, messageFrame } from "./fake-server.js";

const C = "d:alice:bob";

const servers: FakeServer[] = [];
const clients: ImClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(options: ImClientOptions = {}) {
  const server = await FakeServer.start();
  servers.push(server);
  const client = createImClient({
    WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    gapTimeoutMs: 100,
    ...options,
  });
  clients.push(client);
  const messages: MessageFrame[] = [];
  const errors: ImClientError[] = [];
  client.on("message", (m) => messages.push(m));
  client.on("error", (e) => errors.push(e));
  return { server, client, messages, errors };
}

/** Connects and plays the server side up to the first `sync`. */
async function connected(options: ImClientOptions = {}) {
  const ctx = await setup(options);
  const ready = ctx.client.connect({ url: ctx.server.url, token: "t-alice" });
  const conn = await ctx.server.nextConnection();
  await conn.accept("alice");
  await ready;
  const sync = await conn.next("sync");
  return { ...ctx, conn, sync };
}

/** `count` text sends to bob ("q0", "q1", ...), made before or while connecting. */
function queueSends(client: ImClient, count: number) {
  return Array.from({ length: count }, (_, i) =>
    client.send({ type: "user", id: "bob" }, { type: "text", text: `q${i}` }),
  );
}

/** Answers every `send` the connection received with a `sent` (at `seqOf(cid)`, default 1). */
function answerSends(conn: FakeConnection, seqOf: (cid: string) => number = () => 1): void {
  for (const frame of conn.all("send")) {
    conn.send({
      type: "sent",
      cid: frame.cid,
      messageId: `m-${frame.cid}`,
      conversationId: C,
      seq: seqOf(String(frame.cid)),
      ts: 1,
    });
  }
}

const text = (m: MessageFrame) => (m.body.type === "text" ? m.body.text : "");

describe("connect", () => {
  it("asks a url function before every attempt, so it can move to another server after a drop", async () => {
    const first = await FakeServer.start();
    const second = await FakeServer.start();
    servers.push(first, second);
    const client = createImClient({
      WebSocket,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    clients.push(client);
    const urls = [first.url, second.url];
    let calls = 0;
    const ready = client.connect({ url: async () => urls[calls++ % 2]!, token: "t-alice" });
    const one = await first.nextConnection();
    await one.accept("alice");
    await ready;
    one.socket.terminate();
    const two = await second.nextConnection();
    await two.accept("alice");
    await eventually(() => client.state === "open", {
      message: "the client open on the second server",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(calls).toBe(2);
  });

  it("authenticates with the first frame, offers lucky-im.v1, then syncs from its cursors", async () => {
    const store = createMemoryCursorStore();
    await store.save("alice", { [C]: 7, "g:1": 3 });
    const { server, client } = await setup({
      cursorStore: store,
      device: { id: "d1", class: "web" },
    });
    const states: string[] = [];
    client.on("state", (s) => states.push(s));
    const ready = client.connect({ url: server.url, token: "t-alice" });
    const conn = await server.nextConnection();
    const auth = await conn.accept("alice");
    expect(conn.protocol).toBe("lucky-im.v1");
    expect(auth).toEqual({
      type: "auth",
      token: "t-alice",
      device: { id: "d1", class: "web" },
      capabilities: ["receipt-batch", "ack-batch", "sent-batch"],
    });
    expect((await ready).userId).toBe("alice");
    const sync = await conn.next("sync");
    expect(sync.cursors).toEqual({ [C]: 7, "g:1": 3 });
    expect(client.state).toBe("open");
    expect(states).toEqual(["connecting", "open"]);
    // Nothing but auth came before ready.
    expect(conn.frames[0]!.type).toBe("auth");
  });

  it("pages: synced with more:true sends sync again with the advanced cursors", async () => {
    const { conn, messages } = await connected();
    conn.send(messageFrame(1));
    conn.send(messageFrame(2));
    conn.send({ type: "synced", conversations: [{ conversationId: C, lastSeq: 3 }], more: true });
    const again = await conn.next("sync");
    expect(again.cursors).toEqual({ [C]: 2 });
    conn.send(messageFrame(3));
    conn.send({ type: "synced", conversations: [{ conversationId: C, lastSeq: 3 }], more: false });
    await eventually(() => messages.length === 3, {
      message: "3 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("anchors a conversation it did not know at the first seq the sync returned", async () => {
    const { conn, messages, client } = await connected();
    // The server syncs this new device from the user's delivered cursor (40).
    for (const seq of [41, 42]) conn.send(messageFrame(seq));
    conn.send({
      type: "synced",
      conversations: [
        { conversationId: C, lastSeq: 42 },
        { conversationId: "g:9", lastSeq: 5 },
      ],
      more: false,
    });
    await eventually(() => messages.length === 2, {
      message: "2 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages.map((m) => m.seq)).toEqual([41, 42]);
    expect(client.cursors()).toEqual({ [C]: 42, "g:9": 5 });
    // Not downloading the history before 41 again.
    expect(conn.all("sync")).toHaveLength(1);
  });
});

describe("ordering", () => {
  it("delivers out-of-order messages in seq order", async () => {
    const store = createMemoryCursorStore();
    await store.save("alice", { [C]: 5 });
    const { conn, messages } = await connected({ cursorStore: store });
    for (const seq of [8, 6, 9, 7]) conn.send(messageFrame(seq));
    await eventually(() => messages.length === 4, {
      message: "4 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages.map((m) => m.seq)).toEqual([6, 7, 8, 9]);
    expect(messages.map(text)).toEqual(["hello 6", "hello 7", "hello 8", "hello 9"]);
  });

  it("emits a duplicate messageId once (and acks it again)", async () => {
    const { conn, messages } = await connected();
    const first = messageFrame(1);
    conn.send(first);
    conn.send(first);
    conn.send(messageFrame(2));
    await eventually(() => messages.length === 2, {
      message: "2 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    const acks = async () => {
      await eventually(() => conn.all("ack").some((a) => a.seq === 2), {
        message: "ack 2",
        timeoutMs: 10_000,
        intervalMs: 5,
      });
    };
    await acks();
    const before = conn.all("ack").length;
    conn.send(first); // re-pushed: the server did not see our ack
    await eventually(() => conn.all("ack").length > before, {
      message: "a re-ack",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    conn.send(messageFrame(3));
    await eventually(() => messages.length === 3, {
      message: "3 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages.map((m) => m.messageId)).toEqual([
      first.messageId,
      messages[1]!.messageId,
      messages[2]!.messageId,
    ]);
    expect(new Set(messages.map((m) => m.messageId)).size).toBe(3);
  });

  it("detects a gap and fills it with sync", async () => {
    const store = createMemoryCursorStore();
    await store.save("alice", { [C]: 5 });
    const { conn, messages } = await connected({ cursorStore: store });
    conn.send({ type: "synced", conversations: [{ conversationId: C, lastSeq: 5 }], more: false });
    conn.send(messageFrame(7));
    conn.send(messageFrame(8));
    const gapSync = await conn.next("sync");
    expect(gapSync.cursors).toEqual({ [C]: 5 });
    expect(messages).toHaveLength(0); // 7 and 8 wait for 6
    conn.send(messageFrame(6));
    conn.send(messageFrame(7));
    conn.send(messageFrame(8));
    conn.send({ type: "synced", conversations: [{ conversationId: C, lastSeq: 8 }], more: false });
    await eventually(() => messages.length === 3, {
      message: "3 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages.map((m) => m.seq)).toEqual([6, 7, 8]);
  });

  it("skips a seq the server does not have after maxGapSyncs complete syncs", async () => {
    const store = createMemoryCursorStore();
    await store.save("alice", { [C]: 5 });
    const { conn, messages } = await connected({ cursorStore: store, maxGapSyncs: 2 });
    conn.send({ type: "synced", conversations: [{ conversationId: C, lastSeq: 5 }], more: false });
    conn.send(messageFrame(7));
    for (let round = 0; round < 2; round++) {
      await conn.next("sync");
      conn.send(messageFrame(7));
      conn.send({
        type: "synced",
        conversations: [{ conversationId: C, lastSeq: 7 }],
        more: false,
      });
    }
    await eventually(() => messages.length === 1, {
      message: "message 7",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages[0]!.seq).toBe(7);
  });

  it("skips at once what the server no longer has (synced oldestSeq), says so, and syncs no more", async () => {
    const store = createMemoryCursorStore();
    await store.save("alice", { [C]: 5 });
    const { client, conn, sync, messages } = await connected({
      cursorStore: store,
      maxGapSyncs: 3,
    });
    expect(sync.cursors).toEqual({ [C]: 5 });
    const trimmed: unknown[] = [];
    client.on("trimmed", (info) => trimmed.push(info));
    // The server kept 50.. only: its answer starts there.
    conn.send(messageFrame(50));
    conn.send(messageFrame(51));
    conn.send({
      type: "synced",
      conversations: [{ conversationId: C, lastSeq: 51, oldestSeq: 50 }],
      more: false,
    });
    await eventually(() => messages.length === 2, {
      message: "messages 50 and 51",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages.map((m) => m.seq)).toEqual([50, 51]);
    expect(trimmed).toEqual([{ conversationId: C, fromSeq: 6, toSeq: 49 }]);
    await eventually(() => conn.all("ack").some((a) => a.seq === 51), {
      message: "ack 51",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    // No gap left to fill: well past the gap timeout, no further sync was sent.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(conn.all("sync")).toHaveLength(1);
  });

  it("acks cumulatively and batched, never past a gap", async () => {
    const { conn, messages } = await connected({ ackDelayMs: 200 });
    for (let seq = 1; seq <= 20; seq++) conn.send(messageFrame(seq));
    conn.send(messageFrame(22)); // 21 is missing
    await eventually(() => messages.length === 20, {
      message: "20 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await eventually(() => conn.all("ack").some((a) => a.seq === 20), {
      message: "ack 20",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    const acks = conn.all("ack");
    expect(acks.length).toBeLessThan(20);
    expect(acks.every((a) => a.conversationId === C)).toBe(true);
    expect(acks.map((a) => a.seq)).toEqual(
      [...acks.map((a) => a.seq)].sort((a, b) => Number(a) - Number(b)),
    );
    expect(acks.some((a) => Number(a.seq) > 20)).toBe(false);
  });
});

describe("batched acks and receipts (docs/protocol.md §1.8, §3.3, §5.3)", () => {
  /** Connects to a fake server whose `ready` carries `ready`'s fields; plays up to the first `sync`. */
  async function connectedWith(ready: Record<string, unknown>, options: ImClientOptions = {}) {
    const ctx = await setup(options);
    const opened = ctx.client.connect({ url: ctx.server.url, token: "t-alice" });
    const conn = await ctx.server.nextConnection();
    await conn.accept("alice", { ready });
    await opened;
    await conn.next("sync");
    return { ...ctx, conn };
  }

  const conversations = ["d:alice:bob", "d:alice:carol", "g:team"];

  it("acks several conversations in acks frames of at most the server's maxAcksPerFrame", async () => {
    const { conn, messages } = await connectedWith(
      { capabilities: ["ack-batch"], maxAcksPerFrame: 2 },
      { ackDelayMs: 100 },
    );
    for (const conversationId of conversations) conn.send(messageFrame(1, { conversationId }));
    await eventually(() => messages.length === 3, { message: "3 messages", intervalMs: 5 });
    await eventually(() => conn.all("acks").length + conn.all("ack").length >= 2, {
      message: "the acks",
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    const batched = conn.all("acks");
    expect(batched).toHaveLength(1);
    const single = conn.all("ack");
    expect(single).toHaveLength(1);
    const acked = [
      ...(batched[0]!.acks as { conversationId: string; seq: number }[]),
      { conversationId: single[0]!.conversationId as string, seq: single[0]!.seq as number },
    ];
    expect(acked.map((a) => a.conversationId).sort()).toEqual([...conversations].sort());
    expect(acked.every((a) => a.seq === 1)).toBe(true);
  });

  it("sends one ack frame per conversation to a server whose ready does not echo ack-batch", async () => {
    const { conn, messages } = await connectedWith({}, { ackDelayMs: 100 });
    for (const conversationId of conversations) conn.send(messageFrame(1, { conversationId }));
    await eventually(() => messages.length === 3, { message: "3 messages", intervalMs: 5 });
    await eventually(() => conn.all("ack").length === 3, {
      message: "3 acks",
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    expect(conn.all("acks")).toHaveLength(0);
  });

  it("emits one receipt event per entry of a receipts frame, as for receipt frames", async () => {
    const { conn, client } = await connectedWith({ capabilities: ["receipt-batch"] });
    const receipts: unknown[] = [];
    client.on("receipt", (r) => receipts.push(r));
    conn.send({
      type: "receipts",
      receipts: [
        { conversationId: "d:alice:bob", userId: "bob", seq: 4, kind: "delivered" },
        { conversationId: "d:alice:bob", userId: "bob", seq: 3, kind: "read" },
      ],
    });
    conn.send({
      type: "receipt",
      conversationId: "g:team",
      userId: "carol",
      seq: 9,
      kind: "read",
    });
    await eventually(() => receipts.length === 3, { message: "3 receipts", intervalMs: 5 });
    expect(receipts).toEqual([
      { type: "receipt", conversationId: "d:alice:bob", userId: "bob", seq: 4, kind: "delivered" },
      { type: "receipt", conversationId: "d:alice:bob", userId: "bob", seq: 3, kind: "read" },
      { type: "receipt", conversationId: "g:team", userId: "carol", seq: 9, kind: "read" },
    ]);
  });
});

describe("another account", () => {
  it("a reconnect as another user saves the previous user's cursors but sends none of its acks", async () => {
    const cursorStore = createMemoryCursorStore();
    let user = "alice";
    const { server, client, messages } = await setup({ ackDelayMs: 10_000, cursorStore });
    const ready = client.connect({ url: server.url, getToken: () => `t-${user}` });
    const conn1 = await server.nextConnection();
    await conn1.accept("alice");
    await ready;
    await conn1.next("sync");
    for (let seq = 1; seq <= 3; seq++) conn1.send(messageFrame(seq));
    await eventually(() => messages.length === 3, {
      message: "3 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    user = "carol";
    conn1.socket.terminate(); // before the ack timer fires

    const conn2 = await server.nextConnection();
    await conn2.accept("carol");
    await conn2.next("sync");
    await client.ping();
    expect(conn2.all("ack")).toEqual([]);
    expect(await cursorStore.load("alice")).toEqual({ [C]: 3 });
  });
});

describe("send", () => {
  it("resolves on sent, rejects on an error with its cid", async () => {
    const { conn, client } = await connected();
    const sentEvents: unknown[] = [];
    client.on("sent", (s) => sentEvents.push(s));
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "hi" });
    const frame = await conn.next("send");
    expect(frame.to).toEqual({ type: "user", id: "bob" });
    expect(frame.body).toEqual({ type: "text", text: "hi" });
    conn.send({ type: "sent", cid: frame.cid, messageId: "m1", conversationId: C, seq: 1, ts: 1 });
    await expect(promise).resolves.toEqual({
      cid: frame.cid,
      messageId: "m1",
      conversationId: C,
      seq: 1,
      ts: 1,
    });
    expect(sentEvents).toHaveLength(1);
    expect(client.cursors()[C]).toBe(1); // our own seq counts as delivered

    const failing = client.send({ type: "group", id: "42" }, { type: "text", text: "x" });
    const frame2 = await conn.next("send");
    conn.send({ type: "error", code: "forbidden", message: "not a member", cid: frame2.cid });
    await expect(failing).rejects.toMatchObject({
      code: "forbidden",
      cid: frame2.cid,
      isImError: true,
    });
    expect(client.pendingSends).toBe(0);
  });

  it("saves the cursor past its own sends without acking them (the server moved it at send)", async () => {
    const store = createMemoryCursorStore();
    const { conn, client, messages } = await connected({ cursorStore: store, ackDelayMs: 20 });
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "mine" });
    const frame = await conn.next("send");
    conn.send({ type: "sent", cid: frame.cid, messageId: "m1", conversationId: C, seq: 1, ts: 1 });
    await promise;
    await eventually(async () => (await store.load("alice"))[C] === 1, {
      message: "the saved cursor",
      intervalMs: 5,
    });
    expect(conn.all("ack")).toHaveLength(0);
    // A message from bob after it moves the cursor past a seq the server has not counted: acked.
    conn.send(messageFrame(2));
    await eventually(() => messages.length === 1, { message: "bob's message", intervalMs: 5 });
    const ack = await conn.next("ack");
    expect(ack).toMatchObject({ conversationId: C, seq: 2 });
  });

  it("re-sends a send refused with rate_limited (same cid) instead of failing it", async () => {
    const { conn, client } = await connected({ sendRetryDelayMs: 20 });
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "hi" });
    const first = await conn.next("send");
    conn.send({ type: "error", code: "rate_limited", message: "slow down", cid: first.cid });
    const second = await conn.next("send");
    expect(second.cid).toBe(first.cid);
    conn.send({ type: "sent", cid: first.cid, messageId: "m1", conversationId: C, seq: 1, ts: 1 });
    await expect(promise).resolves.toMatchObject({ messageId: "m1" });
  });

  it("gives up on rate_limited after maxRateLimitedRetries", async () => {
    const { conn, client } = await connected({ sendRetryDelayMs: 10, maxRateLimitedRetries: 2 });
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "hi" });
    for (let i = 0; i < 3; i++) {
      const frame = await conn.next("send");
      conn.send({ type: "error", code: "rate_limited", message: "slow down", cid: frame.cid });
    }
    await expect(promise).rejects.toMatchObject({ code: "rate_limited" });
    expect(conn.all("send")).toHaveLength(3);
  });

  it("paces a burst of queued sends to maxFramesPerSecond", async () => {
    const sentAt: number[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        const send = this.send.bind(this);
        this.send = ((data: string) => {
          sentAt.push(Date.now());
          send(data);
        }) as WebSocket["send"];
      }
    }
    const { server, client } = await setup({
      maxFramesPerSecond: 5,
      WebSocket: RecordingWebSocket,
    });
    const sends = queueSends(client, 8);
    const ready = client.connect({ url: server.url, token: "t-alice" });
    const conn = await server.nextConnection();
    await conn.accept("alice");
    await ready;
    await eventually(() => conn.all("send").length === 8, {
      message: "8 sends",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    // No one-second window carried more than 5 frames (auth and sync included);
    // a slow machine only spreads them further apart.
    expect(sentAt.length).toBe(10);
    for (const start of sentAt) {
      expect(sentAt.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
    }
    answerSends(conn);
    await Promise.all(sends);
    expect(conn.all("send").map((f) => (f.body as { text: string }).text)).toEqual(
      Array.from({ length: 8 }, (_, i) => `q${i}`),
    );
  });

  it("rejects a message over maxPayloadBytes without sending it", async () => {
    const { conn, client } = await connected({ maxPayloadBytes: 1024 });
    await expect(
      client.send({ type: "user", id: "bob" }, { type: "text", text: "x".repeat(2000) }),
    ).rejects.toMatchObject({ code: "too_large" });
    await client.ping().catch(() => undefined);
    expect(conn.all("send")).toHaveLength(0);
  });

  it("survives a server-side terminate: reconnects and re-sends with the same cid, resolving once", async () => {
    let tokens = 0;
    const { server, client } = await setup();
    const sentEvents: unknown[] = [];
    const disconnects: number[] = [];
    client.on("sent", (s) => sentEvents.push(s));
    client.on("disconnect", (d) => disconnects.push(d.code));
    const ready = client.connect({ url: server.url, getToken: () => `t-alice-${++tokens}` });
    const conn1 = await server.nextConnection();
    await conn1.accept("alice");
    await ready;
    await conn1.next("sync");
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "once" });
    const first = await conn1.next("send");
    conn1.socket.terminate(); // the server drops the connection before answering

    const conn2 = await server.nextConnection();
    const auth = await conn2.accept("alice");
    expect(auth.token).toBe("t-alice-2"); // a fresh token on reconnect
    await conn2.next("sync");
    const again = await conn2.next("send");
    expect(again.cid).toBe(first.cid);
    const sent = {
      type: "sent",
      cid: first.cid,
      messageId: "m9",
      conversationId: C,
      seq: 1,
      ts: 5,
    };
    conn2.send(sent);
    conn2.send(sent); // a duplicate answer changes nothing
    await expect(promise).resolves.toMatchObject({ messageId: "m9", seq: 1 });
    await client.ping();
    expect(sentEvents).toHaveLength(1);
    expect(disconnects).toEqual([1006]);
    expect(client.state).toBe("open");
  });

  it("resolves a re-sent send from its own message returned by sync, not as a message event", async () => {
    const { server, client, messages } = await setup();
    const ready = client.connect({ url: server.url, token: "t-alice" });
    const conn1 = await server.nextConnection();
    await conn1.accept("alice");
    await ready;
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "mine" });
    const first = await conn1.next("send");
    conn1.socket.close(1001, "draining");
    const conn2 = await server.nextConnection();
    await conn2.accept("alice");
    await conn2.next("sync");
    conn2.send(messageFrame(1, { from: "alice", cid: String(first.cid), messageId: "m-own" }));
    conn2.send(messageFrame(2));
    await expect(promise).resolves.toMatchObject({ messageId: "m-own", seq: 1 });
    await eventually(() => messages.length === 1, {
      message: "message 2",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(messages[0]!.seq).toBe(2);
  });

  it("queues sends made before connect and while reconnecting", async () => {
    const { server, client } = await setup();
    const early = client.send({ type: "user", id: "bob" }, { type: "text", text: "early" });
    const ready = client.connect({ url: server.url, token: "t-alice" });
    const conn = await server.nextConnection();
    await conn.accept("alice");
    await ready;
    const frame = await conn.next("send");
    conn.send({ type: "sent", cid: frame.cid, messageId: "m1", conversationId: C, seq: 1, ts: 1 });
    await expect(early).resolves.toMatchObject({ messageId: "m1" });
  });
});

describe("close codes", () => {
  it("4403 (suspended by an admin) stops reconnecting with a forbidden error", async () => {
    const { server, client, conn, errors } = await connected();
    const disconnects: boolean[] = [];
    client.on("disconnect", (d) => disconnects.push(d.willReconnect));
    conn.socket.close(4403, "suspended");
    await eventually(() => client.state === "closed", {
      message: "closed",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(errors.find((e) => e.code === "forbidden")?.closeCode).toBe(4403);
    expect(disconnects).toEqual([false]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.connections).toHaveLength(1);
  });

  it("4409 (session replaced) stops reconnecting and rejects pending sends", async () => {
    const { server, client, conn, errors } = await connected();
    const disconnects: boolean[] = [];
    client.on("disconnect", (d) => disconnects.push(d.willReconnect));
    const pending = client.send({ type: "user", id: "bob" }, { type: "text", text: "x" });
    await conn.next("send");
    conn.socket.close(4409, "replaced");
    await expect(pending).rejects.toMatchObject({ code: "conflict" });
    await eventually(() => client.state === "closed", {
      message: "closed",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(errors.map((e) => e.code)).toContain("conflict");
    expect(errors.find((e) => e.code === "conflict")?.closeCode).toBe(4409);
    expect(disconnects).toEqual([false]);
    // Reconnects would come within ~100 ms; give them far more than that.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.connections).toHaveLength(1);
    await expect(
      client.send({ type: "user", id: "bob" }, { type: "text", text: "y" }),
    ).rejects.toMatchObject({
      code: "unavailable",
    });
  });

  it("4008 (too slow) reconnects with the ordinary backoff and syncs from its cursors", async () => {
    const { server, client, conn } = await connected({
      reconnect: { initialDelayMs: 20, maxDelayMs: 100, rateLimitedDelayMs: 60_000 },
    });
    const disconnects: Array<{ code: number; willReconnect: boolean }> = [];
    client.on("disconnect", (d) =>
      disconnects.push({ code: d.code, willReconnect: d.willReconnect }),
    );
    for (let seq = 1; seq <= 3; seq++) conn.send(messageFrame(seq));
    await eventually(() => client.state === "open" && disconnects.length === 0, {
      message: "open",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    conn.socket.close(4008, "too slow: send queue full");

    // Not the 60 s rate-limited delay: the test would time out.
    const again = await server.nextConnection();
    await again.accept("alice");
    expect((await again.next("sync")).cursors).toEqual({ [C]: 3 });
    expect(disconnects).toEqual([{ code: 4008, willReconnect: true }]);
  });

  it("4401 gets a fresh token and retries; gives up after maxAuthRetries", async () => {
    const { server, client, errors } = await setup({ maxAuthRetries: 2 });
    const tokens: string[] = [];
    const ready = client.connect({
      url: server.url,
      getToken: () => {
        tokens.push(`t${tokens.length + 1}`);
        return tokens.at(-1)!;
      },
    });
    const conn1 = await server.nextConnection();
    expect((await conn1.next("auth")).token).toBe("t1");
    conn1.socket.close(4401, "expired");
    const conn2 = await server.nextConnection();
    expect((await conn2.next("auth")).token).toBe("t2");
    conn2.socket.close(4401, "expired");
    const conn3 = await server.nextConnection();
    expect((await conn3.next("auth")).token).toBe("t3");
    conn3.socket.close(4401, "expired");
    await expect(ready).rejects.toMatchObject({ code: "unauthorized", closeCode: 4401 });
    expect(tokens).toEqual(["t1", "t2", "t3"]);
    expect(client.state).toBe("closed");
    expect(errors.map((e) => e.code)).toEqual(["unauthorized"]);
  });

  it("4401 then a good token: connected", async () => {
    const { server, client } = await setup();
    let n = 0;
    const ready = client.connect({ url: server.url, getToken: async () => `t${++n}` });
    const conn1 = await server.nextConnection();
    await conn1.next("auth");
    conn1.socket.close(4401, "expired");
    const conn2 = await server.nextConnection();
    expect((await conn2.accept("alice")).token).toBe("t2");
    await expect(ready).resolves.toMatchObject({ userId: "alice" });
  });

  it("stops when getToken answers unauthorized", async () => {
    const { server, client, errors } = await setup();
    const ready = client.connect({
      url: server.url,
      getToken: () => {
        throw new ImClientError("unauthorized", "refresh token revoked");
      },
    });
    await expect(ready).rejects.toMatchObject({ code: "unauthorized" });
    expect(server.connections).toHaveLength(0);
    expect(client.state).toBe("closed");
    expect(errors.map((e) => e.code)).toEqual(["unauthorized"]);
  });

  it("auth_expiring: sends a fresh auth on the open connection", async () => {
    const { server, client } = await setup();
    let n = 0;
    const reauth: string[] = [];
    client.on("reauthenticated", (r) => reauth.push(r.sessionId));
    const ready = client.connect({ url: server.url, getToken: async () => `t${++n}` });
    const conn = await server.nextConnection();
    await conn.accept("alice");
    await ready;
    await conn.next("sync");
    conn.send({ type: "auth_expiring", expiresAt: Date.now() + 30_000 });
    const auth = await conn.accept("alice");
    expect(auth.token).toBe("t2");
    await eventually(() => reauth.length === 1, {
      message: "reauthenticated",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(server.connections).toHaveLength(1);
    expect(conn.all("sync")).toHaveLength(1);
    expect(client.state).toBe("open");
  });

  it("close() stops: no reconnect, nothing left running", async () => {
    const { server, client, conn } = await connected();
    await client.close();
    expect(client.state).toBe("closed");
    await eventually(() => conn.closed !== undefined, {
      message: "server sees the close",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(conn.closed?.code).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.connections).toHaveLength(1);
  });
});

describe("other frames", () => {
  it("read, recall, typing, signal, ping go out; events come in", async () => {
    const { conn, client } = await connected();
    const events: string[] = [];
    for (const name of ["receipt", "recalled", "typing", "signal", "presence", "group"] as const) {
      client.on(name, () => events.push(name));
    }
    client.read(C, 3);
    expect(client.recall("m1")).toBe(true);
    expect(client.typing({ type: "user", id: "bob" })).toBe(true);
    expect(client.signal("bob", "call-1", { kind: "invite" })).toBe(true);
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
    expect(await conn.next("ping")).toMatchObject({ ts: expect.any(Number) });
    expect(await conn.next("read")).toMatchObject({ conversationId: C, seq: 3 });
    expect(await conn.next("recall")).toMatchObject({ messageId: "m1" });
    expect(await conn.next("typing")).toMatchObject({ to: { type: "user", id: "bob" } });
    expect(await conn.next("signal")).toMatchObject({
      to: { type: "user", id: "bob" },
      callId: "call-1",
    });
    conn.send({ type: "receipt", conversationId: C, userId: "bob", seq: 3, kind: "read" });
    conn.send({ type: "recalled", messageId: "m1", conversationId: C, seq: 1, by: "alice" });
    conn.send({ type: "typing", conversationId: C, from: "bob" });
    conn.send({ type: "signal", from: "bob", callId: "call-1", data: {} });
    conn.send({ type: "presence", userId: "bob", online: true });
    conn.send({ type: "group", groupId: "1", event: "created", userIds: ["alice"], by: "bob" });
    await eventually(() => events.length === 6, {
      message: "6 events",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(events).toEqual(["receipt", "recalled", "typing", "signal", "presence", "group"]);
  });
});

describe("localStorage cursor store", () => {
  function fakeLocalStorage(): StorageLike & { data: Map<string, string> } {
    const data = new Map<string, string>();
    return {
      data,
      getItem: (key) => data.get(key) ?? null,
      setItem: (key, value) => void data.set(key, value),
      removeItem: (key) => void data.delete(key),
    };
  }

  it("keeps the highest seq per user and conversation", async () => {
    const storage = fakeLocalStorage();
    const store = createLocalStorageCursorStore({ storage });
    await store.save("alice", { [C]: 5, "g:1": 2 });
    await store.save("alice", { [C]: 3 });
    await store.save("bob", { [C]: 9 });
    expect(await store.load("alice")).toEqual({ [C]: 5, "g:1": 2 });
    expect(await store.load("bob")).toEqual({ [C]: 9 });
    expect(storage.data.has("lucky-im:cursors:alice")).toBe(true);
    await store.clear("alice");
    expect(await store.load("alice")).toEqual({});
    storage.setItem("lucky-im:cursors:carol", "{not json");
    expect(await store.load("carol")).toEqual({});
  });

  it("a reopened client resumes from the saved cursors", async () => {
    const storage = fakeLocalStorage();
    const first = await connected({ cursorStore: createLocalStorageCursorStore({ storage }) });
    for (let seq = 1; seq <= 3; seq++) first.conn.send(messageFrame(seq));
    await eventually(() => first.messages.length === 3, {
      message: "3 messages",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await first.client.close();

    const second = await setup({ cursorStore: createLocalStorageCursorStore({ storage }) });
    const ready = second.client.connect({ url: second.server.url, token: "t-alice" });
    const conn = await second.server.nextConnection();
    await conn.accept("alice");
    await ready;
    expect((await conn.next("sync")).cursors).toEqual({ [C]: 3 });
  });
});

describe("getToken failures", () => {
  it("retries a failing getToken with backoff on the first connect, reporting each failure", async () => {
    const { server, client, errors } = await setup();
    let calls = 0;
    const ready = client.connect({
      url: server.url,
      getToken: async () => {
        if (++calls <= 2) throw new Error("auth server: 503");
        return "t-alice";
      },
    });
    const conn = await server.nextConnection();
    expect((await conn.accept("alice")).token).toBe("t-alice");
    await expect(ready).resolves.toMatchObject({ userId: "alice" });
    expect(calls).toBe(3);
    expect(errors.map((e) => e.code)).toEqual(["unavailable", "unavailable"]);
    expect((errors[0]!.cause as Error).message).toBe("auth server: 503");
  });

  it("a getToken outage during a reconnect does not kill the client: the pending send goes out after it", async () => {
    const { server, client, errors } = await setup();
    let outage = false;
    let calls = 0;
    const states: string[] = [];
    client.on("state", (s) => states.push(s));
    const ready = client.connect({
      url: server.url,
      getToken: async () => {
        calls++;
        if (outage) throw new TypeError("fetch failed");
        return `t${calls}`;
      },
    });
    const conn1 = await server.nextConnection();
    await conn1.accept("alice");
    await ready;
    await conn1.next("sync");
    const promise = client.send({ type: "user", id: "bob" }, { type: "text", text: "later" });
    const first = await conn1.next("send");
    outage = true;
    conn1.socket.terminate();
    await eventually(() => errors.length >= 3, {
      message: "three failed getToken attempts",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(client.state).toBe("reconnecting");
    expect(server.connections).toHaveLength(1);
    outage = false;
    const conn2 = await server.nextConnection();
    await conn2.accept("alice");
    const again = await conn2.next("send");
    expect(again.cid).toBe(first.cid);
    conn2.send({ type: "sent", cid: first.cid, messageId: "m1", conversationId: C, seq: 1, ts: 1 });
    await expect(promise).resolves.toMatchObject({ messageId: "m1" });
    expect(errors.every((e) => e.code === "unavailable")).toBe(true);
    expect(states).not.toContain("closed");
  });

  it("an unauthorized answer from getToken during a reconnect is final", async () => {
    const { server, client, errors } = await setup();
    let revoked = false;
    const ready = client.connect({
      url: server.url,
      getToken: async () => {
        if (revoked) throw new ImClientError("unauthorized", "refresh token revoked");
        return "t1";
      },
    });
    const conn1 = await server.nextConnection();
    await conn1.accept("alice");
    await ready;
    const pending = client.send({ type: "user", id: "bob" }, { type: "text", text: "x" });
    await conn1.next("send");
    revoked = true;
    conn1.socket.terminate();
    await expect(pending).rejects.toMatchObject({ code: "unauthorized" });
    expect(client.state).toBe("closed");
    expect(errors.map((e) => e.code)).toEqual(["unauthorized"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.connections).toHaveLength(1);
  });

  it("a getToken that keeps failing gives up after reconnect.maxAttempts", async () => {
    const { server, client, errors } = await setup({
      reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 },
    });
    let calls = 0;
    const ready = client.connect({
      url: server.url,
      getToken: () => {
        calls++;
        throw new Error("down");
      },
    });
    await expect(ready).rejects.toMatchObject({ code: "unavailable" });
    expect(calls).toBe(3); // the first attempt and two retries
    expect(client.state).toBe("closed");
    expect(errors.at(-1)?.message).toMatch(/gave up after 2 attempts/);
  });
});

describe("ping timeout", () => {
  it("a heartbeat ping with no answer and no other frame drops the connection after pingTimeoutMs and reconnects", async () => {
    // Heartbeat every 3 s: the old rule (no answer for a whole interval) would
    // wait at least 3 s after the ping; pingTimeoutMs is 200.
    const { server, client, conn } = await connected({ heartbeatMs: 3000, pingTimeoutMs: 200 });
    const disconnects: { code: number; willReconnect: boolean }[] = [];
    client.on("disconnect", (d) => disconnects.push(d));
    conn.answerPings = false;
    await conn.next("ping", 10_000);
    const pingArrived = Date.now();
    await eventually(() => disconnects.length === 1, {
      message: "the client drops the silent connection",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(Date.now() - pingArrived).toBeLessThan(1500);
    expect(disconnects[0]).toMatchObject({ code: 1006, willReconnect: true });
    const conn2 = await server.nextConnection();
    await conn2.accept("alice");
    await eventually(() => client.state === "open", {
      message: "open again",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
  });

  it("ping() rejects after pingTimeoutMs when nothing answers, and the client reconnects", async () => {
    const { server, client } = await connected({ heartbeatMs: 0, pingTimeoutMs: 200 });
    server.connections[0]!.answerPings = false;
    const started = Date.now();
    await expect(client.ping()).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("pingTimeoutMs=200"),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    const conn2 = await server.nextConnection();
    await conn2.accept("alice");
    await eventually(() => client.state === "open", {
      message: "open again",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
  });

  it("a late pong on a connection that still receives frames only rejects that ping()", async () => {
    const { server, client, conn } = await connected({ heartbeatMs: 0, pingTimeoutMs: 300 });
    conn.answerPings = false;
    const typing: unknown[] = [];
    client.on("typing", (t) => typing.push(t));
    const ping = client.ping();
    await conn.next("ping");
    conn.send({ type: "typing", conversationId: C, from: "bob" });
    await expect(ping).rejects.toMatchObject({ code: "unavailable" });
    expect(typing).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.connections).toHaveLength(1);
    expect(client.state).toBe("open");
  });

  it("times a ping from when it leaves the pacer, not while it waits behind other frames", async () => {
    const { server, client, conn } = await connected({
      heartbeatMs: 0,
      pingTimeoutMs: 400,
      maxFramesPerSecond: 2,
    });
    for (let i = 0; i < 4; i++) expect(client.typing({ type: "user", id: "bob" })).toBe(true);
    // The ping waits about two seconds behind the typing frames, far past pingTimeoutMs.
    await expect(client.ping()).resolves.toBeLessThan(400);
    expect(conn.all("typing")).toHaveLength(4);
    expect(server.connections).toHaveLength(1);
  });
});

describe("outgoing queue bound", () => {
  it("rejects the newest sends with rate_limited once maxQueuedFrames frames wait, and never sends them", async () => {
    const { conn, client } = await connected({ maxFramesPerSecond: 2, maxQueuedFrames: 2 });
    const results = Array.from({ length: 6 }, (_, i) =>
      client
        .send({ type: "user", id: "bob" }, { type: "text", text: `b${i}` }, { cid: `c${i}` })
        .then(
          () => "sent",
          (error: ImClientError) => error,
        ),
    );
    // The queue is full right now: the application's other frames are refused too.
    expect(client.typing({ type: "user", id: "bob" })).toBe(false);
    await expect(client.ping()).rejects.toMatchObject({ code: "rate_limited" });
    const accepted = client.pendingSends;
    // At most 2 fit the current second's budget, 2 may wait: the rest are refused.
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(accepted).toBeLessThanOrEqual(4);
    await eventually(() => conn.all("send").length === accepted, {
      message: "the accepted sends",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    answerSends(conn, (cid) => Number(cid.slice(1)) + 1);
    const outcomes = await Promise.all(results);
    // The accepted ones are the oldest, in order; every refused one is newer.
    expect(outcomes.slice(0, accepted)).toEqual(Array(accepted).fill("sent"));
    for (const [i, outcome] of outcomes.entries()) {
      if (i < accepted) continue;
      expect(outcome).toMatchObject({ code: "rate_limited", cid: `c${i}`, isImError: true });
      expect((outcome as ImClientError).message).toMatch(/maxQueuedFrames/);
    }
    expect(conn.all("send").map((f) => f.cid)).toEqual(
      Array.from({ length: accepted }, (_, i) => `c${i}`),
    );
    expect(client.pendingSends).toBe(0);
    // Once the backlog drained, the application may send again.
    const later = client.send({ type: "user", id: "bob" }, { type: "text", text: "later" });
    await eventually(() => conn.all("send").length === accepted + 1, {
      message: "the later send",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    const frame = conn.all("send").at(-1)!;
    expect(frame.body).toEqual({ type: "text", text: "later" });
    conn.send({
      type: "sent",
      cid: frame.cid,
      messageId: "m-later",
      conversationId: C,
      seq: 9,
      ts: 1,
    });
    await expect(later).resolves.toMatchObject({ messageId: "m-later" });
  });

  it("sends queued while offline are not refused by the bound (maxPendingSends bounds them)", async () => {
    const { server, client } = await setup({ maxFramesPerSecond: 5, maxQueuedFrames: 1 });
    const sends = queueSends(client, 4);
    const ready = client.connect({ url: server.url, token: "t-alice" });
    const conn = await server.nextConnection();
    await conn.accept("alice");
    await ready;
    await eventually(() => conn.all("send").length === 4, {
      message: "4 re-sent sends",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    answerSends(conn);
    await expect(Promise.all(sends)).resolves.toHaveLength(4);
  });

  it("reads waiting in the pacer coalesce into the highest one per conversation", async () => {
    const { conn, client } = await connected({ maxFramesPerSecond: 2 });
    for (let seq = 1; seq <= 50; seq++) client.read(C, seq);
    client.read(C, 10); // lower than one already written: changes nothing
    await eventually(() => conn.all("read").some((r) => r.seq === 50), {
      message: "read 50",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const reads = conn.all("read").map((r) => r.seq);
    expect(reads.length).toBeLessThanOrEqual(3);
    expect(reads.at(-1)).toBe(50);
    expect(reads).toEqual([...reads].sort((a, b) => Number(a) - Number(b)));
  });
});
