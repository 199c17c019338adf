import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, uniqueName } from "@lucky-im/core/testing";
import { CompactEncrypt, importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterNodeEnv, dropClusterState } from "../../../test/integration/shared-services.js";
import { serviceUrl } from "../../../test/services.js";
import { api, WsProbe } from "./helpers.js";
import { ensureBuilt, ServerProcess } from "./server-process.js";

/**
 * The built server as real processes (`node dist/main.js`): the embedded
 * default, and a two-node cluster on PostgreSQL + RabbitMQ + Redis. Both pass
 * the same end-to-end story, then stop on SIGTERM with exit code 0.
 */

const postgresUrl = await serviceUrl("postgres");
const redisUrl = await serviceUrl("redis");
const amqpUrl = await serviceUrl("amqp");

const JWT_SECRET = "process test secret, at least 32 bytes long";
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  await ensureBuilt();
}, 600_000);

const directId = (a: string, b: string) => (a < b ? `d:${a}:${b}` : `d:${b}:${a}`);

/** Logs in with an encrypted password, the key fetched from `keyFrom`, the login sent to `loginAt`. */
async function loginWithJwe(keyFrom: string, loginAt: string, username: string) {
  const jwk = (await api<JWK>(keyFrom, "GET", "/auth/public-key")).body;
  const passwordJwe = await new CompactEncrypt(new TextEncoder().encode(PASSWORD))
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: jwk.kid! })
    .encrypt(await importJWK(jwk, "RSA-OAEP-256"));
  const answer = await api(loginAt, "POST", "/auth/login", { body: { username, passwordJwe } });
  expect(answer.status).toBe(200);
  return answer.body as { userId: string; accessToken: string; refreshToken: string };
}

/**
 * Register two users, log in, chat both ways over WebSocket, then the
 * recipient goes offline, misses two messages and gets them with `sync`
 * after reconnecting. `nodeA` serves alice, `nodeB` bob; bob reconnects to
 * `nodeA` (the same node when there is only one). Returns the open sockets,
 * to check they get 1001 at the drain, and the secrets that must not be logged.
 */
async function endToEndStory(nodeA: string, nodeB: string) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const names = { alice: `alice_${suffix}`, bob: `bob_${suffix}` };
  for (const username of Object.values(names)) {
    const registered = await api(nodeA, "POST", "/auth/register", {
      body: { username, password: PASSWORD },
    });
    expect(registered.status).toBe(201);
  }
  const aliceLogin = await api(nodeA, "POST", "/auth/login", {
    body: { username: names.alice, password: PASSWORD },
  });
  expect(aliceLogin.status).toBe(200);
  const alice = aliceLogin.body as { userId: string; accessToken: string };
  // The login key is fetched from one node and the login sent to the other: the key is shared.
  const bob = await loginWithJwe(nodeA, nodeB, names.bob);
  const me = await api(nodeB, "GET", "/users/me", { token: alice.accessToken });
  expect(me.body).toEqual({ userId: alice.userId, username: names.alice });

  const conversationId = directId(alice.userId, bob.userId);
  const a = await WsProbe.connect(nodeA, alice.accessToken, "header");
  const b = await WsProbe.connect(nodeB, bob.accessToken, "frame");

  const send = async (from: WsProbe, to: string, text: string) => {
    const cid = randomUUID();
    from.send({ type: "send", cid, to: { type: "user", id: to }, body: { type: "text", text } });
    const sent = await from.next((f) => f.type === "sent" && f.cid === cid, 30_000);
    return { cid, seq: sent.seq as number };
  };

  const hello = await send(a, bob.userId, "hello bob");
  const atBob = await b.next((f) => f.type === "message" && f.cid === hello.cid, 30_000);
  expect(atBob).toMatchObject({
    conversationId,
    from: alice.userId,
    seq: 1,
    body: { type: "text", text: "hello bob" },
  });
  b.send({ type: "ack", conversationId, seq: 1 });
  const reply = await send(b, alice.userId, "hello alice");
  expect(await a.next((f) => f.type === "message" && f.cid === reply.cid, 30_000)).toMatchObject({
    from: bob.userId,
    seq: 2,
    body: { text: "hello alice" },
  });
  a.send({ type: "ack", conversationId, seq: 2 });

  // Bob goes offline; alice keeps writing.
  b.close();
  await b.closed();
  const missed = ["are you there?", "call me back"];
  for (const text of missed) await send(a, bob.userId, text);

  const again = await WsProbe.connect(nodeA, bob.accessToken, "header");
  again.send({ type: "sync", cursors: { [conversationId]: 2 } });
  const synced = await again.next((f) => f.type === "synced", 30_000);
  const got = again.frames.filter(
    (f) => f.type === "message" && f.conversationId === conversationId,
  );
  expect(got.map((f) => (f.body as { text: string }).text)).toEqual(missed);
  expect(got.map((f) => f.seq)).toEqual([3, 4]);
  expect(synced.conversations).toContainEqual({ conversationId, lastSeq: 4 });

  const history = await api(nodeB, "GET", `/conversations/${conversationId}/messages`, {
    token: bob.accessToken,
  });
  expect(history.body.messages.map((m: { seq: number }) => m.seq)).toEqual([4, 3, 2, 1]);

  return {
    sockets: [a, again],
    secrets: [
      PASSWORD,
      alice.accessToken,
      bob.accessToken,
      bob.refreshToken,
      "hello bob",
      ...missed,
    ],
  };
}

/** Asserts what a drained server leaves: sockets closed with 1001, exit code 0, no secret in the logs. */
async function stopAndCheck(servers: ServerProcess[], sockets: WsProbe[], secrets: string[]) {
  const codes = await Promise.all(servers.map((s) => s.stop("SIGTERM")));
  expect(codes).toEqual(servers.map(() => 0));
  for (const socket of sockets) expect(await socket.closed()).toBe(1001);
  for (const server of servers) {
    for (const secret of secrets) expect(server.output).not.toContain(secret);
    expect(server.lines.some((l) => l.msg === "closed")).toBe(true);
  }
}

describe("refusing to start", () => {
  const failureOf = (env: Record<string, string>) =>
    ServerProcess.start(env).then(
      () => "started",
      (error: unknown) => String((error as Error).message),
    );

  it("lists every configuration error, each naming its variable, and exits 1", async () => {
    const output = await failureOf({
      PORT: "99999",
      LUCKY_IM_TRUST_PROXY: "on",
      LUCKY_IM_POSTGRESS_URL: "postgres://db/x",
    });
    expect(output).toMatch(/exited \(1\) before listening/);
    expect(output).toMatch(/PORT must be an integer from 0 to 65535/);
    expect(output).toMatch(/LUCKY_IM_TRUST_PROXY must be true or false/);
    expect(output).toMatch(/LUCKY_IM_POSTGRESS_URL is not a setting/);
  });

  it("exits 1 naming the Redis URL (not its password) when Redis cannot be reached", async () => {
    const port = await freePort();
    const output = await failureOf({ LUCKY_IM_REDIS_URL: `redis://:pw-xyz@127.0.0.1:${port}` });
    expect(output).toMatch(/exited \(1\) before listening/);
    expect(output).toContain(
      `cannot connect to Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED`,
    );
    expect(output).not.toContain("pw-xyz");
  });
});

describe("the in-memory store as a process", () => {
  let server: ServerProcess | undefined;
  let filesDir: string;

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), "lucky-im-process-"));
    server = await ServerProcess.start({
      LUCKY_IM_STORE: "memory",
      LUCKY_IM_FILES_DIR: filesDir,
      LUCKY_IM_PASSWORD_HASH_LOG_N: "12",
    });
  });

  afterAll(async () => {
    server?.kill();
    await rm(filesDir, { recursive: true, force: true });
  });

  it("says that data is not persisted and that the JWT secret is random", () => {
    const warnings = server!.lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings.some((m) => m.includes("data is not persisted"))).toBe(true);
    expect(warnings.some((m) => m.includes("LUCKY_IM_JWT_SECRET"))).toBe(true);
  });

  it("serves the page, the browser client and the probes", async () => {
    const url = server!.url;
    expect((await api(url, "GET", "/")).status).toBe(200);
    const client = await api<string>(url, "GET", "/client.js");
    expect(client.status).toBe(200);
    expect(client.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(client.body).toContain("createImClient");
    // A browser cannot resolve bare imports: the bundle must have none.
    expect(client.body).not.toMatch(/(?:^|[;}\n])\s*import\s*[\w${*][^;]*?\bfrom\s*["']/);
    expect((await api(url, "GET", "/healthz")).status).toBe(200);
    expect((await api(url, "GET", "/readyz")).status).toBe(200);
  });

  it("passes the end-to-end story and drains on SIGTERM (exit 0)", async () => {
    const { sockets, secrets } = await endToEndStory(server!.url, server!.url);
    await stopAndCheck([server!], sockets, secrets);
  });
});

describe.runIf(postgresUrl && redisUrl && amqpUrl)(
  "a two-node cluster on PostgreSQL, RabbitMQ and Redis",
  () => {
    const name = uniqueName("chat_proc");
    const nodeIds = [`${name}_a`, `${name}_b`];
    const services = { postgres: postgresUrl!, amqp: amqpUrl!, redis: redisUrl! };
    const servers: ServerProcess[] = [];
    let filesDir: string;

    beforeAll(async () => {
      filesDir = await mkdtemp(join(tmpdir(), "lucky-im-cluster-"));
      // Both at once: migrations and the shared login key must cope with a concurrent start.
      servers.push(
        ...(await Promise.all(
          nodeIds.map((nodeId) =>
            ServerProcess.start({
              ...clusterNodeEnv(services, name, nodeId),
              LUCKY_IM_JWT_SECRET: JWT_SECRET,
              LUCKY_IM_FILES_DIR: filesDir,
              LUCKY_IM_PASSWORD_HASH_LOG_N: "12",
            }),
          ),
        )),
      );
    }, 120_000);

    afterAll(async () => {
      for (const server of servers) server.kill();
      await rm(filesDir, { recursive: true, force: true });
      await dropClusterState(services, name, nodeIds);
    }, 60_000);

    it("is ready on both nodes", async () => {
      for (const server of servers) {
        const ready = await api(server.url, "GET", "/readyz");
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({ storage: true, broker: true, presence: true });
        expect(server.output).not.toContain("data is not persisted");
      }
    });

    it("passes the end-to-end story across the two nodes and drains on SIGTERM (exit 0)", async () => {
      const [a, b] = servers;
      const { sockets, secrets } = await endToEndStory(a!.url, b!.url);
      await stopAndCheck(servers, sockets, secrets);
    });
  },
);
