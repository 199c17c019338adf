import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { ChatServer } from "../src/chat-server.js";
import {
  api,
  type Frame,
  METRICS_TOKEN,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * The WebSocket side of the in-process server: tokens issued by the HTTP API
 * open sessions, messages flow both ways, groups made over HTTP reach their
 * members as `group` frames, history and conversations reflect the chat.
 */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const probes: WsProbe[] = [];

const connect = async (user: TestUser, via: "header" | "frame" = "header") => {
  const probe = await WsProbe.connect(base, user.accessToken, via);
  probes.push(probe);
  return probe;
};

const directId = (a: string, b: string) => (a < b ? `d:${a}:${b}` : `d:${b}:${a}`);

beforeAll(async () => {
  // Reuse detection at once: the reuse interval has its own tests in http-api.test.ts.
  ({ server, stop } = await startTestServer({
    refreshReuseIntervalMs: 0,
    metricsToken: METRICS_TOKEN,
  }));
  base = server.url;
});

afterEach(() => {
  for (const probe of probes.splice(0)) probe.close();
});

afterAll(async () => {
  await stop();
});

describe("websocket sessions", () => {
  it("opens with the access token in the upgrade header or in an auth frame", async () => {
    const user = await registerUser(base, "ws");
    const byHeader = await connect(user, "header");
    expect(await byHeader.next((f) => f.type === "ready")).toMatchObject({
      userId: user.userId,
      nodeId: server.im.nodeId,
    });
    expect(byHeader.socket.protocol).toBe("lucky-im.v1");
    const byFrame = await connect(user, "frame");
    expect(await byFrame.next((f) => f.type === "ready")).toMatchObject({ userId: user.userId });
  });

  it("refuses a bad token: HTTP 401 at the upgrade, close 4401 after an auth frame", async () => {
    const socket = new WebSocket(`${base.replace("http", "ws")}/ws`, {
      headers: { authorization: "Bearer not-a-token" },
    });
    const [, response] = (await once(socket, "unexpected-response")) as [
      unknown,
      { statusCode: number },
    ];
    expect(response.statusCode).toBe(401);
    socket.on("error", () => {}); // terminating a refused handshake reports an error: expected
    socket.terminate();

    const inBand = new WebSocket(`${base.replace("http", "ws")}/ws`);
    await once(inBand, "open");
    inBand.send(JSON.stringify({ type: "auth", token: "not-a-token" }));
    const [code] = (await once(inBand, "close")) as [number];
    expect(code).toBe(4401);
  });
});

describe("chat between two registered users", () => {
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([registerUser(base, "alice"), registerUser(base, "bob")]);
    conversationId = directId(alice.userId, bob.userId);
  });

  it("delivers a message both ways, with sent, ack and receipt", async () => {
    const a = await connect(alice);
    const b = await connect(bob, "frame");
    const cid = randomUUID();
    a.send({
      type: "send",
      cid,
      to: { type: "user", id: bob.userId },
      body: { type: "text", text: "hi bob" },
    });
    const sent = await a.next((f) => f.type === "sent" && f.cid === cid);
    expect(sent).toMatchObject({ conversationId, seq: 1, messageId: expect.any(String) });
    const got = await b.next((f) => f.type === "message" && f.cid === cid);
    expect(got).toMatchObject({
      messageId: sent.messageId,
      conversationId,
      seq: 1,
      from: alice.userId,
      to: { type: "user", id: bob.userId },
      body: { type: "text", text: "hi bob" },
    });
    b.send({ type: "ack", conversationId, seq: 1 });
    expect(await a.next((f) => f.type === "receipt" && f.kind === "delivered")).toMatchObject({
      conversationId,
      userId: bob.userId,
      seq: 1,
    });

    const reply = randomUUID();
    b.send({
      type: "send",
      cid: reply,
      to: { type: "user", id: alice.userId },
      body: { type: "text", text: "hi alice" },
    });
    const back = await a.next((f) => f.type === "message" && f.cid === reply);
    expect(back).toMatchObject({ from: bob.userId, seq: 2, body: { text: "hi alice" } });
    a.send({ type: "ack", conversationId, seq: 2 });
    const aliceView = async () =>
      (await api(base, "GET", "/conversations", { token: alice.accessToken })).body[0];
    // Sending reads the sender's own message: alice has read 1 of 2.
    expect(await aliceView()).toMatchObject({ conversationId, lastSeq: 2, readSeq: 1, unread: 1 });
    a.send({ type: "read", conversationId, seq: 2 });
    expect(await b.next((f) => f.type === "receipt" && f.kind === "read")).toMatchObject({
      conversationId,
      userId: alice.userId,
      seq: 2,
    });
    // The read cursor is written in a batch: wait for it to show.
    await expect.poll(async () => (await aliceView())?.unread, { timeout: 10_000 }).toBe(0);
  });

  it("lists the conversation with cursors, the peer's cursors and the last message in the frame shape", async () => {
    const list = await api(base, "GET", "/conversations", { token: bob.accessToken });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      {
        conversationId,
        lastSeq: 2,
        readSeq: 2,
        unread: 0,
        // What alice read and received: a new device of bob's shows his messages as read.
        peerReadSeq: 2,
        peerDeliveredSeq: 2,
        mentions: 0,
        lastMessage: expect.objectContaining({
          type: "message",
          conversationId,
          seq: 2,
          from: bob.userId,
          to: { type: "user", id: alice.userId },
          body: { type: "text", text: "hi alice" },
          ts: expect.any(Number),
          cid: expect.any(String),
          messageId: expect.any(String),
        }),
        // Bob's own settings: never changed, so the defaults.
        settings: {
          conversationId,
          pinnedAt: null,
          mutedUntil: null,
          archived: false,
          markedUnread: false,
        },
      },
    ]);
  });

  it("pages history newest first, with recalled messages marked", async () => {
    const a = await connect(alice);
    const ids: string[] = [];
    for (let i = 3; i <= 5; i++) {
      const cid = randomUUID();
      a.send({
        type: "send",
        cid,
        to: { type: "user", id: bob.userId },
        body: { type: "text", text: `m${i}` },
      });
      ids.push((await a.next((f) => f.type === "sent" && f.cid === cid)).messageId as string);
    }
    a.send({ type: "recall", messageId: ids[2] });
    await a.next((f) => f.type === "recalled" && f.messageId === ids[2]);

    const page = await api(base, "GET", `/conversations/${conversationId}/messages?limit=2`, {
      token: bob.accessToken,
    });
    expect(page.status).toBe(200);
    expect(page.body.more).toBe(true);
    expect(page.body.messages.map((m: Frame) => m.seq)).toEqual([5, 4]);
    expect(page.body.messages[0]).toMatchObject({
      type: "message",
      messageId: ids[2],
      recalled: true,
    });
    expect(page.body.messages[0].body).not.toEqual({ type: "text", text: "m5" });
    expect(page.body.messages[1]).toMatchObject({ body: { type: "text", text: "m4" } });
    expect(page.body.messages[1]).not.toHaveProperty("recalled");

    const older = await api(
      base,
      "GET",
      `/conversations/${conversationId}/messages?beforeSeq=4&limit=10`,
      {
        token: alice.accessToken,
      },
    );
    expect(older.body).toEqual({ messages: expect.any(Array), more: false, reactions: [] });
    expect(older.body.messages.map((m: Frame) => m.seq)).toEqual([3, 2, 1]);

    const carol = await registerUser(base, "carol");
    const refused = await api(base, "GET", `/conversations/${conversationId}/messages`, {
      token: carol.accessToken,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
  });

  it("hands an offline user what it missed through sync after reconnecting", async () => {
    const a = await connect(alice);
    const texts = ["while you were away 1", "while you were away 2"];
    for (const text of texts) {
      const cid = randomUUID();
      a.send({
        type: "send",
        cid,
        to: { type: "user", id: bob.userId },
        body: { type: "text", text },
      });
      await a.next((f) => f.type === "sent" && f.cid === cid);
    }
    const b = await connect(bob);
    b.send({ type: "sync", cursors: { [conversationId]: 5 } });
    const synced = await b.next((f) => f.type === "synced");
    const missed = b.frames.filter(
      (f) => f.type === "message" && f.conversationId === conversationId,
    );
    expect(missed.map((f) => (f.body as { text: string }).text)).toEqual(texts);
    expect(missed.map((f) => f.seq)).toEqual([6, 7]);
    expect(synced).toMatchObject({ more: false });
    expect(synced.conversations).toContainEqual({ conversationId, lastSeq: 7 });
  });

  it("accepts media messages that carry an uploaded file's url, refuses foreign urls", async () => {
    // A real 1×1 PNG: images are decoded (EXIF stripped, thumbnail made) before they are stored.
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
      "base64",
    );
    const file = await api(base, "POST", "/files?name=a.png", {
      token: alice.accessToken,
      raw: png,
      contentType: "image/png",
    });
    const a = await connect(alice);
    const b = await connect(bob);
    const body = {
      type: "image",
      url: file.body.url,
      name: "a.png",
      size: file.body.size,
      mime: "image/png",
    };
    const cid = randomUUID();
    a.send({ type: "send", cid, to: { type: "user", id: bob.userId }, body });
    await a.next((f) => f.type === "sent" && f.cid === cid);
    expect((await b.next((f) => f.type === "message" && f.cid === cid)).body).toEqual(body);
    const served = await fetch(`${base}${file.body.url}`);
    expect(
      Buffer.from(await served.arrayBuffer())
        .subarray(0, 8)
        .equals(png.subarray(0, 8)),
    ).toBe(true);

    const bad = randomUUID();
    a.send({
      type: "send",
      cid: bad,
      to: { type: "user", id: bob.userId },
      body: { ...body, url: "javascript:alert(1)" },
    });
    expect(await a.next((f) => f.type === "error" && f.cid === bad)).toMatchObject({
      code: "bad_request",
    });

    // The right path on another host is refused too: it would tell that host who read the message.
    const foreign = randomUUID();
    a.send({
      type: "send",
      cid: foreign,
      to: { type: "user", id: bob.userId },
      body: { ...body, url: `https://evil.example${file.body.url}` },
    });
    expect(await a.next((f) => f.type === "error" && f.cid === foreign)).toMatchObject({
      code: "bad_request",
    });
  });

  it("closes the sessions of a user whose refresh token was reused (4401)", async () => {
    const mallory = await registerUser(base, "reuse");
    const session = await connect(mallory);
    const rotated = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: mallory.refreshToken },
    });
    expect(rotated.status).toBe(200);
    const reused = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: mallory.refreshToken },
    });
    expect(reused.status).toBe(401);
    expect(await session.closed()).toBe(4401);
    const me = await api(base, "GET", "/users/me", { token: mallory.accessToken });
    expect(me.status).toBe(401);
  });
});

describe("logout over HTTP closes live sessions", () => {
  it("closes this user's sessions at logout (4401), and every session at logout-all", async () => {
    const erin = await registerUser(base, "logoutws");
    const bystander = await registerUser(base, "bystander");
    const other = await connect(bystander);
    const first = await connect(erin);
    const out = await api(base, "POST", "/auth/logout", {
      token: erin.accessToken,
      body: { refreshToken: erin.refreshToken },
    });
    expect(out.status).toBe(204);
    expect(await first.closed()).toBe(4401);

    const again = await api(base, "POST", "/auth/login", {
      body: { username: erin.username, password: erin.password },
    });
    const second = await connect({ ...erin, ...again.body });
    const all = await api(base, "POST", "/auth/logout-all", { token: again.body.accessToken });
    expect(all.status).toBe(204);
    expect(await second.closed()).toBe(4401);
    // Someone else's session is untouched.
    const me = await api(base, "GET", "/users/me", { token: bystander.accessToken });
    expect(me.status).toBe(200);
    other.close();
  });
});

describe("groups over HTTP, frames over WebSocket", () => {
  it("sends group frames to the members and carries group messages", async () => {
    const [owner, m1, m2, late] = await Promise.all([
      registerUser(base, "gowner"),
      registerUser(base, "gm1"),
      registerUser(base, "gm2"),
      registerUser(base, "glate"),
    ]);
    const [o, s1, s2, sl] = await Promise.all([
      connect(owner),
      connect(m1),
      connect(m2),
      connect(late),
    ]);
    const created = await api(base, "POST", "/groups", {
      token: owner.accessToken,
      body: { name: "Lunch", members: [m1.userId, m2.userId] },
    });
    expect(created.status).toBe(201);
    const { groupId } = created.body;
    for (const probe of [o, s1, s2]) {
      const frame = await probe.next((f) => f.type === "group" && f.groupId === groupId);
      expect(frame).toMatchObject({ event: "created", by: owner.userId });
      expect([...(frame.userIds as string[])].sort()).toEqual(
        [owner.userId, m1.userId, m2.userId].sort(),
      );
    }
    const added = await api(base, "POST", `/groups/${groupId}/members`, {
      token: owner.accessToken,
      body: { userIds: [late.userId] },
    });
    expect(added.status).toBe(204);
    expect(await sl.next((f) => f.type === "group" && f.event === "member_added")).toMatchObject({
      groupId,
      userIds: [late.userId],
      by: owner.userId,
    });
    await s1.next((f) => f.type === "group" && f.event === "member_added");

    const cid = randomUUID();
    s1.send({
      type: "send",
      cid,
      to: { type: "group", id: groupId },
      body: { type: "text", text: "pizza?" },
    });
    await s1.next((f) => f.type === "sent" && f.cid === cid);
    for (const probe of [o, s2, sl]) {
      expect(await probe.next((f) => f.type === "message" && f.cid === cid)).toMatchObject({
        conversationId: `g:${groupId}`,
        from: m1.userId,
        to: { type: "group", id: groupId },
      });
    }
    const left = await api(base, "POST", `/groups/${groupId}/leave`, { token: m2.accessToken });
    expect(left.status).toBe(204);
    expect(await o.next((f) => f.type === "group" && f.event === "member_removed")).toMatchObject({
      userIds: [m2.userId],
      by: m2.userId,
    });
  });
});

describe("metrics and drain", () => {
  it("counts the traffic", async () => {
    const text = (await api<string>(base, "GET", "/metrics", { token: METRICS_TOKEN })).body;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value("lucky_im_messages_sent_total")).toBeGreaterThanOrEqual(8);
    expect(value("lucky_im_messages_delivered_total")).toBeGreaterThanOrEqual(2);
    expect(value("lucky_im_frames_in_total")).toBeGreaterThan(10);
    expect(value("lucky_im_send_to_sent_seconds_count")).toBeGreaterThanOrEqual(8);
    expect(value("lucky_im_send_to_delivered_seconds_count")).toBeGreaterThanOrEqual(2);
  });

  it("closes with 1001 on drain and turns readiness off", async () => {
    const user = await registerUser(base, "drain");
    const probe = await connect(user);
    const closing = server.close();
    expect(await probe.closed()).toBe(1001);
    await closing;
  });
});
