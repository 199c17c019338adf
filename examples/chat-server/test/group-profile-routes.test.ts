import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../src/chat-server.js";
import { tinyPng } from "./browser-harness.js";
import {
  api,
  type Frame,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * The group profile routes: description, announcement, uploaded avatar and who may post. The
 * rules are the engine's; these tests check each route's answers, its refusals as the
 * documented status and error JSON, and the frames members get.
 */

let server: ChatServer;
let stop: () => Promise<void>;
let base: string;
const MAX_DESCRIPTION = 40;
const MAX_ANNOUNCEMENT = 60;

beforeAll(async () => {
  ({ server, stop } = await startTestServer({
    maxGroupDescription: MAX_DESCRIPTION,
    maxGroupAnnouncement: MAX_ANNOUNCEMENT,
  }));
  base = server.url;
});

afterAll(async () => {
  await stop();
});

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body).toMatchObject({ error: { code, message: expect.any(String) } });
};

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
    body: { name: "Club", members: [admin.userId, member.userId] },
  });
  const groupId = created.body.groupId as string;
  await api(base, "PUT", `/groups/${groupId}/members/${admin.userId}/role`, {
    token: owner.accessToken,
    body: { role: "admin" },
  });
  return { owner, admin, member, stranger, groupId };
}

const groupFrame = (groupId: string, event: string) => (f: Frame) =>
  f.type === "group" && f.groupId === groupId && f.event === event;

describe("group description and announcement routes", () => {
  it("an admin sets both; GET /groups/:id shows them; members get the announcement frame", async () => {
    const { owner, admin, member, groupId } = await newCast();
    const memberWs = await WsProbe.connect(base, member.accessToken);
    try {
      const described = await api(base, "PUT", `/groups/${groupId}/description`, {
        token: admin.accessToken,
        body: { description: "Book club ✨" },
      });
      expect(described.status).toBe(204);
      await memberWs.next(groupFrame(groupId, "updated"));

      const announced = await api(base, "PUT", `/groups/${groupId}/announcement`, {
        token: admin.accessToken,
        body: { text: "Meeting Friday at 6" },
      });
      expect(announced.status).toBe(200);
      expect(announced.body.announcement).toMatchObject({
        text: "Meeting Friday at 6",
        by: admin.userId,
        at: expect.any(Number),
      });
      expect(await memberWs.next(groupFrame(groupId, "announcement"))).toMatchObject({
        by: admin.userId,
        userIds: [],
        announcement: announced.body.announcement,
      });

      const seen = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
      expect(seen.body).toMatchObject({
        description: "Book club ✨",
        avatar: null,
        postPolicy: "everyone",
        announcement: announced.body.announcement,
      });

      const removed = await api(base, "DELETE", `/groups/${groupId}/announcement`, {
        token: owner.accessToken,
      });
      expect(removed.status).toBe(204);
      expect(
        await memberWs.next(
          (f) => groupFrame(groupId, "announcement")(f) && f.announcement === null,
        ),
      ).toMatchObject({ by: owner.userId });
      const after = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
      expect(after.body.announcement).toBeNull();
    } finally {
      memberWs.close();
    }
  });

  it("refuses plain members, strangers, wrong ids, oversize and bad bodies", async () => {
    const { owner, member, stranger, groupId } = await newCast();
    const routes = [
      ["description", { description: "mine" }],
      ["announcement", { text: "mine" }],
    ] as const;
    for (const [route, body] of routes) {
      const path = `/groups/${groupId}/${route}`;
      expectError(
        await api(base, "PUT", path, { token: member.accessToken, body }),
        403,
        "forbidden",
      );
      expectError(
        await api(base, "PUT", path, { token: stranger.accessToken, body }),
        403,
        "forbidden",
      );
      expectError(
        await api(base, "PUT", `/groups/nope/${route}`, { token: owner.accessToken, body }),
        404,
        "not_found",
      );
      expectError(await api(base, "PUT", path, { body }), 401, "unauthorized");
      expectError(
        await api(base, "PUT", path, { token: owner.accessToken, body: {} }),
        400,
        "bad_request",
      );
      expectError(
        await api(base, "PUT", `/groups/bad%20id/${route}`, {
          token: owner.accessToken,
          body,
        }),
        400,
        "bad_request",
      );
    }
    expectError(
      await api(base, "PUT", `/groups/${groupId}/description`, {
        token: owner.accessToken,
        body: { description: "d".repeat(MAX_DESCRIPTION + 1) },
      }),
      413,
      "too_large",
    );
    expectError(
      await api(base, "PUT", `/groups/${groupId}/announcement`, {
        token: owner.accessToken,
        body: { text: "a".repeat(MAX_ANNOUNCEMENT + 1) },
      }),
      413,
      "too_large",
    );
    expectError(
      await api(base, "PUT", `/groups/${groupId}/announcement`, {
        token: owner.accessToken,
        body: { text: "   " },
      }),
      400,
      "bad_request",
    );
    expectError(
      await api(base, "DELETE", `/groups/${groupId}/announcement`, { token: member.accessToken }),
      403,
      "forbidden",
    );
    const unchanged = await api(base, "GET", `/groups/${groupId}`, { token: owner.accessToken });
    expect(unchanged.body).toMatchObject({ description: "", announcement: null });
  });
});

describe("group avatar routes", () => {
  it("an admin sets an uploaded image (or its thumbnail); GET /groups/:id/avatar serves it; removal brings back the generated one", async () => {
    const { admin, member, stranger, groupId } = await newCast();
    const upload = await api(base, "POST", "/files?name=club.png", {
      token: admin.accessToken,
      raw: tinyPng(64),
      contentType: "image/png",
    });
    expect(upload.status).toBe(201);
    const thumbId = String(upload.body.thumbnailUrl).replace("/files/", "");
    const set = await api(base, "PUT", `/groups/${groupId}/avatar`, {
      token: admin.accessToken,
      body: { fileId: thumbId },
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ avatar: `/files/${thumbId}` });
    const seen = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
    expect(seen.body.avatar).toBe(`/files/${thumbId}`);
    const served = await fetch(`${base}/groups/${groupId}/avatar`, {
      headers: { authorization: `Bearer ${member.accessToken}` },
      redirect: "manual",
    });
    expect(served.status).toBe(302);
    expect(served.headers.get("location")).toBe(`/files/${thumbId}`);

    // Someone else's file, a non-image, an unknown id, a plain member, a stranger.
    const strangersFile = await api(base, "POST", "/files", {
      token: stranger.accessToken,
      raw: tinyPng(8),
      contentType: "image/png",
    });
    const text = await api(base, "POST", "/files?name=a.txt", {
      token: admin.accessToken,
      raw: Buffer.from("not an image"),
      contentType: "text/plain",
    });
    expect(text.status).toBe(201);
    for (const fileId of [strangersFile.body.fileId, text.body.fileId, "f_nope", "../etc"]) {
      expectError(
        await api(base, "PUT", `/groups/${groupId}/avatar`, {
          token: admin.accessToken,
          body: { fileId },
        }),
        400,
        "bad_request",
      );
    }
    expectError(
      await api(base, "PUT", `/groups/${groupId}/avatar`, {
        token: member.accessToken,
        body: { fileId: thumbId },
      }),
      400,
      "bad_request",
    );
    const membersUpload = await api(base, "POST", "/files", {
      token: member.accessToken,
      raw: tinyPng(8),
      contentType: "image/png",
    });
    expectError(
      await api(base, "PUT", `/groups/${groupId}/avatar`, {
        token: member.accessToken,
        body: { fileId: membersUpload.body.fileId },
      }),
      403,
      "forbidden",
    );
    expectError(
      await api(base, "DELETE", `/groups/${groupId}/avatar`, { token: stranger.accessToken }),
      403,
      "forbidden",
    );

    expect(
      (await api(base, "DELETE", `/groups/${groupId}/avatar`, { token: admin.accessToken })).status,
    ).toBe(204);
    const generated = await api(base, "GET", `/groups/${groupId}/avatar`, {
      token: member.accessToken,
    });
    expect(generated.status).toBe(200);
    expect(generated.headers.get("content-type")).toContain("image/svg+xml");
  });
});

describe("who may post (PUT /groups/:id/post-policy)", () => {
  it("admins only refuses a member's send with a forbidden error frame; everyone again lets it through", async () => {
    const { owner, admin, member, stranger, groupId } = await newCast();
    const memberWs = await WsProbe.connect(base, member.accessToken);
    try {
      const path = `/groups/${groupId}/post-policy`;
      expectError(
        await api(base, "PUT", path, {
          token: member.accessToken,
          body: { postPolicy: "admins" },
        }),
        403,
        "forbidden",
      );
      expectError(
        await api(base, "PUT", path, {
          token: stranger.accessToken,
          body: { postPolicy: "admins" },
        }),
        403,
        "forbidden",
      );
      expectError(
        await api(base, "PUT", path, { token: owner.accessToken, body: { postPolicy: "nobody" } }),
        400,
        "bad_request",
      );
      expectError(
        await api(base, "PUT", "/groups/nope/post-policy", {
          token: owner.accessToken,
          body: { postPolicy: "admins" },
        }),
        404,
        "not_found",
      );
      const set = await api(base, "PUT", path, {
        token: admin.accessToken,
        body: { postPolicy: "admins" },
      });
      expect(set.status).toBe(204);
      await memberWs.next(groupFrame(groupId, "updated"));
      const seen = await api(base, "GET", `/groups/${groupId}`, { token: member.accessToken });
      expect(seen.body).toMatchObject({ postPolicy: "admins", mutedAll: true });

      const to = { type: "group", id: groupId };
      memberWs.send({ type: "send", cid: "m1", to, body: { type: "text", text: "refused" } });
      expect(await memberWs.next((f) => f.type === "error" && f.cid === "m1")).toMatchObject({
        code: "forbidden",
        message: `only the owner and admins may post in group ${groupId}`,
      });

      await api(base, "PUT", path, { token: owner.accessToken, body: { postPolicy: "everyone" } });
      memberWs.send({ type: "send", cid: "m2", to, body: { type: "text", text: "allowed" } });
      expect(await memberWs.next((f) => f.cid === "m2")).toMatchObject({ type: "sent" });
    } finally {
      memberWs.close();
    }
  });
});
