/**
 * The Fastify example end to end: two of the app's users log in over the
 * app's own route, connect `@lucky-im/client` with the app's session token
 * (checked by the custom authenticator) and exchange a message; in memory,
 * and on PostgreSQL, RabbitMQ and Redis.
 */

import { createImClient, type ImClient, type MessageFrame } from "@lucky-im/client";
import { uniqueName } from "@lucky-im/core/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { serviceUrl } from "../../../test/services.js";
import { type RunningApp, startApp } from "../src/app.js";
import type { LuckyImServices } from "../src/lucky-im.js";
import { createUserDirectory } from "../src/users.js";

const users = createUserDirectory([
  { username: "alice", password: "alice-password" },
  { username: "bob", password: "bob-password" },
]);

const [postgresUrl, amqpUrl, redisUrl] = await Promise.all([
  serviceUrl("postgres"),
  serviceUrl("amqp"),
  serviceUrl("redis"),
]);
const onServices = Boolean(postgresUrl && amqpUrl && redisUrl);

async function login(app: RunningApp, username: string, password: string) {
  const res = await fetch(`${app.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { userId: string; sessionToken: string },
  };
}

function connect(app: RunningApp, token: string): { client: ImClient; ready: Promise<unknown> } {
  const client = createImClient({ WebSocket: WebSocket as never, reconnect: { maxAttempts: 0 } });
  const ready = client.connect({ url: `${app.url.replace("http", "ws")}/ws`, token });
  return { client, ready };
}

function exchangeScenario(services: () => LuckyImServices) {
  let app: RunningApp;
  const clients: ImClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await app?.close();
  });

  it("starts on Fastify's own server", async () => {
    app = await startApp({
      port: 0,
      host: "127.0.0.1",
      sessionTtlMs: 600_000,
      users,
      ...services(),
    });
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("refuses a wrong password on the app's login", async () => {
    expect((await login(app, "bob", "nope")).status).toBe(401);
  });

  it("lets two of the app's users exchange a message with the app's session tokens", async () => {
    const alice = await login(app, "alice", "alice-password");
    const bob = await login(app, "bob", "bob-password");
    expect(alice.status).toBe(200);

    const a = connect(app, alice.body.sessionToken);
    const b = connect(app, bob.body.sessionToken);
    clients.push(a.client, b.client);
    await Promise.all([a.ready, b.ready]);

    const received = new Promise<MessageFrame>((resolve) => b.client.on("message", resolve));
    const sent = await a.client.send(
      { type: "user", id: bob.body.userId },
      { type: "text", text: "hi bob" },
    );
    const message = await received;
    expect(message).toMatchObject({
      from: alice.body.userId,
      conversationId: sent.conversationId,
      seq: sent.seq,
      body: { type: "text", text: "hi bob" },
    });

    // Lucky IM's HTTP API, mounted by the app under /im, answers for the app's signed-in user.
    const auth = { authorization: `Bearer ${bob.body.sessionToken}` };
    const res = await fetch(`${app.url}/im/conversations`, { headers: auth });
    const conversations = (await res.json()) as Array<{ conversationId: string }>;
    expect(conversations.map((c) => c.conversationId)).toContain(sent.conversationId);
    const history = await fetch(
      `${app.url}/im/conversations/${encodeURIComponent(sent.conversationId)}/messages`,
      { headers: auth },
    );
    const { messages } = (await history.json()) as { messages: Array<{ body: unknown }> };
    expect(messages.map((m) => m.body)).toEqual([{ type: "text", text: "hi bob" }]);
    const anonymous = await fetch(`${app.url}/im/conversations`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("refuses a WebSocket client whose session token is unknown", async () => {
    const forged = connect(app, "not-a-session");
    clients.push(forged.client);
    await expect(forged.ready).rejects.toThrow();
  });

  it("ends the user's WebSocket sessions when the app's session ends", async () => {
    const alice = await login(app, "alice", "alice-password");
    const a = connect(app, alice.body.sessionToken);
    clients.push(a.client);
    await a.ready;
    const disconnected = new Promise<{ code: number }>((resolve) =>
      a.client.on("disconnect", resolve),
    );
    const res = await fetch(`${app.url}/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.body.sessionToken}` },
    });
    expect(res.status).toBe(204);
    await disconnected;
    // The ended session no longer opens a WebSocket session.
    const again = connect(app, alice.body.sessionToken);
    clients.push(again.client);
    await expect(again.ready).rejects.toThrow();
  });
}

describe("fastify-app in memory", () => {
  exchangeScenario(() => ({ schema: "unused", amqpPrefix: "unused", redisPrefix: "unused" }));
});

describe.runIf(onServices)("fastify-app on PostgreSQL, RabbitMQ and Redis", () => {
  const name = uniqueName("fastify_app");
  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl });
    await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await pool.end();
  });
  exchangeScenario(() => ({
    postgresUrl,
    schema: name,
    amqpUrl,
    amqpPrefix: name,
    redisUrl,
    redisPrefix: name,
  }));
});
