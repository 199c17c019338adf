import { once } from "node:events";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { uniqueName } from "@lucky-im/core/testing";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { serviceUrl } from "../../../test/services.js";
import { type ChatServer, createChatServer } from "../src/chat-server.js";
import type { ChatServerConfig } from "../src/config.js";
import { api, registerUser, startTestServer, type TestUser, testConfig } from "./helpers.js";

const postgresUrl = await serviceUrl("postgres");

/** Security headers, CORS, /metrics, limits of the request head, and error text. */

const expectError = (answer: { status: number; body: unknown }, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
};

/** Runs `body` against a server with `overrides`, then stops it. */
async function withServer(
  overrides: Partial<ChatServerConfig>,
  body: (server: ChatServer) => Promise<void>,
): Promise<void> {
  const { server, stop } = await startTestServer(overrides);
  try {
    await body(server);
  } finally {
    await stop();
  }
}

/** Sends raw bytes and returns everything the server answers before it closes. */
async function rawExchange(port: number, request: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  socket.write(request);
  await once(socket, "close");
  return received;
}

/** Opens the WebSocket with an `Origin`; resolves with "open" or the refusal's status. */
async function wsWithOrigin(server: ChatServer, origin: string): Promise<string> {
  const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/ws`, "lucky-im.v1", {
    origin,
  });
  return new Promise((resolve) => {
    socket.on("open", () => {
      socket.close();
      resolve("open");
    });
    socket.on("unexpected-response", (_request, response) => resolve(String(response.statusCode)));
    socket.on("error", () => resolve("error"));
  });
}

describe("on the defaults", () => {
  let server: ChatServer;
  let stop: () => Promise<void>;
  let user: TestUser;

  beforeAll(async () => {
    ({ server, stop } = await startTestServer({ maxUrlLength: 1024, maxHeaderBytes: 4096 }));
    user = await registerUser(server.url, "hard");
  });
  afterAll(async () => {
    await stop();
  });

  it("serves the page with a CSP, anti-framing, Referrer-Policy and nosniff", async () => {
    for (const path of ["/", "/app.js", "/users/me"]) {
      const answer = await api(server.url, "GET", path);
      const csp = answer.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("object-src 'none'");
      expect(answer.headers.get("x-frame-options"), path).toBe("DENY");
      expect(answer.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(answer.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("sends no CORS headers to another origin, preflight included", async () => {
    const get = await fetch(`${server.url}/auth/public-key`, {
      headers: { origin: "https://evil.example" },
    });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/users/me`, {
      method: "OPTIONS",
      headers: {
        origin: "https://evil.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    // Tokens are not ambient: the WebSocket stays open to any origin when none is configured.
    expect(await wsWithOrigin(server, "https://elsewhere.example")).toBe("open");
  });

  it("keeps /metrics off unless a token or a port of its own is configured", async () => {
    expectError(await api(server.url, "GET", "/metrics"), 404, "not_found");
  });

  it("answers a URL over the limit 414 in the error shape", async () => {
    expectError(
      await api(server.url, "GET", `/users/me?x=${"a".repeat(1100)}`),
      414,
      "bad_request",
    );
  });

  it("answers a request head over the limit 431 in the error shape", async () => {
    const answer = await rawExchange(
      server.port,
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(5000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    expect(body).toEqual({ error: { code: "bad_request", message: expect.any(String) } });
  });

  it("answers a malformed request line and a malformed URL in the error shape", async () => {
    const garbage = await rawExchange(server.port, "GARBAGE\r\n\r\n");
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbage).toContain('{"error":{"code":"bad_request"');
    expectError(
      await api(server.url, "GET", "/groups/%zz", { token: user.accessToken }),
      400,
      "bad_request",
    );
  });

  it("answers a NUL in a user id 400 bad_request, not 503", async () => {
    const token = user.accessToken;
    expectError(await api(server.url, "GET", "/users/a%00b", { token }), 400, "bad_request");
    // A name no user can have is simply not found (the auth service refuses it before the store).
    expectError(await api(server.url, "GET", "/users/by-name/a%00b", { token }), 404, "not_found");
    expectError(
      await api(server.url, "POST", "/groups", {
        token,
        body: { name: "g", members: ["a\u0000"] },
      }),
      400,
      "bad_request",
    );
  });
});

describe("configured", () => {
  it("answers CORS for the configured origins only, and the WebSocket checks the same list", async () => {
    await withServer({ allowedOrigins: ["https://app.example"] }, async (server) => {
      const allowed = await fetch(`${server.url}/auth/public-key`, {
        headers: { origin: "https://app.example" },
      });
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
      const preflight = await fetch(`${server.url}/users/me`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "GET" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
      const other = await fetch(`${server.url}/auth/public-key`, {
        headers: { origin: "https://evil.example" },
      });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      expect(await wsWithOrigin(server, "https://app.example")).toBe("open");
      expect(await wsWithOrigin(server, "https://evil.example")).toBe("403");
    });
  });

  it("protects /metrics with LUCKY_IM_METRICS_TOKEN", async () => {
    const token = "a-metrics-token-of-some-length";
    await withServer({ metricsToken: token }, async (server) => {
      expectError(await api(server.url, "GET", "/metrics"), 401, "unauthorized");
      expectError(
        await api(server.url, "GET", "/metrics", { token: `${token}x` }),
        401,
        "unauthorized",
      );
      const scraped = await api<string>(server.url, "GET", "/metrics", { token });
      expect(scraped.status).toBe(200);
      expect(scraped.body).toContain("lucky_im_connections");
    });
  });

  it("serves /metrics on LUCKY_IM_METRICS_PORT only", async () => {
    await withServer({ metricsPort: 0 }, async (server) => {
      expect(server.metricsUrl).toBeDefined();
      expectError(await api(server.url, "GET", "/metrics"), 404, "not_found");
      const scraped = await api<string>(server.metricsUrl!, "GET", "/metrics");
      expect(scraped.status).toBe(200);
      expect(scraped.body).toContain("lucky_im_sessions");
    });
  });
});

describe("request logs", () => {
  it("redact tokens in query strings", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = await testConfig({ logLevel: "info" });
    const server = await createChatServer(config, { logger: pino({ level: "info" }, sink) });
    try {
      await api(server.url, "GET", "/users/me?access_token=SECRET-ONE&limit=5");
      await api(server.url, "GET", "/conversations?token=SECRET-TWO");
      await api(server.url, "GET", "/conversations?refreshToken=SECRET-THREE");
    } finally {
      await server.close();
    }
    const log = lines.join("");
    expect(log).toContain("/users/me?access_token=[redacted]&limit=5");
    expect(log).not.toMatch(/SECRET-(ONE|TWO|THREE)/);
  });
});

describe.runIf(postgresUrl)("on PostgreSQL", () => {
  const schema = uniqueName("chat_hard");
  let server: ChatServer;
  let stop: () => Promise<void>;
  let user: TestUser;

  beforeAll(async () => {
    ({ server, stop } = await startTestServer({ postgresUrl, schema }));
    user = await registerUser(server.url, "pghard");
  });
  afterAll(async () => {
    await stop();
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it("answers a NUL in a user id 400 (a username lookup 404), never 503 or PostgreSQL text", async () => {
    const token = user.accessToken;
    const cases: Array<[string, number, string]> = [
      ["/users/a%00b", 400, "bad_request"],
      ["/groups/g%00/avatar", 400, "bad_request"],
      // A name no user can have is simply not found (refused before the store).
      ["/users/by-name/a%00b", 404, "not_found"],
    ];
    for (const [path, status, code] of cases) {
      const answer = await api(server.url, "GET", path, { token });
      expectError(answer, status, code);
      expect(answer.raw.toString(), path).not.toMatch(/0x00|UTF8|constraint|invalid byte/i);
    }
  });
});
