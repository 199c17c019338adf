import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type ErrorFrame,
  ImError,
  type MemoryClient,
  type MessageFrame,
  type ReceiptFrame,
} from "../src/index.js";
import { eventually } from "../src/testing/eventually.js";
import { nextMessage, sendText, startServer, type TestServer } from "./engine-helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const errorOf = (client: MemoryClient) => client.next<ErrorFrame>("error");

describe("authentication", () => {
  it("a token at the handshake authenticates without an auth frame; a bad one is refused before the connection opens", async () => {
    server = await startServer();
    const client = await server.transport.connect({ token: "t:alice" });
    expect(await client.next("ready")).toMatchObject({
      userId: "alice",
      nodeId: server.im.nodeId,
      heartbeatMs: 25_000,
    });
    await expect(server.transport.connect({ token: "forged" })).rejects.toMatchObject({
      code: "unauthorized",
    });
  });

  it("any frame before auth closes 4401; a bad token in auth closes 4401", async () => {
    server = await startServer();
    const early = await server.transport.connect();
    early.send({ type: "ping" });
    expect(await early.closed).toBe(4401);
    const bad = await server.transport.connect();
    bad.send({ type: "auth", token: "forged" });
    expect(await bad.closed).toBe(4401);
    const garbage = await server.transport.connect();
    garbage.send("{not json");
    expect(await garbage.closed).toBe(4401);
  });

  it("no auth within authTimeoutMs closes 4408", async () => {
    server = await startServer({ limits: { authTimeoutMs: 50 } });
    const idle = await server.transport.connect();
    expect(await idle.closed).toBe(4408);
  });

  it("frames sent right after auth (before ready) are handled after ready", async () => {
    server = await startServer();
    const client = await server.transport.connect();
    client.send({ type: "auth", token: "t:alice" });
    client.send({ type: "ping", ts: 7 });
    expect(await client.next("ready")).toMatchObject({ userId: "alice" });
    expect(await client.next("pong")).toEqual({ type: "pong", ts: 7 });
  });

  it("a token about to expire gets auth_expiring; a fresh auth answers ready again; expiry closes 4401", async () => {
    server = await startServer({ limits: { authExpiringLeadMs: 200 } });
    const client = await server.transport.connect();
    client.send({ type: "auth", token: "exp:alice:300" });
    await client.next("ready");
    const warning = await client.next("auth_expiring", 2_000);
    expect(warning).toMatchObject({ type: "auth_expiring" });
    client.send({ type: "auth", token: "t:alice" });
    await client.next("ready");
    await new Promise((r) => setTimeout(r, 400));
    expect(client.closeCode).toBeUndefined();
    const other = await server.transport.connect();
    other.send({ type: "auth", token: "exp:bob:80" });
    await other.next("ready");
    expect(await other.closed).toBe(4401);
  });

  it("an authenticator that is unavailable closes 1013 (retry later), not 4401", async () => {
    server = await startServer({
      authenticator: {
        async authenticate() {
          throw new ImError("unavailable", "token store down");
        },
      },
    });
    const client = await server.transport.connect();
    client.send({ type: "auth", token: "t:alice" });
    expect(await client.closed).toBe(1013);
    await expect(server.transport.connect({ token: "t:alice" })).rejects.toMatchObject({
      code: "unavailable",
    });
  });

  it("a user over maxSessionsPerUser on one node is closed with 1008", async () => {
    server = await startServer({ limits: { maxSessionsPerUser: 2 } });
    await server.login("alice");
    await server.login("alice");
    const third = await server.transport.connect();
    third.send({ type: "auth", token: "t:alice" });
    expect(await third.closed).toBe(1008);
  });

  it("a renewed token for another user closes 4401", async () => {
    server = await startServer();
    const client = await server.login("alice");
    client.send({ type: "auth", token: "t:mallory" });
    expect(await client.closed).toBe(4401);
  });

  it("kick closes every session of the user with 4401 (token revocation)", async () => {
    server = await startServer();
    const a1 = await server.login("alice");
    const a2 = await server.login("alice");
    const bob = await server.login("bob");
    await server.im.kick("alice");
    expect(await a1.closed).toBe(4401);
    expect(await a2.closed).toBe(4401);
    expect(bob.closeCode).toBeUndefined();
  });
});

describe("bad frames get an error and the connection stays open", () => {
  const cases: Array<[string, string | object, string]> = [
    ["malformed JSON", "{oops", "bad_request"],
    ["a non-object", "[1,2]", "bad_request"],
    ["an unknown type", { type: "teleport" }, "bad_request"],
    ["a missing type", { hello: 1 }, "bad_request"],
    [
      "wrong field types",
      { type: "send", cid: 5, to: { type: "user", id: "bob" }, body: { type: "text", text: "x" } },
      "bad_request",
    ],
    [
      "a bad target",
      {
        type: "send",
        cid: "c",
        to: { type: "planet", id: "bob" },
        body: { type: "text", text: "x" },
      },
      "bad_request",
    ],
    [
      "an unknown body type",
      { type: "send", cid: "c", to: { type: "user", id: "bob" }, body: { type: "hologram" } },
      "bad_request",
    ],
    [
      "a __proto__ key",
      '{"type":"send","cid":"p","to":{"type":"user","id":"bob"},"body":{"type":"custom","data":{"__proto__":{"admin":true}}}}',
      "bad_request",
    ],
    [
      "an escaped __proto__ key",
      '{"type":"send","cid":"e","to":{"type":"user","id":"bob"},"body":{"type":"custom","data":{"\\u005f_proto__":{"admin":true}}}}',
      "bad_request",
    ],
    [
      "a NUL character",
      '{"type":"send","cid":"n","to":{"type":"user","id":"bob"},"body":{"type":"text","text":"a\\u0000b"}}',
      "bad_request",
    ],
    ["a constructor key", '{"type":"ping","constructor":{"prototype":{"x":1}}}', "bad_request"],
    ["a negative seq", { type: "ack", conversationId: "d:a:b", seq: -1 }, "bad_request"],
    ["a malformed conversation id", { type: "read", conversationId: "x:y", seq: 1 }, "bad_request"],
  ];
  for (const [name, frame, code] of cases) {
    it(name, async () => {
      server = await startServer();
      const client = await server.login("alice");
      client.send(frame);
      const error = await errorOf(client);
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(0);
      client.send({ type: "ping", ts: 1 });
      expect(await client.next("pong")).toEqual({ type: "pong", ts: 1 });
      expect(client.closeCode).toBeUndefined();
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  }

  it("a send with a __proto__ key is refused with its cid, so the client does not retry forever", async () => {
    server = await startServer();
    const client = await server.login("alice");
    client.send(
      '{"type":"send","cid":"proto-1","to":{"type":"user","id":"bob"},"body":{"type":"custom","data":{"__proto__":{}}}}',
    );
    expect(await errorOf(client)).toMatchObject({ code: "bad_request", cid: "proto-1" });
  });

  it("ack and read from a non-participant are refused and forge no receipt", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const eve = await server.login("eve");
    await sendText(alice, { type: "user", id: "bob" }, "private");
    eve.send({ type: "read", conversationId: "d:alice:bob", seq: 99 });
    expect(await errorOf(eve)).toMatchObject({ code: "forbidden" });
    eve.send({ type: "ack", conversationId: "d:alice:bob", seq: 99 });
    expect(await errorOf(eve)).toMatchObject({ code: "forbidden" });
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.all("receipt")).toHaveLength(0);
    expect(bob.all("receipt")).toHaveLength(0);
  });

  it("an error about a send carries its cid", async () => {
    server = await startServer();
    const client = await server.login("alice");
    client.send({
      type: "send",
      cid: "abc",
      to: { type: "user", id: "bob" },
      body: { type: "text" },
    });
    expect(await errorOf(client)).toMatchObject({ code: "bad_request", cid: "abc" });
  });

  it("the sender is the authenticated user whatever the frame says", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    alice.send({
      type: "send",
      cid: "f1",
      from: "carol",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "who?" },
    });
    const got = await nextMessage(bob, "who?");
    expect(got.from).toBe("alice");
  });

  it("a body over maxBodyBytes is too_large; a refused body type is bad_request; nothing is stored", async () => {
    server = await startServer({ limits: { maxBodyBytes: 100 }, allowedBodyTypes: ["text"] });
    const alice = await server.login("alice");
    await expect(
      sendText(alice, { type: "user", id: "bob" }, "x".repeat(200)),
    ).rejects.toMatchObject({ code: "too_large" });
    alice.send({
      type: "send",
      cid: "loc",
      to: { type: "user", id: "bob" },
      body: { type: "location", lat: 1, lng: 2 },
    });
    expect(await errorOf(alice)).toMatchObject({ code: "bad_request", cid: "loc" });
    expect(
      await server.im.storage.messages.range("d:alice:bob", { afterSeq: 0, limit: 10 }),
    ).toHaveLength(0);
  });

  it("maxBodyBytes counts UTF-8 bytes: a frame short in characters but long in bytes is too_large", async () => {
    server = await startServer({ limits: { maxBodyBytes: 300 } });
    const alice = await server.login("alice");
    // 95 euro signs: a frame under 300 characters, a body of 285 + 26 UTF-8 bytes.
    await expect(
      sendText(alice, { type: "user", id: "bob" }, "\u20ac".repeat(95)),
    ).rejects.toMatchObject({ code: "too_large" });
    expect(
      await server.im.storage.messages.range("d:alice:bob", { afterSeq: 0, limit: 10 }),
    ).toHaveLength(0);
  });

  it("a group name with a lone surrogate is bad_request", async () => {
    server = await startServer();
    await expect(
      server.im.groups.create({ ownerId: "alice", name: "team \ud800", memberIds: ["bob"] }),
    ).rejects.toMatchObject({ code: "bad_request" });
  });

  it("every body type of the protocol is accepted and delivered as sent", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const bodies = [
      { type: "text", text: "héllo 👋 \u202Eabc" },
      {
        type: "image",
        url: "https://x/y.png",
        name: "y.png",
        size: 10,
        mime: "image/png",
        width: 3,
        height: 4,
      },
      {
        type: "voice",
        url: "https://x/v.ogg",
        name: "v.ogg",
        size: 10,
        mime: "audio/ogg",
        durationMs: 1200,
      },
      {
        type: "video",
        url: "https://x/v.mp4",
        name: "v.mp4",
        size: 10,
        mime: "video/mp4",
        thumbnailUrl: "https://x/t.jpg",
      },
      { type: "file", url: "https://x/f.pdf", name: "f.pdf", size: 10, mime: "application/pdf" },
      { type: "location", lat: 31.2, lng: 121.5, label: "Shanghai" },
      { type: "custom", data: { card: { id: 1 } } },
    ];
    for (const [i, body] of bodies.entries()) {
      alice.send({ type: "send", cid: `b${i}`, to: { type: "user", id: "bob" }, body });
      await alice.next((f) => f.type === "sent" && f.cid === `b${i}`);
      const got = await bob.next<MessageFrame>((f) => f.type === "message" && f.cid === `b${i}`);
      expect(got.body).toEqual(body);
    }
  });
});

describe("groups: roles and mutes", () => {
  it("a muted member and mute-all are refused; admins may still send; roles guard management", async () => {
    server = await startServer();
    const owner = await server.login("owner");
    const admin = await server.login("admin");
    const member = await server.login("member");
    const group = await server.im.groups.create({
      ownerId: "owner",
      name: "team",
      memberIds: ["admin", "member"],
    });
    await server.im.groups.setRole(group.groupId, "owner", "admin", "admin");
    await expect(server.im.groups.addMembers(group.groupId, "member", ["x"])).rejects.toMatchObject(
      { code: "forbidden" },
    );
    await server.im.groups.muteMember(group.groupId, "admin", "member", Date.now() + 60_000);
    const to = { type: "group" as const, id: group.groupId };
    await expect(sendText(member, to, "can I talk?")).rejects.toMatchObject({ code: "forbidden" });
    await server.im.groups.muteMember(group.groupId, "admin", "member", null);
    await sendText(member, to, "I can talk");
    await server.im.groups.muteAll(group.groupId, "owner", true);
    await expect(sendText(member, to, "and now?")).rejects.toMatchObject({ code: "forbidden" });
    await sendText(admin, to, "admins may");
    await expect(
      server.im.groups.removeMembers(group.groupId, "admin", ["owner"]),
    ).rejects.toMatchObject({ code: "forbidden" });
    await expect(server.im.groups.leave(group.groupId, "owner")).rejects.toMatchObject({
      code: "conflict",
    });
    await server.im.groups.transferOwner(group.groupId, "owner", "admin");
    await server.im.groups.leave(group.groupId, "owner");
    expect((await server.im.groups.get(group.groupId))?.ownerId).toBe("admin");
    await server.im.groups.dismiss(group.groupId, "admin");
    expect(
      await owner.next((f) => f.type === "group" && f.event === "member_removed"),
    ).toBeTruthy();
    expect(await member.next((f) => f.type === "group" && f.event === "dismissed")).toMatchObject({
      by: "admin",
    });
    expect(await server.im.groups.get(group.groupId)).toBeUndefined();
  });

  it("member_added reaches the added users and member_removed the removed ones; the group size limit holds", async () => {
    server = await startServer({ limits: { maxGroupSize: 3 } });
    const owner = await server.login("o");
    const newcomer = await server.login("n");
    const group = await server.im.groups.create({ ownerId: "o", name: "small", memberIds: ["a"] });
    await server.im.groups.addMembers(group.groupId, "o", ["n"]);
    expect(await newcomer.next("group")).toMatchObject({
      event: "member_added",
      userIds: ["n"],
      by: "o",
    });
    await expect(server.im.groups.addMembers(group.groupId, "o", ["z"])).rejects.toMatchObject({
      code: "too_large",
    });
    await server.im.groups.removeMembers(group.groupId, "o", ["n"]);
    expect(
      await newcomer.next((f) => f.type === "group" && f.event === "member_removed"),
    ).toMatchObject({ userIds: ["n"] });
    expect(
      await owner.next((f) => f.type === "group" && f.event === "member_removed"),
    ).toBeTruthy();
    await expect(
      sendText(newcomer, { type: "group", id: group.groupId }, "still here?"),
    ).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("recall, typing, signal, ping, read", () => {
  it("recall: the sender within the window; others forbidden; unknown not_found; past window conflict; group admins may recall others", async () => {
    server = await startServer({ limits: { recallWindowMs: 300 } });
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    const sent = await sendText(alice, { type: "user", id: "bob" }, "oops");
    bob.send({ type: "recall", messageId: sent.messageId });
    expect(await errorOf(bob)).toMatchObject({ code: "forbidden" });
    alice.send({ type: "recall", messageId: "0190a1b2-0000-7000-8000-000000000000" });
    expect(await errorOf(alice)).toMatchObject({ code: "not_found" });
    alice.send({ type: "recall", messageId: sent.messageId });
    for (const client of [alice, bob]) {
      expect(await client.next("recalled")).toMatchObject({
        messageId: sent.messageId,
        by: "alice",
        seq: sent.seq,
      });
    }
    const page = await server.im.history("bob", sent.conversationId);
    expect(page.messages[0]?.recalled).toBe(true);
    const late = await sendText(alice, { type: "user", id: "bob" }, "too late");
    await new Promise((r) => setTimeout(r, 350));
    alice.send({ type: "recall", messageId: late.messageId });
    expect(await errorOf(alice)).toMatchObject({ code: "conflict" });

    const group = await server.im.groups.create({
      ownerId: "bob",
      name: "g",
      memberIds: ["alice"],
    });
    const inGroup = await sendText(alice, { type: "group", id: group.groupId }, "in group");
    bob.send({ type: "recall", messageId: inGroup.messageId });
    expect(
      await bob.next((f) => f.type === "recalled" && f.messageId === inGroup.messageId),
    ).toMatchObject({ by: "bob" });
  });

  it("typing and signal reach the other side and are never stored", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    alice.send({ type: "typing", to: { type: "user", id: "bob" } });
    expect(await bob.next("typing")).toEqual({
      type: "typing",
      conversationId: "d:alice:bob",
      from: "alice",
    });
    alice.send({
      type: "signal",
      to: { type: "user", id: "bob" },
      callId: "call-1",
      data: { kind: "offer", sdp: "v=0" },
    });
    expect(await bob.next("signal")).toEqual({
      type: "signal",
      from: "alice",
      callId: "call-1",
      data: { kind: "offer", sdp: "v=0" },
    });
    expect(await server.im.conversations("alice")).toHaveLength(0);
  });

  it("read moves the read cursor: unread counts and last message come from it", async () => {
    server = await startServer();
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    for (let i = 1; i <= 3; i++) await sendText(alice, { type: "user", id: "bob" }, `n${i}`);
    await eventually(async () => {
      const [summary] = await server!.im.conversations("bob");
      expect(summary).toMatchObject({ conversationId: "d:alice:bob", lastSeq: 3, unread: 3 });
    });
    await eventually(async () => {
      const [forAlice] = await server!.im.conversations("alice");
      expect(forAlice?.unread).toBe(0);
    });
    bob.send({ type: "read", conversationId: "d:alice:bob", seq: 2 });
    expect(
      await alice.next<ReceiptFrame>((f) => f.type === "receipt" && f.kind === "read"),
    ).toMatchObject({ seq: 2 });
    await eventually(async () => {
      const [summary] = await server!.im.conversations("bob");
      expect(summary?.unread).toBe(1);
      expect(summary?.lastMessage?.body).toEqual({ type: "text", text: "n3" });
    });
  });

  it("history pages newest first and refuses non-participants", async () => {
    server = await startServer({ limits: { framesPerWindow: 1_000 } });
    const alice = await server.login("alice");
    for (let i = 1; i <= 12; i++) await sendText(alice, { type: "user", id: "bob" }, `h${i}`);
    const first = await server.im.history("bob", "d:alice:bob", { limit: 5 });
    expect(first.messages.map((m) => m.seq)).toEqual([12, 11, 10, 9, 8]);
    expect(first.more).toBe(true);
    const last = await server.im.history("bob", "d:alice:bob", { beforeSeq: 3, limit: 5 });
    expect(last.messages.map((m) => m.seq)).toEqual([2, 1]);
    expect(last.more).toBe(false);
    await expect(server.im.history("mallory", "d:alice:bob")).rejects.toMatchObject({
      code: "forbidden",
    });
  });
});

describe("rate limits and hooks", () => {
  it("a flood of sends gets rate_limited, then 4429; none of the excess is stored; others are still served", async () => {
    server = await startServer({
      limits: { framesPerWindow: 10, rateWindowMs: 60_000, maxRateLimitStrikes: 20 },
    });
    const flooder = await server.login("flooder");
    const bystander = await server.login("bystander");
    for (let i = 0; i < 200; i++) {
      flooder.send({
        type: "send",
        cid: `f${i}`,
        to: { type: "user", id: "victim" },
        body: { type: "text", text: `${i}` },
      });
    }
    expect(await flooder.closed).toBe(4429);
    const limited = flooder.all<ErrorFrame>("error").filter((e) => e.code === "rate_limited");
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.cid).toMatch(/^f\d+$/);
    await new Promise((r) => setTimeout(r, 50));
    const stored = await server.im.storage.messages.range("d:flooder:victim", {
      afterSeq: 0,
      limit: 1_000,
    });
    expect(stored.length).toBe(10);
    expect(flooder.all("sent").length).toBe(10);
    bystander.send({ type: "ping", ts: 2 });
    expect(await bystander.next("pong")).toEqual({ type: "pong", ts: 2 });
  });

  it("asks an external limiter about a burst at once (a batching limiter answers it together), and handles it in order", async () => {
    // A limiter that answers every question it holds at once, 30 ms after the first: like a
    // Redis limiter with a batch window. Were the questions chained, it would hold one at a time.
    let held: (() => void)[] = [];
    let mostHeld = 0;
    server = await startServer({
      rateLimiter: {
        consume() {
          return new Promise((resolve) => {
            held.push(() => resolve({ allowed: true, remaining: 10, retryAfterMs: 0 }));
            mostHeld = Math.max(mostHeld, held.length);
            if (held.length === 1) {
              setTimeout(() => {
                const answers = held;
                held = [];
                for (const answer of answers) answer();
              }, 30);
            }
          });
        },
      },
    });
    const alice = await server.login("alice");
    for (let ts = 1; ts <= 5; ts++) alice.send({ type: "ping", ts });
    for (let ts = 1; ts <= 5; ts++) expect(await alice.next("pong")).toEqual({ type: "pong", ts });
    expect(mostHeld).toBe(5);
  });

  it("keeps at most framesPerWindow questions of a session open at an external limiter; later frames ask in turn", async () => {
    let asked = 0;
    server = await startServer({
      limits: { framesPerWindow: 10 },
      // Never answers: every question stays open.
      rateLimiter: {
        consume() {
          asked++;
          return new Promise(() => {});
        },
      },
    });
    const alice = await server.login("alice");
    for (let ts = 1; ts <= 100; ts++) alice.send({ type: "ping", ts });
    alice.send({ type: "ping", ts: 101 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(asked).toBe(10);
  });

  it("with rateLimitScope user, an external limiter counts a user's frames over all their connections", async () => {
    const { createMemoryRateLimiter } = await import("../src/index.js");
    const keys: string[] = [];
    const inner = createMemoryRateLimiter({ points: 3, durationMs: 60_000 });
    server = await startServer({
      rateLimitScope: "user",
      rateLimiter: {
        consume(key, points) {
          keys.push(key);
          return inner.consume(key, points);
        },
      },
    });
    const phone = await server.login("alice");
    const laptop = await server.login("alice");
    for (const client of [phone, laptop, phone, laptop]) client.send({ type: "ping", ts: 1 });
    expect(await laptop.next("error")).toMatchObject({ code: "rate_limited" });
    expect(new Set(keys)).toEqual(new Set(["user:alice"]));
    expect(phone.all("pong").length + laptop.all("pong").length).toBe(3);
  });

  it("beforeSend may rewrite or refuse; onOffline gets recipients with no session", async () => {
    const offline = vi.fn(async () => {});
    server = await startServer({
      hooks: {
        async beforeSend({ body }) {
          if (body.type === "text" && body.text.includes("forbidden"))
            throw new ImError("forbidden", "moderated");
          if (body.type === "text")
            return { type: "text", text: body.text.replaceAll("darn", "****") };
          return undefined;
        },
        onOffline: offline,
      },
    });
    const alice = await server.login("alice");
    const bob = await server.login("bob");
    await sendText(alice, { type: "user", id: "bob" }, "oh darn");
    expect((await bob.next<MessageFrame>("message")).body).toEqual({
      type: "text",
      text: "oh ****",
    });
    await expect(
      sendText(alice, { type: "user", id: "bob" }, "forbidden words"),
    ).rejects.toMatchObject({ code: "forbidden" });
    const sent = await sendText(alice, { type: "user", id: "carol" }, "are you online?");
    await eventually(() => expect(offline).toHaveBeenCalledTimes(1));
    expect(offline).toHaveBeenCalledWith(
      expect.objectContaining({ messageId: sent.messageId }),
      ["carol"],
      { muted: new Set(), mentioned: [] },
    );
    // A mention tells onOffline, so a push can override a mute.
    alice.send({
      type: "send",
      cid: "mention-carol",
      to: { type: "user", id: "carol" },
      body: { type: "text", text: "@carol look" },
      mentions: ["carol"],
    });
    await eventually(() => expect(offline).toHaveBeenCalledTimes(2));
    expect(offline).toHaveBeenLastCalledWith(
      expect.objectContaining({ mentions: ["carol"] }),
      ["carol"],
      { muted: new Set(), mentioned: ["carol"] },
    );
  });

  it("delivery.settleAfterOffline: an entry is settled once onOffline resolved; a failed hook is called again", async () => {
    const { createMemoryStorage } = await import("../src/index.js");
    const told: string[] = [];
    let failures = 1;
    server = await startServer({
      storage: createMemoryStorage({ outboxGraceMs: 200 }),
      relay: { intervalMs: 50 },
      delivery: { settleAfterOffline: true },
      hooks: {
        async onOffline(message, userIds) {
          told.push(`${message.messageId} ${userIds.join(",")}`);
          if (failures-- > 0) throw new Error("push queue down");
        },
      },
    });
    const alice = await server.login("alice");
    const sent = await sendText(alice, { type: "user", id: "carol" }, "are you there?");
    // The first call failed: the entry stayed pending, the relay delivered it again.
    await eventually(() => expect(told).toHaveLength(2));
    expect(told).toEqual([`${sent.messageId} carol`, `${sent.messageId} carol`]);
    await eventually(async () => expect((await server!.im.storage.outbox.stats()).pending).toBe(0));
    // Settled: the relay does not call the hook a third time.
    await new Promise((r) => setTimeout(r, 400));
    expect(told).toHaveLength(2);
  });

  it("the outbox relay re-publishes what the fast path missed (publish failure)", async () => {
    const {
      createMemoryBroker,
      createMemoryBrokerHub,
      createMemoryPresence,
      createMemoryPresenceHub,
      createMemoryStorage,
      createMemoryStorageBackend,
    } = await import("../src/index.js");
    const brokerHub = createMemoryBrokerHub();
    const presenceHub = createMemoryPresenceHub();
    const backend = createMemoryStorageBackend();
    const nodeA = createMemoryBroker({ hub: brokerHub });
    let failPublishes = true;
    const flaky = {
      ...nodeA,
      publish: (node: string, envelope: Parameters<typeof nodeA.publish>[1]) =>
        failPublishes
          ? Promise.reject(new ImError("unavailable", "broker down"))
          : nodeA.publish(node, envelope),
      subscribe: nodeA.subscribe.bind(nodeA),
      subscribeControl: nodeA.subscribeControl.bind(nodeA),
      broadcast: nodeA.broadcast.bind(nodeA),
      ping: nodeA.ping.bind(nodeA),
      close: nodeA.close.bind(nodeA),
    };
    server = await startServer({
      nodeId: "A",
      broker: flaky,
      presence: createMemoryPresence({ hub: presenceHub }),
      storage: createMemoryStorage({ backend, outboxGraceMs: 50 }),
      relay: { intervalMs: 50 },
    });
    const other = await startServer({
      nodeId: "B",
      broker: createMemoryBroker({ hub: brokerHub }),
      presence: createMemoryPresence({ hub: presenceHub }),
      storage: createMemoryStorage({ backend }),
    });
    try {
      const alice = await server.login("alice");
      const bob = await other.login("bob");
      const sent = await sendText(alice, { type: "user", id: "bob" }, "through the relay");
      await new Promise((r) => setTimeout(r, 100));
      expect(bob.all("message")).toHaveLength(0);
      failPublishes = false;
      const got = await nextMessage(bob, "through the relay");
      expect(got.messageId).toBe(sent.messageId);
      await eventually(async () =>
        expect((await server!.im.storage.outbox.stats()).pending).toBe(0),
      );
    } finally {
      await other.close();
    }
  });
});
