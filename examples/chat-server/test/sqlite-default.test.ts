import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, WsProbe } from "./helpers.js";
import { ensureBuilt, ServerProcess } from "./server-process.js";

/**
 * The acceptance story of the SQLite default: the built server as a process
 * with no store configured at all, two users, a group, an offline user who
 * syncs, then a restart: history, sync, login and refresh still work, and
 * seqs go on where they stopped.
 */

const PASSWORD = "correct horse battery";
const JWT_SECRET = "sqlite default test secret, at least 32 bytes";

interface Login {
  userId: string;
  accessToken: string;
  refreshToken: string;
}

async function login(url: string, username: string): Promise<Login> {
  const answer = await api(url, "POST", "/auth/login", { body: { username, password: PASSWORD } });
  expect(answer.status).toBe(200);
  return answer.body as Login;
}

async function send(from: WsProbe, to: { type: "user" | "group"; id: string }, text: string) {
  const cid = randomUUID();
  from.send({ type: "send", cid, to, body: { type: "text", text } });
  const sent = await from.next((f) => f.type === "sent" && f.cid === cid, 30_000);
  return { cid, seq: sent.seq as number };
}

/** Syncs from `cursors`; resolves with the texts received per conversation. */
async function sync(probe: WsProbe, cursors: Record<string, number>) {
  probe.send({ type: "sync", cursors });
  await probe.next((f) => f.type === "synced", 30_000);
  const texts: Record<string, string[]> = {};
  for (const f of probe.frames) {
    if (f.type !== "message") continue;
    const id = f.conversationId as string;
    texts[id] = [...(texts[id] ?? []), (f.body as { text: string }).text];
  }
  return texts;
}

async function history(url: string, token: string, conversationId: string) {
  const answer = await api(url, "GET", `/conversations/${conversationId}/messages`, { token });
  expect(answer.status).toBe(200);
  return (answer.body.messages as { seq: number; body: { text: string } }[])
    .map((m) => m.body.text)
    .reverse();
}

describe("the SQLite default as a process, across a restart", () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), "lucky-im-sqlite-default-"));
    // No LUCKY_IM_STORE and no PostgreSQL URL: the default store.
    env = {
      LUCKY_IM_SQLITE_PATH: join(dir, "db", "chat.sqlite"),
      LUCKY_IM_FILES_DIR: join(dir, "files"),
      LUCKY_IM_PASSWORD_HASH_LOG_N: "12",
      LUCKY_IM_JWT_SECRET: JWT_SECRET,
    };
  }, 600_000);

  afterAll(async () => {
    server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("keeps users, a group, messages, cursors and refresh tokens across a restart", async () => {
    server = await ServerProcess.start(env);
    expect(server.lines.some((l) => l.msg.includes("SQLite"))).toBe(true);
    expect(existsSync(env.LUCKY_IM_SQLITE_PATH!)).toBe(true);
    let url = server.url;

    const suffix = Math.random().toString(36).slice(2, 8);
    const names = { alice: `alice_${suffix}`, bob: `bob_${suffix}` };
    for (const username of Object.values(names)) {
      const registered = await api(url, "POST", "/auth/register", {
        body: { username, password: PASSWORD },
      });
      expect(registered.status).toBe(201);
    }
    const alice = await login(url, names.alice);
    const bob = await login(url, names.bob);
    const direct =
      alice.userId < bob.userId
        ? `d:${alice.userId}:${bob.userId}`
        : `d:${bob.userId}:${alice.userId}`;
    const created = await api(url, "POST", "/groups", {
      token: alice.accessToken,
      body: { name: "Team", members: [bob.userId] },
    });
    expect(created.status).toBe(201);
    const groupId = created.body.groupId as string;
    const group = `g:${groupId}`;

    // Both online: a direct message and a group message reach bob, who acks them.
    let a = await WsProbe.connect(url, alice.accessToken);
    let b = await WsProbe.connect(url, bob.accessToken);
    const hello = await send(a, { type: "user", id: bob.userId }, "hello bob");
    const team = await send(a, { type: "group", id: groupId }, "hello team");
    await b.next((f) => f.type === "message" && f.cid === hello.cid);
    await b.next((f) => f.type === "message" && f.cid === team.cid);
    b.send({ type: "ack", conversationId: direct, seq: hello.seq });
    b.send({ type: "ack", conversationId: group, seq: team.seq });

    // Bob goes offline, misses two messages, comes back and syncs.
    b.close();
    await b.closed();
    await send(a, { type: "user", id: bob.userId }, "are you there?");
    await send(a, { type: "group", id: groupId }, "meeting at 3");
    b = await WsProbe.connect(url, bob.accessToken);
    expect(await sync(b, { [direct]: hello.seq, [group]: team.seq })).toEqual({
      [direct]: ["are you there?"],
      [group]: ["meeting at 3"],
    });
    b.close();
    await b.closed();
    // Missed while offline, and still unread when the server restarts.
    await send(a, { type: "user", id: bob.userId }, "before the restart");

    expect(await server.stop("SIGTERM")).toBe(0);
    server = await ServerProcess.start(env);
    url = server.url;

    // Login, the old access token and the old refresh token all still work.
    expect((await api(url, "GET", "/users/me", { token: bob.accessToken })).status).toBe(200);
    const refreshed = await api(url, "POST", "/auth/refresh", {
      body: { refreshToken: bob.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    const bobAgain = await login(url, names.bob);

    // History and the conversation list come from the file.
    expect(await history(url, bobAgain.accessToken, direct)).toEqual([
      "hello bob",
      "are you there?",
      "before the restart",
    ]);
    expect(await history(url, bobAgain.accessToken, group)).toEqual(["hello team", "meeting at 3"]);
    const conversations = await api(url, "GET", "/conversations", { token: bobAgain.accessToken });
    expect(
      conversations.body.map((c: { conversationId: string }) => c.conversationId).sort(),
    ).toEqual([direct, group].sort());

    // Bob syncs what he missed across the restart; seqs go on where they stopped.
    b = await WsProbe.connect(url, bobAgain.accessToken);
    expect(await sync(b, { [direct]: 2, [group]: 2 })).toEqual({
      [direct]: ["before the restart"],
    });
    a = await WsProbe.connect(url, alice.accessToken);
    const after = await send(a, { type: "group", id: groupId }, "after the restart");
    expect(after.seq).toBe(3);
    await b.next((f) => f.type === "message" && f.cid === after.cid);
    a.close();
    b.close();
    expect(await server.stop("SIGTERM")).toBe(0);
  });
});
