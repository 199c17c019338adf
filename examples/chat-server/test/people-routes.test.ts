import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  type Frame,
  registerUser,
  startTestServer,
  type TestUser,
  WsProbe,
} from "./helpers.js";

/**
 * Profiles, user search and conversation settings over HTTP (issue 16): each change reaches
 * the right devices as a frame, and every bad input answers the documented status and JSON.
 */

/** A valid 1x1 PNG (the server decodes images to strip metadata and make thumbnails). */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const SEARCHES_PER_MINUTE = 4;

let stop: () => Promise<void>;
let base: string;
const probes: WsProbe[] = [];

beforeAll(async () => {
  let server: Awaited<ReturnType<typeof startTestServer>>["server"];
  ({ server, stop } = await startTestServer({ profileSearchesPerMinute: SEARCHES_PER_MINUTE }));
  base = server.url;
});

afterAll(async () => {
  for (const probe of probes) probe.socket.close();
  await stop();
});

async function connect(user: TestUser): Promise<WsProbe> {
  const probe = await WsProbe.connect(base, user.accessToken);
  probes.push(probe);
  return probe;
}

/** A direct conversation between the two users, opened by a message from `a`. */
async function talk(a: WsProbe, b: TestUser): Promise<string> {
  const cid = `c${Math.random().toString(36).slice(2)}`;
  a.send({
    type: "send",
    cid,
    to: { type: "user", id: b.userId },
    body: { type: "text", text: "hi" },
  });
  const sent = await a.next((f) => f.type === "sent" && f.cid === cid);
  return sent.conversationId as string;
}

describe("profiles", () => {
  it("updates display name and avatar (an uploaded image); the partner gets a profile frame", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const aliceWs = await connect(alice);
    const bobWs = await connect(bob);
    await talk(aliceWs, bob);

    const mine = await api(base, "GET", "/profile", { token: alice.accessToken });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      userId: alice.userId,
      username: alice.username,
      displayName: "",
    });

    const upload = await api(base, "POST", "/files?name=me.png", {
      token: alice.accessToken,
      raw: PNG,
      contentType: "image/png",
    });
    const changed = await api(base, "PATCH", "/profile", {
      token: alice.accessToken,
      body: { displayName: "Alice Liddell", avatarFileId: upload.body.fileId, hideLastSeen: true },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      displayName: "Alice Liddell",
      avatar: `/files/${upload.body.fileId}`,
      hideLastSeen: true,
    });
    const frame = await bobWs.next((f: Frame) => f.type === "profile" && f.userId === alice.userId);
    expect(frame).toMatchObject({
      displayName: "Alice Liddell",
      avatar: `/files/${upload.body.fileId}`,
    });

    const seen = await api(base, "GET", `/users/${alice.userId}/profile`, {
      token: bob.accessToken,
    });
    expect(seen.body).toMatchObject({ displayName: "Alice Liddell", lastSeenAt: null });
    expect(seen.body).not.toHaveProperty("searchable");
    const many = await api(base, "GET", `/profiles?ids=${alice.userId},${bob.userId}`, {
      token: bob.accessToken,
    });
    expect(many.body.map((p: { userId: string }) => p.userId)).toEqual([alice.userId, bob.userId]);
  });

  it("refuses bad input: unknown user 404, oversize display name 400, someone else's file 400, unknown fields 400, no token 401", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const unknown = await api(base, "GET", "/users/nobody_here/profile", {
      token: alice.accessToken,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: "not_found" } });

    const long = await api(base, "PATCH", "/profile", {
      token: alice.accessToken,
      body: { displayName: "x".repeat(65) },
    });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: { code: "bad_request" } });

    const bobsFile = await api(base, "POST", "/files", {
      token: bob.accessToken,
      raw: PNG,
      contentType: "image/png",
    });
    const stolen = await api(base, "PATCH", "/profile", {
      token: alice.accessToken,
      body: { avatarFileId: bobsFile.body.fileId },
    });
    expect(stolen.status).toBe(400);
    for (const body of [{ role: "admin" }, {}, { searchable: "yes" }]) {
      const answer = await api(base, "PATCH", "/profile", { token: alice.accessToken, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api(base, "GET", "/profile")).status).toBe(401);
    const badIds = await api(base, "GET", "/profiles?ids=a,b%20c", { token: alice.accessToken });
    expect(badIds.status).toBe(400);
  });

  it("searches by username or display name prefix, searchable users only; a flood is 429 with Retry-After", async () => {
    const searcher = await registerUser(base, "searcher");
    const found = await registerUser(base, "findme");
    const hidden = await registerUser(base, "findme");
    await api(base, "PATCH", "/profile", {
      token: hidden.accessToken,
      body: { searchable: false },
    });
    const answer = await api(base, "GET", `/users/search?q=${found.username}`, {
      token: searcher.accessToken,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.users.map((u: { userId: string }) => u.userId)).toEqual([found.userId]);
    const byPrefix = await api(base, "GET", "/users/search?q=FINDME", {
      token: searcher.accessToken,
    });
    const ids = byPrefix.body.users.map((u: { userId: string }) => u.userId);
    expect(ids).toContain(found.userId);
    expect(ids).not.toContain(hidden.userId);

    let last = byPrefix;
    for (let i = 0; i < SEARCHES_PER_MINUTE; i++) {
      last = await api(base, "GET", "/users/search?q=find", { token: searcher.accessToken });
    }
    expect(last.status).toBe(429);
    expect(last.body).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0);
    const empty = await api(base, "GET", "/users/search?q=", { token: found.accessToken });
    expect(empty.status).toBe(400);
  });
});

describe("conversation settings", () => {
  it("PUT /conversations/:id/settings reaches the user's other device; GET /conversations lists pinned first with settings, paged", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const carol = await registerUser(base, "carol");
    const phone = await connect(alice);
    const laptop = await connect(alice);
    const withBob = await talk(phone, bob);
    const withCarol = await talk(phone, carol);

    const pinned = await api(base, "PUT", `/conversations/${withBob}/settings`, {
      token: alice.accessToken,
      body: { pinned: true, mutedUntil: "forever", archived: false },
    });
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ conversationId: withBob, mutedUntil: "forever" });
    expect(pinned.body.pinnedAt).toBeGreaterThan(0);
    const frame = await laptop.next(
      (f) => f.type === "conversation_settings" && f.conversationId === withBob,
    );
    expect(frame).toMatchObject({ mutedUntil: "forever", archived: false, markedUnread: false });

    const list = await api(base, "GET", "/conversations", { token: alice.accessToken });
    expect(list.body.map((c: { conversationId: string }) => c.conversationId)).toEqual([
      withBob,
      withCarol,
    ]);
    expect(list.body[0].settings).toMatchObject({ mutedUntil: "forever" });
    expect(list.body[1].settings).toMatchObject({ pinnedAt: null, mutedUntil: null });
    const page = await api(base, "GET", "/conversations?limit=1&offset=1", {
      token: alice.accessToken,
    });
    expect(page.body.map((c: { conversationId: string }) => c.conversationId)).toEqual([withCarol]);
  });

  it("refuses bad settings input: not in the conversation 404, bad fields 400, bad id 400", async () => {
    const alice = await registerUser(base, "alice");
    const bob = await registerUser(base, "bob");
    const mallory = await registerUser(base, "mallory");
    const conversationId = await talk(await connect(alice), bob);
    const stranger = await api(base, "PUT", `/conversations/${conversationId}/settings`, {
      token: mallory.accessToken,
      body: { pinned: true },
    });
    expect(stranger.status).toBe(404);
    for (const body of [{}, { mutedUntil: "tomorrow" }, { pinned: 1 }, { colour: "red" }]) {
      const answer = await api(base, "PUT", `/conversations/${conversationId}/settings`, {
        token: alice.accessToken,
        body,
      });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    const badId = await api(base, "PUT", "/conversations/nonsense/settings", {
      token: alice.accessToken,
      body: { pinned: true },
    });
    expect(badId.status).toBe(400);
  });
});
