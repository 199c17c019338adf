import { SYSTEM_SENDER_ID } from "@lucky-im/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { api, registerUser, startTestServer, type TestUser, WsProbe } from "./helpers.js";

const KEY = "a-server-api-key-of-at-least-32-characters";
const text = (t: string) => ({ type: "text", text: t });

describe("server API: POST /server/messages and /server/broadcast", () => {
  let server: ChatServer;
  let stop: () => Promise<void>;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    ({ server, stop } = await startTestServer({
      serverApiKey: KEY,
      serverBatchMax: 5,
      broadcastMax: 3,
      serverApiBodyLimit: 8_192,
      serverApiLimitPerMinute: 40,
    }));
    alice = await registerUser(server.url, "alice");
    bob = await registerUser(server.url, "bob");
  });
  afterAll(() => stop());

  it("sends as the system and as a user; the recipient gets it live; a repeated cid returns the original", async () => {
    const probe = await WsProbe.connect(server.url, bob.accessToken);
    try {
      const first = await api(server.url, "POST", "/server/messages", {
        token: KEY,
        body: { to: bob.userId, body: text("order shipped"), cid: "order-1" },
      });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        created: true,
        message: { from: SYSTEM_SENDER_ID, cid: "order-1", seq: 1 },
      });
      const frame = await probe.next((f) => f.type === "message" && f.cid === "order-1");
      expect(frame).toMatchObject({ system: true, from: SYSTEM_SENDER_ID });

      const again = await api(server.url, "POST", "/server/messages", {
        token: KEY,
        body: { to: bob.userId, body: text("order shipped (retry)"), cid: "order-1" },
      });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ created: false, message: first.body.message });

      const asUser = await api(server.url, "POST", "/server/messages", {
        token: KEY,
        body: { from: alice.userId, to: bob.userId, body: text("hi from alice"), cid: "a-1" },
      });
      expect(asUser.status).toBe(201);
      const live = await probe.next((f) => f.type === "message" && f.cid === "a-1");
      expect(live).toMatchObject({ from: alice.userId });
      expect(live.system).toBeUndefined();
    } finally {
      probe.socket.close();
    }
  });

  it("sends a batch with per-message outcomes, and a broadcast", async () => {
    const batch = await api(server.url, "POST", "/server/messages", {
      token: KEY,
      body: {
        messages: [
          { to: alice.userId, body: text("one"), cid: "batch-1" },
          { groupId: "no-such-group", body: text("two"), cid: "batch-2" },
          { to: alice.userId, body: text("three"), cid: "batch-3" },
        ],
      },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, false, true]);
    expect(batch.body.results[1]).toMatchObject({
      cid: "batch-2",
      error: { code: "not_found" },
    });
    const broadcast = await api(server.url, "POST", "/server/broadcast", {
      token: KEY,
      body: { userIds: [alice.userId, bob.userId], body: text("we are live"), cid: "launch" },
    });
    expect(broadcast.status).toBe(200);
    expect(broadcast.body.results).toMatchObject([
      { userId: alice.userId, ok: true, created: true, message: { cid: `launch/${alice.userId}` } },
      { userId: bob.userId, ok: true, created: true, message: { cid: `launch/${bob.userId}` } },
    ]);
    const history = await api(
      server.url,
      "GET",
      `/conversations/${encodeURIComponent(`d:${alice.userId}:${SYSTEM_SENDER_ID}`)}/messages`,
      { token: alice.accessToken },
    );
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m: { cid: string }) => m.cid)).toEqual([
      `launch/${alice.userId}`,
      "batch-3",
      "batch-1",
    ]);
  });

  it("refuses requests without the key, with a wrong key, and with a user's token", async () => {
    const body = { to: bob.userId, body: text("x"), cid: "k-1" };
    const none = await api(server.url, "POST", "/server/messages", { body });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthorized");
    const wrong = await api(server.url, "POST", "/server/messages", { body, token: `${KEY}x` });
    expect(wrong.status).toBe(401);
    const user = await api(server.url, "POST", "/server/broadcast", {
      body: { userIds: [bob.userId], body: text("x"), cid: "k-2" },
      token: bob.accessToken,
    });
    expect(user.status).toBe(401);
  });

  it("refuses bad input with the error shape", async () => {
    const cases: Array<[string, unknown, number, string, RegExp]> = [
      ["/server/messages", [1, 2], 400, "bad_request", /message object/],
      [
        "/server/messages",
        { to: bob.userId, body: text(""), cid: "b-1" },
        400,
        "bad_request",
        /body/,
      ],
      [
        "/server/messages",
        { to: bob.userId, cid: "b-2" },
        400,
        "bad_request",
        /"body" is required/,
      ],
      ["/server/messages", { to: bob.userId, body: text("x"), cid: "" }, 400, "bad_request", /cid/],
      ["/server/messages", { to: bob.userId, body: text("x") }, 400, "bad_request", /cid/],
      [
        "/server/messages",
        { groupId: "nope", body: text("x"), cid: "b-3" },
        404,
        "not_found",
        /nope/,
      ],
      ["/server/messages", { body: text("x"), cid: "b-4" }, 400, "bad_request", /exactly one/],
      [
        "/server/messages",
        {
          messages: Array.from({ length: 6 }, (_, i) => ({
            to: bob.userId,
            body: text("x"),
            cid: `o${i}`,
          })),
        },
        413,
        "too_large",
        /at most 5/,
      ],
      ["/server/messages", { messages: [] }, 400, "bad_request", /empty/],
      [
        "/server/broadcast",
        { userIds: ["a", "b", "c", "d"], body: text("x"), cid: "b-5" },
        413,
        "too_large",
        /at most 3/,
      ],
      [
        "/server/broadcast",
        { userIds: "a", body: text("x"), cid: "b-6" },
        400,
        "bad_request",
        /userIds/,
      ],
      ["/server/broadcast", null, 400, "bad_request", /object/],
    ];
    for (const [path, body, status, code, message] of cases) {
      const answer = await api(server.url, "POST", path, { token: KEY, body });
      expect([path, answer.status, answer.body.error?.code]).toEqual([path, status, code]);
      expect(answer.body.error.message).toMatch(message);
    }
    const oversize = await api(server.url, "POST", "/server/messages", {
      token: KEY,
      body: { to: bob.userId, body: text("x".repeat(9_000)), cid: "big" },
    });
    expect(oversize.status).toBe(413);
    expect(oversize.body.error.code).toBe("too_large");
  });

  it("limits a flood per address, wrong keys included", async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, () =>
        api(server.url, "POST", "/server/messages", { token: "wrong", body: {} }),
      ),
    );
    const statuses = new Set(answers.map((a) => a.status));
    expect(statuses).toContain(429);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("server API without a key", () => {
  it("does not exist", async () => {
    const { server, stop } = await startTestServer();
    try {
      const answer = await api(server.url, "POST", "/server/messages", {
        token: KEY,
        body: { to: "bob", body: text("x"), cid: "c" },
      });
      expect(answer.status).toBe(404);
    } finally {
      await stop();
    }
  });
});
