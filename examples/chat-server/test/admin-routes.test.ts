import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, registerUser, startTestServer, type TestUser, WsProbe } from "./helpers.js";

/**
 * The `/admin` routes and `POST /reports` (issue 19): a plain user gets 403 on every admin
 * route, every route refuses bad input with the error JSON, and the actions take effect
 * (a suspended user's WebSocket closes with 4403 and their login is refused).
 */

const ADMIN = `root_${Math.random().toString(36).slice(2, 8)}`;
const PASSWORD = "correct horse battery";

let stop: () => Promise<void>;
let base: string;
let admin: TestUser;
let plain: TestUser;
const probes: WsProbe[] = [];

beforeAll(async () => {
  let server: Awaited<ReturnType<typeof startTestServer>>["server"];
  // Admins are named by user id: the admin's is known once registered (the server reads the list).
  const adminUserIds: string[] = [];
  ({ server, stop } = await startTestServer({ adminUserIds }));
  base = server.url;
  await api(base, "POST", "/auth/register", { body: { username: ADMIN, password: PASSWORD } });
  const login = await api(base, "POST", "/auth/login", {
    body: { username: ADMIN, password: PASSWORD },
  });
  admin = { username: ADMIN, password: PASSWORD, ...login.body };
  adminUserIds.push(admin.userId);
  plain = await registerUser(base, "plain");
});

afterAll(async () => {
  for (const probe of probes) probe.close();
  await stop();
});

async function connect(user: TestUser): Promise<WsProbe> {
  const probe = await WsProbe.connect(base, user.accessToken);
  probes.push(probe);
  return probe;
}

/** Every admin route, with a valid-looking request. */
function adminRoutes(userId: string): [string, string, unknown?][] {
  return [
    ["GET", "/admin/me"],
    ["GET", "/admin/stats"],
    ["GET", `/admin/users/${userId}/sessions`],
    ["GET", "/admin/suspensions"],
    ["POST", `/admin/users/${userId}/suspension`, { reason: "x" }],
    ["DELETE", `/admin/users/${userId}/suspension`],
    ["POST", `/admin/users/${userId}/logout`],
    ["POST", "/admin/messages/m_1/delete", {}],
    ["DELETE", `/admin/groups/g_1/members/${userId}`],
    ["GET", "/admin/reports"],
    ["POST", "/admin/reports/1/resolve", { status: "resolved" }],
    ["GET", "/admin/audit"],
  ];
}

describe("admin routes", () => {
  it("a plain user gets 403 forbidden on every admin route; no token gets 401", async () => {
    for (const [method, path, body] of adminRoutes(plain.userId)) {
      const answer = await api(base, method, path, { token: plain.accessToken, body });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe("forbidden");
      const anonymous = await api(base, method, path, { body });
      expect(anonymous.status, `${method} ${path} anonymous`).toBe(401);
    }
    const me = await api(base, "GET", "/admin/me", { token: admin.accessToken });
    expect(me.body).toEqual({ userId: admin.userId, admin: true });
  });

  it("suspends a user: the WebSocket closes with 4403, their tokens are revoked, every login is refused; unsuspend allows a fresh login only", async () => {
    const bob = await registerUser(base, "bob");
    const probe = await connect(bob);
    // A QR login bob approved just before the suspension.
    const challenge = await api(base, "POST", "/auth/qr", { body: {} });
    expect(
      (
        await api(base, "POST", `/auth/qr/${challenge.body.challengeId}/approve`, {
          token: bob.accessToken,
        })
      ).status,
    ).toBe(200);
    const sessions = await api(base, "GET", `/admin/users/${bob.userId}/sessions`, {
      token: admin.accessToken,
    });
    expect(sessions.body.sessions).toHaveLength(1);

    const suspended = await api(base, "POST", `/admin/users/${bob.userId}/suspension`, {
      token: admin.accessToken,
      body: { reason: "spam", durationMs: 3_600_000 },
    });
    expect(suspended.status).toBe(201);
    expect(suspended.body).toMatchObject({ userId: bob.userId, kind: "suspend", reason: "spam" });
    expect(await probe.closed()).toBe(4403);
    // The suspension revoked bob's tokens: the old access token is refused everywhere.
    await expect(WsProbe.connect(base, bob.accessToken)).rejects.toThrow(/401/);
    expect((await api(base, "GET", "/users/me", { token: bob.accessToken })).status).toBe(401);
    const refresh = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: bob.refreshToken },
    });
    expect(refresh.status).toBe(401);
    // The approved QR login gets no tokens (the auth service asks the engine).
    const poll = await api(base, "POST", `/auth/qr/${challenge.body.challengeId}/poll`, {
      body: { secret: challenge.body.secret },
    });
    expect(poll.status).toBe(403);
    expect(poll.body.error).toMatchObject({
      code: "forbidden",
      message: "this account is suspended",
    });

    const login = await api(base, "POST", "/auth/login", {
      body: { username: bob.username, password: bob.password },
    });
    expect(login.status).toBe(403);
    expect(login.body.error).toMatchObject({
      code: "forbidden",
      message: "this account is suspended",
    });

    const list = await api(base, "GET", "/admin/suspensions", { token: admin.accessToken });
    expect(list.body.suspensions.map((s: { userId: string }) => s.userId)).toContain(bob.userId);

    const lifted = await api(base, "DELETE", `/admin/users/${bob.userId}/suspension`, {
      token: admin.accessToken,
    });
    expect(lifted.body).toEqual({ lifted: true });
    const again = await api(base, "POST", "/auth/login", {
      body: { username: bob.username, password: bob.password },
    });
    expect(again.status).toBe(200);
    await connect({ ...bob, accessToken: again.body.accessToken });
    // Revoked is revoked: the refresh token of before the suspension stays dead.
    const old = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: bob.refreshToken },
    });
    expect(old.status).toBe(401);
  });

  it("names admins by user id: a user named after the admin's id is not one", async () => {
    const username = admin.userId;
    const registered = await api(base, "POST", "/auth/register", {
      body: { username, password: PASSWORD },
    });
    expect(registered.status).toBe(201);
    expect(registered.body.userId).not.toBe(admin.userId);
    const login = await api(base, "POST", "/auth/login", {
      body: { username, password: PASSWORD },
    });
    const me = await api(base, "GET", "/admin/me", { token: login.body.accessToken });
    expect(me.status).toBe(403);
  });

  it("forces a logout (4401, refresh tokens revoked), deletes a message as an admin, removes a group member", async () => {
    const alice = await registerUser(base, "alice");
    const carol = await registerUser(base, "carol");
    const aliceWs = await connect(alice);
    const carolWs = await connect(carol);
    aliceWs.send({
      type: "send",
      cid: "c1",
      to: { type: "user", id: carol.userId },
      body: { type: "text", text: "spam" },
    });
    const sent = await aliceWs.next((f) => f.type === "sent" && f.cid === "c1");
    const deleted = await api(base, "POST", `/admin/messages/${sent.messageId}/delete`, {
      token: admin.accessToken,
      body: { reason: "spam" },
    });
    expect(deleted.status).toBe(204);
    const recalled = await carolWs.next((f) => f.type === "recalled");
    expect(recalled).toMatchObject({
      messageId: sent.messageId,
      by: admin.userId,
      reason: "admin",
    });

    const group = await api(base, "POST", "/groups", {
      token: alice.accessToken,
      body: { name: "g", members: [carol.userId] },
    });
    expect(group.status).toBe(201);
    const groupId = group.body.groupId ?? group.body.id;
    const removed = await api(base, "DELETE", `/admin/groups/${groupId}/members/${carol.userId}`, {
      token: admin.accessToken,
    });
    expect(removed.status).toBe(204);
    const removedAgain = await api(
      base,
      "DELETE",
      `/admin/groups/${groupId}/members/${carol.userId}`,
      { token: admin.accessToken },
    );
    expect(removedAgain.status).toBe(404);
    const owner = await api(base, "DELETE", `/admin/groups/${groupId}/members/${alice.userId}`, {
      token: admin.accessToken,
    });
    expect(owner.status).toBe(409);

    const logout = await api(base, "POST", `/admin/users/${carol.userId}/logout`, {
      token: admin.accessToken,
    });
    expect(logout.status).toBe(204);
    expect(await carolWs.closed()).toBe(4401);
    const refresh = await api(base, "POST", "/auth/refresh", {
      body: { refreshToken: carol.refreshToken },
    });
    expect(refresh.status).toBe(401);

    const audit = await api(base, "GET", "/admin/audit?limit=3", { token: admin.accessToken });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual([
      "force_logout",
      "remove_member",
      "delete_message",
    ]);
    const older = await api(base, "GET", `/admin/audit?limit=3&before=${audit.body.next}`, {
      token: admin.accessToken,
    });
    expect(older.status).toBe(200);
    expect(older.body.entries[0].entryId).toBeLessThan(audit.body.next);

    const stats = await api(base, "GET", "/admin/stats", { token: admin.accessToken });
    expect(stats.body.nodes[0]).toMatchObject({ nodeId: expect.any(String) });
    expect(stats.body.nodes[0].connections).toBeGreaterThanOrEqual(1);
    expect(typeof stats.body.outboxBacklog).toBe("number");
    expect(typeof stats.body.messagesPerMinute).toBe("number");
  });

  it("refuses bad input on every admin route: wrong ids, unknown users, oversize reasons, bad cursors", async () => {
    const token = admin.accessToken;
    const long = "r".repeat(501);
    const cases: [string, string, unknown, number][] = [
      ["GET", "/admin/users/no%20such/sessions", undefined, 400],
      ["GET", "/admin/users/nobody_here/sessions", undefined, 404],
      ["GET", "/admin/suspensions?limit=0", undefined, 400],
      ["GET", "/admin/suspensions?after=a%3Ab", undefined, 400],
      ["POST", "/admin/users/nobody_here/suspension", {}, 404],
      ["POST", `/admin/users/${plain.userId}/suspension`, { reason: long }, 400],
      ["POST", `/admin/users/${plain.userId}/suspension`, { durationMs: -1 }, 400],
      ["POST", `/admin/users/${plain.userId}/suspension`, { kind: "mute" }, 400],
      ["POST", `/admin/users/${plain.userId}/suspension`, { extra: 1 }, 400],
      ["POST", `/admin/users/${admin.userId}/suspension`, {}, 400],
      ["DELETE", "/admin/users/nobody_here/suspension", undefined, 404],
      ["POST", "/admin/users/nobody_here/logout", undefined, 404],
      ["POST", "/admin/messages/m_nope/delete", {}, 404],
      ["POST", "/admin/messages/m_nope/delete", { reason: long }, 400],
      ["DELETE", `/admin/groups/g_nope/members/${plain.userId}`, undefined, 404],
      ["DELETE", "/admin/groups/g_nope/members/a%3Ab", undefined, 400],
      ["GET", "/admin/reports?before=abc", undefined, 400],
      ["GET", "/admin/reports?before=0", undefined, 400],
      ["GET", "/admin/reports?status=closed", undefined, 400],
      ["GET", "/admin/reports?limit=1000", undefined, 400],
      ["POST", "/admin/reports/abc/resolve", { status: "resolved" }, 400],
      ["POST", "/admin/reports/999999/resolve", { status: "resolved" }, 404],
      ["POST", "/admin/reports/1/resolve", { status: "open" }, 400],
      ["POST", "/admin/reports/1/resolve", { status: "resolved", note: long }, 400],
      ["GET", "/admin/audit?before=-3", undefined, 400],
      ["GET", "/admin/audit?before=1.5", undefined, 400],
      ["GET", "/admin/audit?actorId=a%20b", undefined, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const answer = await api(base, method, path, { token, body });
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(typeof answer.body.error?.code, `${method} ${path}`).toBe("string");
    }
  });
});

describe("POST /reports", () => {
  it("a user reports a message they can see and a user; admins list, page and resolve them", async () => {
    const dave = await registerUser(base, "dave");
    const erin = await registerUser(base, "erin");
    const daveWs = await connect(dave);
    daveWs.send({
      type: "send",
      cid: "r1",
      to: { type: "user", id: erin.userId },
      body: { type: "text", text: "buy now" },
    });
    const sent = await daveWs.next((f) => f.type === "sent" && f.cid === "r1");
    const onMessage = await api(base, "POST", "/reports", {
      token: erin.accessToken,
      body: { messageId: sent.messageId, reason: "scam" },
    });
    expect(onMessage.status).toBe(201);
    expect(onMessage.body).toMatchObject({ status: "open" });
    const onUser = await api(base, "POST", "/reports", {
      token: erin.accessToken,
      body: { userId: dave.userId, reason: "rude" },
    });
    expect(onUser.status).toBe(201);

    const page = await api(base, "GET", "/admin/reports?status=open&limit=1", {
      token: admin.accessToken,
    });
    expect(page.body.reports[0]).toMatchObject({
      reportId: onUser.body.reportId,
      reporterId: erin.userId,
      target: { kind: "user", userId: dave.userId },
    });
    const next = await api(
      base,
      "GET",
      `/admin/reports?status=open&limit=1&before=${page.body.next}`,
      {
        token: admin.accessToken,
      },
    );
    expect(next.body.reports[0]).toMatchObject({
      reportId: onMessage.body.reportId,
      target: { kind: "message", messageId: sent.messageId, userId: dave.userId },
    });
    const resolved = await api(base, "POST", `/admin/reports/${onMessage.body.reportId}/resolve`, {
      token: admin.accessToken,
      body: { status: "resolved", note: "removed" },
    });
    expect(resolved.body).toMatchObject({ status: "resolved", resolvedBy: admin.userId });
    const twice = await api(base, "POST", `/admin/reports/${onMessage.body.reportId}/resolve`, {
      token: admin.accessToken,
      body: { status: "dismissed" },
    });
    expect(twice.status).toBe(409);
  });

  it("refuses bad reports: strangers, unknown targets, oversize or empty reasons, floods", async () => {
    const frank = await registerUser(base, "frank");
    const gina = await registerUser(base, "gina");
    const stranger = await registerUser(base, "stranger");
    const frankWs = await connect(frank);
    frankWs.send({
      type: "send",
      cid: "r2",
      to: { type: "user", id: gina.userId },
      body: { type: "text", text: "private" },
    });
    const sent = await frankWs.next((f) => f.type === "sent" && f.cid === "r2");
    const cases: [unknown, number, string?][] = [
      [{ messageId: sent.messageId, reason: "x" }, 404, stranger.accessToken],
      [{ messageId: "m_nope", reason: "x" }, 404],
      [{ userId: "nobody_here", reason: "x" }, 404],
      [{ userId: gina.userId, reason: "r".repeat(501) }, 400],
      [{ userId: gina.userId, reason: "" }, 400],
      [{ userId: gina.userId, reason: "   " }, 400],
      [{ userId: frank.userId, reason: "me" }, 400],
      [{ userId: "a b", reason: "x" }, 400],
      [{ reason: "x" }, 400],
      [{ userId: gina.userId, messageId: sent.messageId, reason: "x" }, 400],
    ];
    for (const [body, status, token] of cases) {
      const answer = await api(base, "POST", "/reports", {
        token: token ?? frank.accessToken,
        body,
      });
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(typeof answer.body.error.code).toBe("string");
    }
    expect(
      (await api(base, "POST", "/reports", { body: { userId: gina.userId, reason: "x" } })).status,
    ).toBe(401);
    // A flood: the default budget is 10 reports per hour per user.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const answer = await api(base, "POST", "/reports", {
        token: stranger.accessToken,
        body: { userId: gina.userId, reason: `flood ${i}` },
      });
      statuses.push(answer.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});
