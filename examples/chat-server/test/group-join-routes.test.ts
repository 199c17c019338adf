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
 * The join routes: join settings, join requests, invitations and invite links. The rules are
 * the engine's; these tests check each route's answers, its refusals as the documented status
 * and error JSON, and the `group` frames the people concerned get.
 */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const MAX_PENDING = 2;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({ maxPendingJoinRequests: MAX_PENDING }));
  base = server.url;
});

afterAll(async () => {
  await stop();
});

const expectError = (
  answer: { status: number; body: unknown },
  status: number,
  code: string,
  reason?: string,
) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    error: { code, message: expect.any(String), ...(reason !== undefined && { reason }) },
  });
};

interface Cast {
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  stranger: TestUser;
  groupId: string;
}

async function newCast(joinMode?: "open" | "approval" | "invite"): Promise<Cast> {
  const [owner, admin, member, stranger] = await Promise.all([
    registerUser(base, "owner"),
    registerUser(base, "admin"),
    registerUser(base, "member"),
    registerUser(base, "stranger"),
  ]);
  const created = await api(base, "POST", "/groups", {
    token: owner.accessToken,
    body: { name: "Club", members: [admin.userId, member.userId] },
  });
  const groupId = created.body.groupId as string;
  await api(base, "PUT", `/groups/${groupId}/members/${admin.userId}/role`, {
    token: owner.accessToken,
    body: { role: "admin" },
  });
  if (joinMode) {
    const set = await api(base, "PUT", `/groups/${groupId}/join-settings`, {
      token: owner.accessToken,
      body: { joinMode },
    });
    expect(set.status).toBe(200);
  }
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

async function sendToGroup(ws: WsProbe, groupId: string, text: string): Promise<Frame> {
  const cid = randomUUID();
  ws.send({ type: "send", cid, to: { type: "group", id: groupId }, body: { type: "text", text } });
  return ws.next((f) => (f.type === "sent" || f.type === "error") && f.cid === cid);
}

describe("join settings", () => {
  let cast: Cast;
  beforeEach(async () => {
    cast = await newCast();
  });

  it("anyone reads them; the owner and admins change them; members get group updated", async () => {
    const { owner, admin, member, stranger, groupId } = cast;
    const read = await api(base, "GET", `/groups/${groupId}/join-settings`, {
      token: stranger.accessToken,
    });
    expect(read).toMatchObject({
      status: 200,
      body: { joinMode: "invite", invitePolicy: "members" },
    });
    const memberWs = await connect(member);
    const changed = await api(base, "PUT", `/groups/${groupId}/join-settings`, {
      token: admin.accessToken,
      body: { joinMode: "approval", invitePolicy: "admins" },
    });
    expect(changed).toMatchObject({
      status: 200,
      body: { joinMode: "approval", invitePolicy: "admins" },
    });
    expect(await memberWs.next(groupFrame(groupId, "updated"))).toMatchObject({ by: admin.userId });
    const url = `/groups/${groupId}/join-settings`;
    expectError(
      await api(base, "PUT", url, { token: member.accessToken, body: { joinMode: "open" } }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "PUT", url, { token: stranger.accessToken, body: { joinMode: "open" } }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "PUT", url, { token: owner.accessToken, body: { joinMode: "wide" } }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "PUT", url, { token: owner.accessToken, body: {} }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "GET", "/groups/nope/join-settings", { token: owner.accessToken }),
      404,
      "not_found",
    );
    expectError(await api(base, "PUT", url, { body: { joinMode: "open" } }), 401, "unauthorized");
  });
});

describe("joining an open or invite-only group", () => {
  it("open: a stranger joins once and can send; invite only: 403", async () => {
    const { stranger, groupId } = await newCast("open");
    const joined = await api(base, "POST", `/groups/${groupId}/join`, {
      token: stranger.accessToken,
    });
    expect(joined).toMatchObject({ status: 200, body: { groupId, joined: true } });
    const again = await api(base, "POST", `/groups/${groupId}/join`, {
      token: stranger.accessToken,
    });
    expect(again.body).toEqual({ groupId, joined: false });
    const ws = await connect(stranger);
    expect(await sendToGroup(ws, groupId, "hello")).toMatchObject({ type: "sent" });

    const closed = await newCast();
    expectError(
      await api(base, "POST", `/groups/${closed.groupId}/join`, {
        token: closed.stranger.accessToken,
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", `/groups/${closed.groupId}/requests`, {
        token: closed.stranger.accessToken,
        body: {},
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", "/groups/nope/join", { token: stranger.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("join requests", () => {
  it("a stranger asks; the admins get join_requested; an admin approves; the new member sends at once", async () => {
    const { owner, admin, member, stranger, groupId } = await newCast("approval");
    const [ownerWs, strangerWs] = [await connect(owner), await connect(stranger)];
    const asked = await api(base, "POST", `/groups/${groupId}/requests`, {
      token: stranger.accessToken,
      body: { message: "I run the bakery" },
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      groupId,
      kind: "request",
      userId: stranger.userId,
      message: "I run the bakery",
      state: "pending",
    });
    const requestId = asked.body.ticketId as string;
    expect(await ownerWs.next(groupFrame(groupId, "join_requested"))).toMatchObject({
      userIds: [stranger.userId],
    });
    expectError(
      await api(base, "POST", `/groups/${groupId}/requests`, {
        token: stranger.accessToken,
        body: {},
      }),
      409,
      "conflict",
    );
    const listed = await api(base, "GET", `/groups/${groupId}/requests`, {
      token: admin.accessToken,
    });
    expect(listed.body.requests.map((r: { ticketId: string }) => r.ticketId)).toEqual([requestId]);
    expectError(
      await api(base, "GET", `/groups/${groupId}/requests`, { token: member.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "GET", `/groups/${groupId}/requests`, { token: stranger.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", `/join-requests/${requestId}/approve`, { token: member.accessToken }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", `/join-requests/${requestId}/approve`, {
        token: stranger.accessToken,
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", "/join-requests/nope/approve", { token: admin.accessToken }),
      404,
      "not_found",
      "unknown",
    );
    expectError(
      await api(base, "POST", "/join-requests/bad%20id/approve", { token: admin.accessToken }),
      400,
      "bad_request",
    );

    const approved = await api(base, "POST", `/join-requests/${requestId}/approve`, {
      token: admin.accessToken,
    });
    expect(approved).toMatchObject({ status: 200, body: { groupId, joined: true } });
    await strangerWs.next(groupFrame(groupId, "member_added"));
    expect(await sendToGroup(strangerWs, groupId, "thanks!")).toMatchObject({ type: "sent" });
    expectError(
      await api(base, "POST", `/join-requests/${requestId}/approve`, { token: admin.accessToken }),
      403,
      "forbidden",
      "decided",
    );
  });

  it("decline reaches the requester; an oversize message is 400; a flood of requests is 429", async () => {
    const { admin, stranger, groupId } = await newCast("approval");
    const strangerWs = await connect(stranger);
    expectError(
      await api(base, "POST", `/groups/${groupId}/requests`, {
        token: stranger.accessToken,
        body: { message: "x".repeat(501) },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/requests`, {
        token: stranger.accessToken,
        body: { message: "y".repeat(5000) },
      }),
      400,
      "bad_request",
    );
    const asked = await api(base, "POST", `/groups/${groupId}/requests`, {
      token: stranger.accessToken,
      body: {},
    });
    const declined = await api(base, "POST", `/join-requests/${asked.body.ticketId}/decline`, {
      token: admin.accessToken,
    });
    expect(declined.status).toBe(204);
    expect(await strangerWs.next(groupFrame(groupId, "join_declined"))).toMatchObject({
      by: admin.userId,
    });

    // MAX_PENDING pending requests over several groups, then 429.
    const groups = await Promise.all(
      Array.from({ length: MAX_PENDING + 1 }, () => newCast("approval")),
    );
    for (const g of groups.slice(0, MAX_PENDING)) {
      const ok = await api(base, "POST", `/groups/${g.groupId}/requests`, {
        token: stranger.accessToken,
        body: {},
      });
      expect(ok.status).toBe(201);
    }
    expectError(
      await api(base, "POST", `/groups/${groups.at(-1)!.groupId}/requests`, {
        token: stranger.accessToken,
        body: {},
      }),
      429,
      "rate_limited",
    );
  });
});

describe("invitations", () => {
  it("a member invites; the invitee sees it in its inbox and accepts; wrong people are refused", async () => {
    const { member, stranger, owner, groupId } = await newCast();
    const strangerWs = await connect(stranger);
    const invited = await api(base, "POST", `/groups/${groupId}/invitations`, {
      token: member.accessToken,
      body: { userId: stranger.userId, message: "join us" },
    });
    expect(invited.status).toBe(201);
    expect(await strangerWs.next(groupFrame(groupId, "invited"))).toMatchObject({
      userIds: [stranger.userId],
      by: member.userId,
    });
    const inbox = await api(base, "GET", "/invitations", { token: stranger.accessToken });
    expect(inbox.body.invitations).toEqual([
      expect.objectContaining({ ticketId: invited.body.ticketId, groupId, by: member.userId }),
    ]);
    expectError(
      await api(base, "POST", `/groups/${groupId}/invitations`, {
        token: member.accessToken,
        body: { userId: stranger.userId },
      }),
      409,
      "conflict",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/invitations`, {
        token: member.accessToken,
        body: { userId: "u_nobody" },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/invitations`, {
        token: stranger.accessToken,
        body: { userId: owner.userId },
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", `/invitations/${invited.body.ticketId}/accept`, {
        token: owner.accessToken,
      }),
      404,
      "not_found",
      "unknown",
    );
    const accepted = await api(base, "POST", `/invitations/${invited.body.ticketId}/accept`, {
      token: stranger.accessToken,
    });
    expect(accepted.body).toEqual({ groupId, joined: true });
    expect((await api(base, "GET", "/invitations", { token: stranger.accessToken })).body).toEqual({
      invitations: [],
    });
  });

  it("an invitee declines; the inviter gets invitation_declined; admins-only invites refuse members", async () => {
    const { owner, member, stranger, groupId } = await newCast();
    const ownerWs = await connect(owner);
    const invited = await api(base, "POST", `/groups/${groupId}/invitations`, {
      token: owner.accessToken,
      body: { userId: stranger.userId },
    });
    const declined = await api(base, "POST", `/invitations/${invited.body.ticketId}/decline`, {
      token: stranger.accessToken,
    });
    expect(declined.status).toBe(204);
    expect(await ownerWs.next(groupFrame(groupId, "invitation_declined"))).toMatchObject({
      by: stranger.userId,
    });
    await api(base, "PUT", `/groups/${groupId}/join-settings`, {
      token: owner.accessToken,
      body: { invitePolicy: "admins" },
    });
    expectError(
      await api(base, "POST", `/groups/${groupId}/invitations`, {
        token: member.accessToken,
        body: { userId: stranger.userId },
      }),
      403,
      "forbidden",
    );
  });
});

describe("invite links", () => {
  it("a link works once per user, counts uses, and is refused once revoked", async () => {
    const { owner, admin, member, stranger, groupId } = await newCast();
    const other = await registerUser(base, "other");
    const created = await api(base, "POST", `/groups/${groupId}/invite-links`, {
      token: member.accessToken,
      body: { ttlSeconds: 3600, maxUses: 5 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ groupId, createdBy: member.userId, maxUses: 5, uses: 0 });
    const code = created.body.code as string;
    const joined = await api(base, "POST", `/invite-links/${code}/join`, {
      token: stranger.accessToken,
    });
    expect(joined.body).toEqual({ groupId, joined: true });
    await api(base, "POST", `/groups/${groupId}/leave`, { token: stranger.accessToken });
    expectError(
      await api(base, "POST", `/invite-links/${code}/join`, { token: stranger.accessToken }),
      403,
      "forbidden",
      "already_used",
    );
    const links = await api(base, "GET", `/groups/${groupId}/invite-links`, {
      token: admin.accessToken,
    });
    expect(links.body.links).toEqual([expect.objectContaining({ code, uses: 1 })]);
    expectError(
      await api(base, "DELETE", `/invite-links/${code}`, { token: other.accessToken }),
      403,
      "forbidden",
    );
    expect(
      (await api(base, "DELETE", `/invite-links/${code}`, { token: owner.accessToken })).status,
    ).toBe(204);
    expectError(
      await api(base, "POST", `/invite-links/${code}/join`, { token: other.accessToken }),
      403,
      "forbidden",
      "revoked",
    );
    expectError(
      await api(base, "POST", "/invite-links/nope/join", { token: other.accessToken }),
      404,
      "not_found",
      "unknown",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/invite-links`, {
        token: other.accessToken,
        body: {},
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/invite-links`, {
        token: owner.accessToken,
        body: { maxUses: 0 },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "POST", `/groups/${groupId}/invite-links`, {
        token: owner.accessToken,
        body: { ttlSeconds: 30 * 86_400 },
      }),
      400,
      "bad_request",
    );
  });
});
