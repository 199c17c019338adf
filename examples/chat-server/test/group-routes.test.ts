import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import {
  api,
  type Frame,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * The group-management routes beyond create/get/add/remove/leave/dismiss: rename, roles, timed
 * mutes, mute-all, ownership transfer and the paged lists. Permissions are the engine's; these
 * tests check that every refusal reaches the client as the documented status and error JSON,
 * and that every change reaches the members as a `group` frame.
 */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const MAX_MUTE_SECONDS = 3600;
const MAX_GROUP_SIZE = 6;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({
    maxGroupMuteSeconds: MAX_MUTE_SECONDS,
    maxGroupSize: MAX_GROUP_SIZE,
  }));
  base = server.url;
});

afterAll(async () => {
  await stop();
});

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
  expect((answer.body as { error: { message: string } }).error.message.length).toBeGreaterThan(0);
};

/** A fresh group: owner, admin (promoted), member; plus a stranger who is in none. */
interface Cast {
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  stranger: TestUser;
  groupId: string;
}

async function newCast(): Promise<Cast> {
  const [owner, admin, member, stranger] = await Promise.all([
    registerUser(base, "owner"),
    registerUser(base, "admin"),
    registerUser(base, "member"),
    registerUser(base, "stranger"),
  ]);
  const created = await api(base, "POST", "/groups", {
    token: owner.accessToken,
    body: { name: "Crew", members: [admin.userId, member.userId] },
  });
  expect(created.status).toBe(201);
  const groupId = created.body.groupId as string;
  const promoted = await api(base, "PUT", `/groups/${groupId}/members/${admin.userId}/role`, {
    token: owner.accessToken,
    body: { role: "admin" },
  });
  expect(promoted.status).toBe(204);
  return { owner, admin, member, stranger, groupId };
}

const groupFrame = (groupId: string, event: string) => (f: Frame) =>
  f.type === "group" && f.groupId === groupId && f.event === event;

let probes: WsProbe[] = [];
const connect = async (user: TestUser) => {
  const probe = await WsProbe.connect(base, user.accessToken);
  probes.push(probe);
  return probe;
};

afterEach(() => {
  for (const probe of probes) probe.close();
  probes = [];
});

describe("PATCH /groups/:id (rename)", () => {
  let cast: Cast;
  beforeEach(async () => {
    cast = await newCast();
  });

  it("an admin renames; every member gets group updated and reads the new name", async () => {
    const { owner, admin, member, groupId } = cast;
    const [ownerWs, memberWs] = [await connect(owner), await connect(member)];
    const renamed = await api(base, "PATCH", `/groups/${groupId}`, {
      token: admin.accessToken,
      body: { name: "  Night shift  " },
    });
    expect(renamed.status).toBe(204);
    for (const ws of [ownerWs, memberWs]) {
      const frame = await ws.next(groupFrame(groupId, "updated"));
      expect(frame).toMatchObject({ userIds: [], by: admin.userId });
    }
    const group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.body.name).toBe("Night shift");
  });

  it("refuses a plain member (403), a stranger (403), an unknown group (404), no token (401)", async () => {
    const { member, stranger, groupId } = cast;
    const body = { name: "Mine now" };
    expectError(
      await api(base, "PATCH", `/groups/${groupId}`, { token: member.accessToken, body }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "PATCH", `/groups/${groupId}`, { token: stranger.accessToken, body }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "PATCH", "/groups/nosuchgroup", { token: member.accessToken, body }),
      404,
      "not_found",
    );
    expectError(await api(base, "PATCH", `/groups/${groupId}`, { body }), 401, "unauthorized");
  });

  it("refuses malformed bodies and names that are empty or over 100 characters (400)", async () => {
    const { owner, groupId } = cast;
    for (const body of [
      {},
      { name: 5 },
      { name: "" },
      { name: "   " },
      { name: "x".repeat(101) },
    ]) {
      expectError(
        await api(base, "PATCH", `/groups/${groupId}`, { token: owner.accessToken, body }),
        400,
        "bad_request",
      );
    }
    const broken = await api(base, "PATCH", `/groups/${groupId}`, {
      token: owner.accessToken,
      raw: Buffer.from('{"name":'),
      contentType: "application/json",
    });
    expectError(broken, 400, "bad_request");
    const group = await api(base, "GET", `/groups/${groupId}`, { token: owner.accessToken });
    expect(group.body.name).toBe("Crew");
  });
});

describe("PUT /groups/:id/members/:userId/role", () => {
  let cast: Cast;
  beforeEach(async () => {
    cast = await newCast();
  });

  it("the owner promotes and demotes; members get group updated naming the member", async () => {
    const { owner, admin, member, groupId } = cast;
    const adminWs = await connect(admin);
    const url = `/groups/${groupId}/members/${member.userId}/role`;
    const promoted = await api(base, "PUT", url, {
      token: owner.accessToken,
      body: { role: "admin" },
    });
    expect(promoted.status).toBe(204);
    const frame = await adminWs.next(groupFrame(groupId, "updated"));
    expect(frame).toMatchObject({ userIds: [member.userId], by: owner.userId });
    let group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.body.members).toContainEqual({ userId: member.userId, role: "admin" });
    await api(base, "PUT", url, { token: owner.accessToken, body: { role: "member" } });
    group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.body.members).toContainEqual({ userId: member.userId, role: "member" });
  });

  it("is the owner's alone: an admin, a member, a stranger get 403", async () => {
    const { admin, member, stranger, groupId } = cast;
    const url = `/groups/${groupId}/members/${member.userId}/role`;
    for (const user of [admin, member, stranger]) {
      expectError(
        await api(base, "PUT", url, { token: user.accessToken, body: { role: "admin" } }),
        403,
        "forbidden",
      );
    }
  });

  it("answers 404 for an unknown group or user, 409 for the owner, 400 for a bad role", async () => {
    const { owner, member, stranger, groupId } = cast;
    const body = { role: "admin" };
    expectError(
      await api(base, "PUT", `/groups/nosuchgroup/members/${member.userId}/role`, {
        token: owner.accessToken,
        body,
      }),
      404,
      "not_found",
    );
    for (const userId of ["u_nobody", stranger.userId]) {
      expectError(
        await api(base, "PUT", `/groups/${groupId}/members/${userId}/role`, {
          token: owner.accessToken,
          body,
        }),
        404,
        "not_found",
      );
    }
    expectError(
      await api(base, "PUT", `/groups/${groupId}/members/${owner.userId}/role`, {
        token: owner.accessToken,
        body,
      }),
      409,
      "conflict",
    );
    for (const bad of [{ role: "owner" }, { role: "boss" }, {}, { role: ["admin"] }]) {
      expectError(
        await api(base, "PUT", `/groups/${groupId}/members/${member.userId}/role`, {
          token: owner.accessToken,
          body: bad,
        }),
        400,
        "bad_request",
      );
    }
  });
});

describe("PUT and DELETE /groups/:id/members/:userId/mute", () => {
  let cast: Cast;
  beforeEach(async () => {
    cast = await newCast();
  });

  it("an admin mutes a member for a while: sends are refused until the unmute", async () => {
    const { owner, admin, member, groupId } = cast;
    const [ownerWs, memberWs] = [await connect(owner), await connect(member)];
    const url = `/groups/${groupId}/members/${member.userId}/mute`;
    const before = Date.now();
    const muted = await api(base, "PUT", url, {
      token: admin.accessToken,
      body: { durationSeconds: 600 },
    });
    expect(muted.status).toBe(200);
    expect(muted.body.mutedUntil).toBeGreaterThanOrEqual(before + 600_000);
    const frame = await ownerWs.next(groupFrame(groupId, "updated"));
    expect(frame).toMatchObject({ userIds: [member.userId], by: admin.userId });
    const group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.body.members).toContainEqual({
      userId: member.userId,
      role: "member",
      mutedUntil: muted.body.mutedUntil,
    });

    const cid = randomUUID();
    memberWs.send({
      type: "send",
      cid,
      to: { type: "group", id: groupId },
      body: { type: "text", text: "hi" },
    });
    const refused = await memberWs.next((f) => f.type === "error" && f.cid === cid);
    expect(refused).toMatchObject({ code: "forbidden" });

    const unmuted = await api(base, "DELETE", url, { token: admin.accessToken });
    expect(unmuted.status).toBe(204);
    const again = randomUUID();
    memberWs.send({
      type: "send",
      cid: again,
      to: { type: "group", id: groupId },
      body: { type: "text", text: "hi again" },
    });
    await memberWs.next((f) => f.type === "sent" && f.cid === again);
    const after = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(after.body.members).toContainEqual({ userId: member.userId, role: "member" });
  });

  it("refuses durations out of 1..LUCKY_IM_MAX_GROUP_MUTE_SECONDS and malformed bodies (400)", async () => {
    const { owner, member, groupId } = cast;
    const url = `/groups/${groupId}/members/${member.userId}/mute`;
    for (const body of [
      { durationSeconds: 0 },
      { durationSeconds: -5 },
      { durationSeconds: MAX_MUTE_SECONDS + 1 },
      { durationSeconds: 1.5 },
      { durationSeconds: "60" },
      {},
    ]) {
      expectError(
        await api(base, "PUT", url, { token: owner.accessToken, body }),
        400,
        "bad_request",
      );
    }
    const longest = await api(base, "PUT", url, {
      token: owner.accessToken,
      body: { durationSeconds: MAX_MUTE_SECONDS },
    });
    expect(longest.status).toBe(200);
  });

  it("follows the roles: member 403, stranger 403, admin on the owner or an admin 403", async () => {
    const { owner, admin, member, stranger, groupId } = cast;
    const body = { durationSeconds: 60 };
    const mute = (by: TestUser, target: TestUser) =>
      api(base, "PUT", `/groups/${groupId}/members/${target.userId}/mute`, {
        token: by.accessToken,
        body,
      });
    expectError(await mute(member, admin), 403, "forbidden");
    expectError(await mute(stranger, member), 403, "forbidden");
    expectError(await mute(admin, owner), 403, "forbidden");
    const [otherAdmin] = await Promise.all([registerUser(base, "admin2")]);
    await api(base, "POST", `/groups/${groupId}/members`, {
      token: owner.accessToken,
      body: { userIds: [otherAdmin.userId] },
    });
    await api(base, "PUT", `/groups/${groupId}/members/${otherAdmin.userId}/role`, {
      token: owner.accessToken,
      body: { role: "admin" },
    });
    expectError(await mute(admin, otherAdmin), 403, "forbidden");
    expect((await mute(owner, otherAdmin)).status).toBe(200);
    expectError(
      await api(base, "DELETE", `/groups/${groupId}/members/${member.userId}/mute`, {
        token: member.accessToken,
      }),
      403,
      "forbidden",
    );
  });

  it("answers 404 for an unknown group and for a user who is not a member", async () => {
    const { owner, stranger, groupId } = cast;
    const body = { durationSeconds: 60 };
    expectError(
      await api(base, "PUT", `/groups/nosuchgroup/members/${stranger.userId}/mute`, {
        token: owner.accessToken,
        body,
      }),
      404,
      "not_found",
    );
    for (const userId of [stranger.userId, "u_nobody"]) {
      expectError(
        await api(base, "PUT", `/groups/${groupId}/members/${userId}/mute`, {
          token: owner.accessToken,
          body,
        }),
        404,
        "not_found",
      );
      expectError(
        await api(base, "DELETE", `/groups/${groupId}/members/${userId}/mute`, {
          token: owner.accessToken,
        }),
        404,
        "not_found",
      );
    }
  });
});

describe("PUT /groups/:id/mute-all", () => {
  it("owner or admin turn it on and off; members are told; others get 403/404/400", async () => {
    const { owner, admin, member, stranger, groupId } = await newCast();
    const memberWs = await connect(member);
    const url = `/groups/${groupId}/mute-all`;
    const on = await api(base, "PUT", url, { token: admin.accessToken, body: { mutedAll: true } });
    expect(on.status).toBe(204);
    await memberWs.next(groupFrame(groupId, "updated"));
    let group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.body.mutedAll).toBe(true);
    const cid = randomUUID();
    memberWs.send({
      type: "send",
      cid,
      to: { type: "group", id: groupId },
      body: { type: "text", text: "hi" },
    });
    expect(await memberWs.next((f) => f.type === "error" && f.cid === cid)).toMatchObject({
      code: "forbidden",
    });

    expectError(
      await api(base, "PUT", url, { token: member.accessToken, body: { mutedAll: false } }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "PUT", url, { token: stranger.accessToken, body: { mutedAll: false } }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "PUT", "/groups/nosuchgroup/mute-all", {
        token: owner.accessToken,
        body: { mutedAll: false },
      }),
      404,
      "not_found",
    );
    for (const body of [{}, { mutedAll: "no" }, { mutedAll: 0 }]) {
      expectError(
        await api(base, "PUT", url, { token: owner.accessToken, body }),
        400,
        "bad_request",
      );
    }
    const off = await api(base, "PUT", url, {
      token: owner.accessToken,
      body: { mutedAll: false },
    });
    expect(off.status).toBe(204);
    group = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(group.body.mutedAll).toBe(false);
  });
});

describe("POST /groups/:id/transfer", () => {
  let cast: Cast;
  beforeEach(async () => {
    cast = await newCast();
  });

  it("the owner cannot leave (409) until ownership passes; then the old owner is an admin and may leave", async () => {
    const { owner, admin, member, groupId } = cast;
    expectError(
      await api(base, "POST", `/groups/${groupId}/leave`, { token: owner.accessToken }),
      409,
      "conflict",
    );
    const memberWs = await connect(member);
    const moved = await api(base, "POST", `/groups/${groupId}/transfer`, {
      token: owner.accessToken,
      body: { userId: member.userId },
    });
    expect(moved.status).toBe(204);
    const frame = await memberWs.next(groupFrame(groupId, "updated"));
    expect(frame).toMatchObject({ userIds: [owner.userId, member.userId], by: owner.userId });
    const group = await api(base, "GET", `/groups/${groupId}`, { token: admin.accessToken });
    expect(group.body.ownerId).toBe(member.userId);
    expect(group.body.members).toEqual(
      expect.arrayContaining([
        { userId: member.userId, role: "owner" },
        { userId: owner.userId, role: "admin" },
      ]),
    );
    const left = await api(base, "POST", `/groups/${groupId}/leave`, { token: owner.accessToken });
    expect(left.status).toBe(204);
    await memberWs.next(groupFrame(groupId, "member_removed"));
  });

  it("refuses admins and strangers (403), non-members and unknown users (404), bad bodies (400)", async () => {
    const { owner, admin, member, stranger, groupId } = cast;
    const url = `/groups/${groupId}/transfer`;
    for (const user of [admin, member, stranger]) {
      expectError(
        await api(base, "POST", url, { token: user.accessToken, body: { userId: user.userId } }),
        403,
        "forbidden",
      );
    }
    for (const userId of [stranger.userId, "u_nobody"]) {
      expectError(
        await api(base, "POST", url, { token: owner.accessToken, body: { userId } }),
        404,
        "not_found",
      );
    }
    expectError(
      await api(base, "POST", "/groups/nosuchgroup/transfer", {
        token: owner.accessToken,
        body: { userId: member.userId },
      }),
      404,
      "not_found",
    );
    for (const body of [{}, { userId: "" }, { userId: "has space" }, { userId: 7 }]) {
      expectError(
        await api(base, "POST", url, { token: owner.accessToken, body }),
        400,
        "bad_request",
      );
    }
    const group = await api(base, "GET", `/groups/${groupId}`, { token: owner.accessToken });
    expect(group.body.ownerId).toBe(owner.userId);
  });
});

describe("GET /groups/:id/members (paged)", () => {
  it("pages every member once, in user-id order, with nextCursor null on the last page", async () => {
    const users = await Promise.all(
      Array.from({ length: MAX_GROUP_SIZE }, () => registerUser(base, "paged")),
    );
    const [owner, ...others] = users as [TestUser, ...TestUser[]];
    const created = await api(base, "POST", "/groups", {
      token: owner.accessToken,
      body: { name: "Paged", members: others.map((u) => u.userId) },
    });
    const groupId = created.body.groupId as string;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=4&cursor=${encodeURIComponent(cursor)}` : "?limit=4";
      const page = await api(base, "GET", `/groups/${groupId}/members${query}`, {
        token: others[0]?.accessToken,
      });
      expect(page.status).toBe(200);
      expect(page.body.memberCount).toBe(MAX_GROUP_SIZE);
      expect(page.body.members.length).toBeLessThanOrEqual(4);
      for (const m of page.body.members) {
        expect(m).toEqual({
          userId: expect.any(String),
          role: m.userId === owner.userId ? "owner" : "member",
          joinedAt: expect.any(Number),
        });
        seen.push(m.userId);
      }
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(users.map((u) => u.userId).sort());
  });

  it("refuses strangers (403), unknown groups (404), bad limits and cursors (400)", async () => {
    const { stranger, member, groupId } = await newCast();
    expectError(
      await api(base, "GET", `/groups/${groupId}/members`, { token: stranger.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "GET", "/groups/nosuchgroup/members", { token: member.accessToken }),
      404,
      "not_found",
    );
    for (const query of ["limit=0", "limit=501", "limit=ten", "cursor=a%20b", "cursor="]) {
      expectError(
        await api(base, "GET", `/groups/${groupId}/members?${query}`, {
          token: member.accessToken,
        }),
        400,
        "bad_request",
      );
    }
    expectError(await api(base, "GET", `/groups/${groupId}/members`), 401, "unauthorized");
  });
});

describe("GET /groups (my groups)", () => {
  it("lists the caller's groups with name, role and member count, paged", async () => {
    const { owner, admin, member, groupId } = await newCast();
    const second = await api(base, "POST", "/groups", {
      token: member.accessToken,
      body: { name: "Side", members: [admin.userId] },
    });
    const sideId = second.body.groupId as string;
    const all = await api(base, "GET", "/groups", { token: admin.accessToken });
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.groups).toHaveLength(2);
    expect(all.body.groups).toEqual(
      expect.arrayContaining([
        { groupId, name: "Crew", role: "admin", memberCount: 3, mutedAll: false },
        { groupId: sideId, name: "Side", role: "member", memberCount: 2, mutedAll: false },
      ]),
    );
    const first = await api(base, "GET", "/groups?limit=1", { token: admin.accessToken });
    expect(first.body.groups).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const rest = await api(base, "GET", `/groups?limit=1&cursor=${first.body.nextCursor}`, {
      token: admin.accessToken,
    });
    expect(rest.body.groups).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    expect([first.body.groups[0].groupId, rest.body.groups[0].groupId].sort()).toEqual(
      [groupId, sideId].sort(),
    );
    const ownerList = await api(base, "GET", "/groups", { token: owner.accessToken });
    expect(ownerList.body.groups).toEqual([
      { groupId, name: "Crew", role: "owner", memberCount: 3, mutedAll: false },
    ]);
  });

  it("refuses anonymous callers (401) and bad limits (400)", async () => {
    const user = await registerUser(base, "lonely");
    expectError(await api(base, "GET", "/groups"), 401, "unauthorized");
    expectError(
      await api(base, "GET", "/groups?limit=0", { token: user.accessToken }),
      400,
      "bad_request",
    );
    const empty = await api(base, "GET", "/groups", { token: user.accessToken });
    expect(empty.body).toEqual({ groups: [], nextCursor: null });
  });
});

describe("LUCKY_IM_MAX_GROUP_SIZE", () => {
  it("reaches the engine: creating or growing past it answers 413", async () => {
    const users = await Promise.all(
      Array.from({ length: MAX_GROUP_SIZE + 1 }, () => registerUser(base, "cap")),
    );
    const [owner, ...others] = users as [TestUser, ...TestUser[]];
    expectError(
      await api(base, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "Too big", members: others.map((u) => u.userId) },
      }),
      413,
      "too_large",
    );
    const created = await api(base, "POST", "/groups", {
      token: owner.accessToken,
      body: { name: "Full", members: others.slice(0, -1).map((u) => u.userId) },
    });
    expect(created.status).toBe(201);
    expectError(
      await api(base, "POST", `/groups/${created.body.groupId}/members`, {
        token: owner.accessToken,
        body: { userIds: [others.at(-1)?.userId] },
      }),
      413,
      "too_large",
    );
  });
});
