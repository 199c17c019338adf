import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AuthService,
  createAuthService,
  createMemoryCodeStore,
  createMemoryCredentialStore,
  createMemoryRefreshTokenStore,
  createPasswordHasher,
} from "@lucky-im/auth";
import { createImServer, createMemoryTransport, ImError, type ImServer } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import express from "express";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createImExpressMiddleware,
  createImHttpHandler,
  createImMetrics,
  type ImHttpOptions,
  imHttpPlugin,
} from "../src/index.js";

/** A running server with the API under `/im`, and how to stop it. */
interface Mounted {
  url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on a free loopback port. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The same API mounted three ways: each test case runs once per adapter. */
const adapters: Record<string, (options: ImHttpOptions) => Promise<Mounted>> = {
  async "Fastify plugin"(options) {
    const app = Fastify();
    app.get("/own", async () => ({ own: true }));
    await app.register(imHttpPlugin, { prefix: "/im", ...options });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
  async Express(options) {
    const app = express();
    // The app parses JSON before the API: the middleware hands the parsed body over.
    app.use(express.json());
    const api = createImExpressMiddleware({ prefix: "/im", ...options });
    app.use("/im", api);
    app.get("/own", (_req, res) => {
      res.json({ own: true });
    });
    await api.ready;
    const server = createServer(app);
    const url = await listen(server);
    return {
      url,
      close: async () => {
        await closeServer(server);
        await api.close();
      },
    };
  },
  async "node:http"(options) {
    const api = createImHttpHandler({ prefix: "/im", ...options });
    await api.ready;
    const server = createServer((req, res) => {
      if (req.url?.startsWith("/im/")) return api(req, res);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ own: true }));
    });
    const url = await listen(server);
    return {
      url,
      close: async () => {
        await closeServer(server);
        await api.close();
      },
    };
  },
};

/** An engine and an auth service, all in memory; clients connect with access tokens. */
function createBackend(appTokens = false): {
  im: ImServer;
  auth: AuthService;
  transport: ReturnType<typeof createMemoryTransport>;
} {
  const auth = createAuthService({
    credentials: createMemoryCredentialStore(),
    refreshTokens: createMemoryRefreshTokenStore(),
    codes: createMemoryCodeStore(),
    signingKey: { secret: "a-test-secret-that-is-at-least-32-bytes-long" },
    issuer: "https://chat.test",
    audience: "chat",
    passwordHasher: createPasswordHasher({ logN: 10 }),
  });
  const transport = createMemoryTransport();
  const quiet = { info() {}, warn() {}, error() {} };
  // With the application's own users, a client's token is its user id (the app's business).
  const authenticator = appTokens
    ? { authenticate: async (token: string) => ({ userId: token, claims: {} }) }
    : auth.authenticator;
  const im = createImServer({ transport, authenticator, logger: quiet });
  return { im, auth, transport };
}

type Json = Record<string, unknown>;

async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Json; headers: Headers }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? (JSON.parse(text) as Json) : {},
    headers: response.headers,
  };
}

for (const [adapter, mount] of Object.entries(adapters)) {
  describe(`@lucky-im/http over ${adapter}`, () => {
    const backend = createBackend();
    const registry = new Registry();
    let server: Mounted;
    let url: string;
    const password = "correct horse battery staple";
    const alice = { name: uniqueName("alice"), id: "", token: "" };
    const bob = { name: uniqueName("bob"), id: "", token: "" };

    beforeAll(async () => {
      await backend.im.start();
      server = await mount({
        im: backend.im,
        auth: backend.auth,
        limits: { bodyLimit: 2048 },
        metrics: createImMetrics(backend.im, { registry }),
      });
      url = server.url;
      for (const user of [alice, bob]) {
        const registered = await call(url, "POST", "/im/auth/register", {
          body: { username: user.name, password },
        });
        expect(registered.status).toBe(201);
        user.id = registered.json.userId as string;
        const login = await call(url, "POST", "/im/auth/login", {
          body: { username: user.name, password },
        });
        expect(login.status).toBe(200);
        user.token = login.json.accessToken as string;
      }
    });

    afterAll(async () => {
      await server?.close();
      await backend.im.close();
    });

    it("registers, logs in and refreshes", async () => {
      const name = uniqueName("carol");
      const registered = await call(url, "POST", "/im/auth/register", {
        body: { username: name, password },
      });
      expect(registered.status).toBe(201);
      const login = await call(url, "POST", "/im/auth/login", {
        body: { username: name, password },
      });
      expect(login.json).toMatchObject({
        userId: registered.json.userId,
        expiresIn: expect.any(Number),
      });
      const refreshed = await call(url, "POST", "/im/auth/refresh", {
        body: { refreshToken: login.json.refreshToken },
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.json.refreshToken).not.toBe(login.json.refreshToken);
      const me = await call(url, "GET", "/im/users/me", {
        token: refreshed.json.accessToken as string,
      });
      expect(me.json).toEqual({ userId: registered.json.userId, username: name });
      const wrong = await call(url, "POST", "/im/auth/login", {
        body: { username: name, password: "not the password" },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.json).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    });

    it("answers 401 in the error shape without a token, and with a bad one", async () => {
      const none = await call(url, "GET", "/im/conversations");
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe("Bearer");
      expect(none.json).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
      const bad = await call(url, "GET", "/im/conversations", { token: "not-a-token" });
      expect(bad.status).toBe(401);
      expect(bad.json.error).toMatchObject({ code: "unauthorized" });
    });

    it("lists conversations and pages their history", async () => {
      const client = await backend.transport.connect({ token: alice.token });
      await client.next("ready");
      client.send({
        type: "send",
        cid: "c1",
        to: { type: "user", id: bob.id },
        body: { type: "text", text: "hello bob" },
      });
      const sent = await client.next("sent");
      const conversationId = (sent as { conversationId: string }).conversationId;
      client.close();

      const list = await call(url, "GET", "/im/conversations", { token: bob.token });
      expect(list.status).toBe(200);
      const conversations = list.json as unknown as Json[];
      expect(conversations.map((c) => c.conversationId)).toContain(conversationId);
      const history = await call(
        url,
        "GET",
        `/im/conversations/${encodeURIComponent(conversationId)}/messages?limit=10`,
        { token: bob.token },
      );
      expect(history.status).toBe(200);
      expect(history.json.more).toBe(false);
      expect((history.json.messages as Json[]).map((m) => m.body)).toEqual([
        { type: "text", text: "hello bob" },
      ]);
      const badLimit = await call(
        url,
        "GET",
        `/im/conversations/${encodeURIComponent(conversationId)}/messages?limit=nope`,
        { token: bob.token },
      );
      expect(badLimit.status).toBe(400);
      expect(badLimit.json.error).toMatchObject({ code: "bad_request" });
    });

    it("creates a group and lists its members; strangers are refused", async () => {
      const created = await call(url, "POST", "/im/groups", {
        token: alice.token,
        body: { name: "team", members: [bob.id] },
      });
      expect(created.status).toBe(201);
      const groupId = created.json.groupId as string;
      const group = await call(url, "GET", `/im/groups/${groupId}`, { token: bob.token });
      expect(group.status).toBe(200);
      const members = group.json.members as Json[];
      expect(members.map((m) => m.userId).sort()).toEqual([alice.id, bob.id].sort());
      const ghost = await call(url, "POST", "/im/groups", {
        token: alice.token,
        body: { name: "ghosts", members: ["u_nobody"] },
      });
      expect(ghost.status).toBe(400);
      expect(ghost.json.error).toMatchObject({ code: "bad_request" });
    });

    it("answers bad input, unknown routes and wrong ids in the documented error shape", async () => {
      const badBody = await call(url, "POST", "/im/groups", {
        token: alice.token,
        body: { name: 42, members: "bob" },
      });
      expect(badBody.status).toBe(400);
      expect(badBody.json).toEqual({ error: { code: "bad_request", message: expect.any(String) } });
      const badJson = await call(url, "POST", "/im/auth/login", {
        headers: { "content-type": "application/json" },
      });
      expect(badJson.status).toBe(400);
      expect(badJson.json.error).toMatchObject({ code: "bad_request" });
      const missing = await call(url, "GET", "/im/groups/g_missing", { token: alice.token });
      expect([400, 404]).toContain(missing.status);
      expect(missing.json.error).toMatchObject({ message: expect.any(String) });
      const noRoute = await call(url, "GET", "/im/no-such-route", { token: alice.token });
      expect(noRoute.status).toBe(404);
      expect(noRoute.json.error).toMatchObject({ code: "not_found" });
      // The application's own routes still answer next to the API.
      const own = await call(url, "GET", "/own");
      expect(own.json).toEqual({ own: true });
    });

    it("refuses a body over the limit with 413 too_large", async () => {
      const big = await call(url, "POST", "/im/groups", {
        token: alice.token,
        body: { name: "x".repeat(50), members: [], padding: "y".repeat(4000) },
      });
      expect(big.status).toBe(413);
      expect(big.json.error).toMatchObject({ code: "too_large" });
    });

    it("serves /openapi.json listing the mounted routes", async () => {
      const doc = await call(url, "GET", "/im/openapi.json");
      expect(doc.status).toBe(200);
      expect(doc.json.openapi).toBe("3.0.3");
      const paths = Object.keys(doc.json.paths as Json);
      for (const path of [
        "/im/auth/login",
        "/im/auth/refresh",
        "/im/conversations",
        "/im/conversations/{id}/messages",
        "/im/groups",
        "/im/healthz",
      ]) {
        expect(paths).toContain(path);
      }
      const login = (doc.json.paths as Record<string, Json>)["/im/auth/login"]!;
      expect(login.post).toMatchObject({ requestBody: expect.any(Object) });
    });

    it("sets security headers and serves health, readiness and metrics", async () => {
      const health = await call(url, "GET", "/im/healthz");
      expect(health.json).toMatchObject({ status: "ok", nodeId: backend.im.nodeId });
      expect(health.headers.get("x-content-type-options")).toBe("nosniff");
      expect(health.headers.get("content-security-policy")).toContain("default-src 'self'");
      const ready = await call(url, "GET", "/im/readyz");
      expect(ready.status).toBe(200);
      const metrics = await fetch(`${url}/im/metrics`);
      const text = await metrics.text();
      expect(metrics.status).toBe(200);
      expect(text).toContain("lucky_im_sessions");
      // The application's registry holds them: its own scrape shows them too.
      expect(await registry.metrics()).toContain("lucky_im_frames_in_total");
    });
  });

  describe(`@lucky-im/http over ${adapter}: the application's own users, history only`, () => {
    const backend = createBackend(true);
    let server: Mounted;

    beforeAll(async () => {
      await backend.im.start();
      server = await mount({
        im: backend.im,
        // The application's own login: a header its gateway sets, say.
        authenticate: async (request) => {
          const user = request.headers["x-app-user"];
          if (typeof user !== "string") throw new ImError("unauthorized", "sign in to the app");
          return user;
        },
        routes: {
          conversations: true,
          groups: false,
          groupJoins: false,
          contacts: false,
          profiles: false,
          search: false,
          health: false,
          openapi: false,
        },
      });
    });

    afterAll(async () => {
      await server?.close();
      await backend.im.close();
    });

    it("answers history for the app's user and mounts nothing else", async () => {
      const { url } = server;
      const client = await backend.transport.connect({ token: "u_app1" });
      await client.next("ready");
      client.send({
        type: "send",
        cid: "c1",
        to: { type: "user", id: "u_app2" },
        body: { type: "text", text: "from the app" },
      });
      await client.next("sent");
      client.close();
      const list = await call(url, "GET", "/im/conversations", {
        headers: { "x-app-user": "u_app2" },
      });
      expect(list.status).toBe(200);
      const conversationId = (list.json as unknown as Json[])[0]!.conversationId as string;
      const history = await call(
        url,
        "GET",
        `/im/conversations/${encodeURIComponent(conversationId)}/messages`,
        { headers: { "x-app-user": "u_app2" } },
      );
      expect(history.status).toBe(200);
      expect((history.json.messages as Json[]).map((m) => m.from)).toEqual(["u_app1"]);
      const anonymous = await call(url, "GET", "/im/conversations");
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.error).toEqual({ code: "unauthorized", message: "sign in to the app" });
      for (const path of ["/im/auth/login", "/im/groups", "/im/healthz", "/im/openapi.json"]) {
        const answer = await call(url, "GET", path, { headers: { "x-app-user": "u_app2" } });
        expect(answer.status, path).toBe(404);
      }
    });

    it("POST /reports: a late group member gets 404 for a message from before they joined", async () => {
      const { url } = server;
      const group = await backend.im.groups.create({
        ownerId: "u_owner",
        name: "g",
        memberIds: ["u_first"],
      });
      const post = async (cid: string, text: string) => {
        const { message } = await backend.im.send({
          from: "u_owner",
          groupId: group.groupId,
          body: { type: "text", text },
          cid,
        });
        return message.messageId;
      };
      const before = await post("r1", "before u_late joined");
      await backend.im.groups.addMembers(group.groupId, "u_owner", ["u_late"]);
      const after = await post("r2", "after u_late joined");
      const report = (user: string, messageId: string) =>
        call(url, "POST", "/im/reports", {
          headers: { "x-app-user": user },
          body: { messageId, reason: "spam" },
        });
      const hidden = await report("u_late", before);
      expect(hidden.status).toBe(404);
      // The same answer as for a message that does not exist: no oracle.
      const missing = await report("u_late", "m_no_such_message");
      expect(missing.status).toBe(404);
      expect(hidden.json).toEqual(missing.json);
      expect((await report("u_late", after)).status).toBe(201);
      expect((await report("u_first", before)).status).toBe(201);
    });
  });
}

describe("@lucky-im/http options", () => {
  it("protects /metrics with a token and reports 5xx answers to onError", async () => {
    const { im } = createBackend(true);
    await im.start();
    const failures: string[] = [];
    const api = createImHttpHandler({
      im,
      authenticate: async () => {
        throw new Error("the session store is down");
      },
      metricsToken: "scrape-secret",
      onError: (error) => failures.push(error.message),
    });
    try {
      await api.ready;
      const refused = await api.fastify.inject({ method: "GET", url: "/metrics" });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe("unauthorized");
      const scraped = await api.fastify.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: "Bearer scrape-secret" },
      });
      expect(scraped.statusCode).toBe(200);
      expect(scraped.body).toContain("lucky_im_connections");
      const failed = await api.fastify.inject({ method: "GET", url: "/conversations" });
      expect(failed.statusCode).toBe(500);
      // The answer tells nothing of the cause; the application hears of it.
      expect(failed.json()).toEqual({ error: { code: "internal", message: "internal error" } });
      expect(failures).toEqual(["the session store is down"]);
    } finally {
      await api.close();
      await im.close();
    }
  });

  it("refuses to load without a way to authenticate", async () => {
    const { im } = createBackend();
    const api = createImHttpHandler({ im });
    await expect(api.ready).rejects.toThrow(/authenticate/);
  });
});

describe("@lucky-im/http in Express without a prefix", () => {
  it("leaves the paths it does not know, bodies unread, to the app's own routes", async () => {
    const { im, auth } = createBackend();
    await im.start();
    const app = express();
    const api = createImExpressMiddleware({ im, auth, routes: { openapi: false } });
    app.use(api);
    app.use(express.json());
    app.post("/orders", (req, res) => {
      res.status(201).json({ got: req.body });
    });
    await api.ready;
    const server = createServer(app);
    const url = await listen(server);
    try {
      const order = await call(url, "POST", "/orders", { body: { item: "tea" } });
      expect(order.status).toBe(201);
      expect(order.json).toEqual({ got: { item: "tea" } });
      const health = await call(url, "GET", "/healthz");
      expect(health.json).toMatchObject({ status: "ok" });
      const none = await call(url, "GET", "/conversations");
      expect(none.status).toBe(401);
    } finally {
      await closeServer(server);
      await api.close();
      await im.close();
    }
  });
});
