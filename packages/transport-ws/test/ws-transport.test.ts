import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { CloseCode, type ImError, PROTOCOL_NAME } from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport, type WsTransport } from "@lucky-im/transport-ws";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import {
  closeClient,
  fakeListener,
  openClient,
  rejectedStatus,
  stalledClient,
  type TestClient,
  wsUrl,
} from "./helpers.js";

// Everything a test opens is closed after it, whatever the outcome.
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(client: TestClient): TestClient {
  cleanups.push(() => closeClient(client));
  return client;
}

async function client(
  url: string,
  ...rest: Parameters<typeof openClient> extends [string, ...infer R] ? R : never
) {
  return track(await openClient(url, ...rest));
}

/** A plain node:http app with its own route, listening on 127.0.0.1:0. */
async function httpApp(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
      return;
    }
    res.writeHead(404);
    res.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return server;
}

/** A transport on its own port (127.0.0.1:0) with the fake engine. */
async function ownTransport(options: Parameters<typeof createWsTransport>[0] = {}) {
  const listener = fakeListener();
  const transport = createWsTransport({ port: 0, host: "127.0.0.1", ...options });
  await transport.listen(listener);
  cleanups.push(() => transport.close());
  return { transport, listener, url: wsUrl(transport.address()) };
}

function portOf(transport: WsTransport): number {
  return (transport.address() as AddressInfo).port;
}

describe("attach to an existing node:http server", () => {
  it("serves WebSocket on its path while the app's routes keep working", async () => {
    const server = await httpApp();
    const transport = createWsTransport({ server });
    const listener = fakeListener();
    await transport.listen(listener);
    cleanups.push(() => transport.close());

    const health = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("ok");

    const c = await client(wsUrl(server.address()));
    c.ws.send('{"type":"ping"}');
    await eventually(() => c.messages.length === 1, {
      message: "echo",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(c.messages).toEqual(['{"type":"ping"}']);
    expect(listener.opened).toHaveLength(1);
    expect(listener.opened[0]!.frames).toEqual(['{"type":"ping"}']);
    expect(listener.opened[0]!.connection.info.remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(transport.connectionCount).toBe(1);
    expect(transport.address()).toEqual(server.address());
  });

  it("leaves upgrades for other paths to other listeners, and answers 404 when none exists", async () => {
    const server = await httpApp();
    const transport = createWsTransport({ server, path: "/chat" });
    const listener = fakeListener();
    await transport.listen(listener);
    cleanups.push(() => transport.close());

    // Only the transport listens: an upgrade for another path is answered, not left hanging.
    expect(await rejectedStatus(wsUrl(server.address(), "/ws"))).toBe(404);

    // Another WebSocket endpoint of the app keeps its upgrades.
    const other = new WebSocketServer({ noServer: true });
    const onUpgrade = (
      req: import("node:http").IncomingMessage,
      socket: import("node:stream").Duplex,
      head: Buffer,
    ) => {
      if (req.url === "/other") {
        other.handleUpgrade(req, socket, head, (ws) => ws.send("from other"));
      }
    };
    server.on("upgrade", onUpgrade);
    cleanups.push(() => {
      server.off("upgrade", onUpgrade);
      other.close();
    });
    const c = await client(wsUrl(server.address(), "/other"));
    await eventually(() => c.messages.length === 1, {
      message: "message from the other endpoint",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(c.messages).toEqual(["from other"]);

    const mine = await client(wsUrl(server.address(), "/chat"));
    mine.ws.send('{"type":"x"}');
    await eventually(() => mine.messages.length === 1, {
      message: "echo",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(listener.opened).toHaveLength(1);
  });
});

describe("own port", () => {
  it("listens on port 0, speaks WebSocket on the path, 426/404 to plain HTTP", async () => {
    const { transport, listener, url } = await ownTransport();
    expect(portOf(transport)).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${portOf(transport)}`;
    expect((await fetch(`${base}/ws`)).status).toBe(426);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect(await rejectedStatus(wsUrl(transport.address(), "/other"))).toBe(404);

    const c = await client(url);
    c.ws.send('{"type":"hello"}');
    await eventually(() => c.messages.length === 1, {
      message: "echo",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(listener.opened).toHaveLength(1);
  });

  it("rejects a second listen and a port in use", async () => {
    const { transport } = await ownTransport();
    await expect(transport.listen(fakeListener())).rejects.toMatchObject({ code: "conflict" });
    const clash = createWsTransport({ port: portOf(transport), host: "127.0.0.1" });
    await expect(clash.listen(fakeListener())).rejects.toMatchObject({ code: "unavailable" });
  });

  it("refuses contradictory options", () => {
    expect(() => createWsTransport({})).toThrow(/exactly one of/);
    expect(() => createWsTransport({ port: 0, server: createServer() })).toThrow(/exactly one of/);
    expect(() => createWsTransport({ port: 0, path: "ws" })).toThrow(/path/);
    expect(() => createWsTransport({ port: 0, highWaterMark: -1 })).toThrow(/highWaterMark/);
    expect(() =>
      createWsTransport({ port: 0, highWaterMark: 2048, maxBufferedBytes: 1024 }),
    ).toThrow(/maxBufferedBytes/);
  });
});

describe("authentication at the upgrade", () => {
  it("a good Bearer token opens with the principal and token in ConnectionInfo", async () => {
    const { listener, url } = await ownTransport();
    await client(`${url}?deviceId=phone-1&deviceClass=mobile`, undefined, {
      headers: { Authorization: "Bearer good-alice" },
    });
    await eventually(() => listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    const info = listener.opened[0]!.connection.info;
    expect(info.principal?.userId).toBe("alice");
    expect(info.token).toBe("good-alice");
    expect(info.deviceId).toBe("phone-1");
    expect(info.deviceClass).toBe("mobile");
  });

  it("a bad token, or a non-Bearer Authorization, answers HTTP 401 and opens nothing", async () => {
    const { listener, url } = await ownTransport();
    expect(
      await rejectedStatus(url, undefined, { headers: { Authorization: "Bearer evil" } }),
    ).toBe(401);
    expect(
      await rejectedStatus(url, undefined, { headers: { Authorization: "Basic Zm9vOmJhcg==" } }),
    ).toBe(401);
    expect(listener.opened).toHaveLength(0);
  });

  it("no Authorization header opens unauthenticated (the engine expects an auth frame)", async () => {
    const { listener, url } = await ownTransport();
    await client(url);
    await eventually(() => listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(listener.opened[0]!.connection.info.principal).toBeUndefined();
    expect(listener.opened[0]!.connection.info.token).toBeUndefined();
  });

  it("an authenticator that hangs answers 503 after handshakeTimeoutMs and reports onError", async () => {
    const errors: ImError[] = [];
    const listener = fakeListener(() => new Promise(() => {}));
    const transport = createWsTransport({
      port: 0,
      host: "127.0.0.1",
      handshakeTimeoutMs: 200,
      onError: (e) => errors.push(e),
    });
    await transport.listen(listener);
    cleanups.push(() => transport.close());
    const url = wsUrl(transport.address());
    expect(
      await rejectedStatus(url, undefined, { headers: { Authorization: "Bearer good-a" } }),
    ).toBe(503);
    expect(errors.map((e) => e.code)).toEqual(["unavailable"]);
    expect(listener.opened).toHaveLength(0);
  });

  it("an authenticator failing other than unauthorized answers 503 and reports onError", async () => {
    const errors: ImError[] = [];
    const listener = fakeListener(async () => {
      throw new Error("database down");
    });
    const transport = createWsTransport({
      port: 0,
      host: "127.0.0.1",
      onError: (e) => errors.push(e),
    });
    await transport.listen(listener);
    cleanups.push(() => transport.close());
    const url = wsUrl(transport.address());
    expect(await rejectedStatus(url, undefined, { headers: { Authorization: "Bearer x" } })).toBe(
      503,
    );
    expect(errors).toHaveLength(1);
    expect((errors[0]!.cause as Error).message).toBe("database down");
  });
});

describe("handshake checks", () => {
  it("Origin outside the allow-list answers 403; listed or absent Origin opens", async () => {
    const { listener, url } = await ownTransport({ allowedOrigins: ["https://chat.example"] });
    expect(await rejectedStatus(url, undefined, { origin: "https://evil.example" })).toBe(403);
    // Exact match: no prefix or suffix games.
    expect(await rejectedStatus(url, undefined, { origin: "https://chat.example.evil" })).toBe(403);
    await client(url, undefined, { origin: "https://chat.example" });
    await client(url);
    await eventually(() => listener.opened.length === 2, {
      message: "two opens",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
  });

  it("caps connections per user at the upgrade with 429, and frees the slot on close", async () => {
    const { transport, listener, url } = await ownTransport({ maxConnectionsPerUser: 2 });
    const alice = { headers: { Authorization: "Bearer good-alice" } };
    const first = await client(url, undefined, alice);
    await client(url, undefined, alice);
    expect(await rejectedStatus(url, undefined, alice)).toBe(429);
    await client(url, undefined, { headers: { Authorization: "Bearer good-bob" } });
    expect(listener.opened).toHaveLength(3);

    await closeClient(first);
    await eventually(() => transport.connectionCount === 2, {
      message: "the server to see the close",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    // The TCP close (which releases the slot) can trail the WebSocket close: retry briefly.
    let again: TestClient | undefined;
    for (let attempt = 0; again === undefined && attempt < 100; attempt++) {
      again = await openClient(url, undefined, alice).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    track(again!);
    expect(again!.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("caps connections per address with 429", async () => {
    const { listener, url } = await ownTransport({ maxConnectionsPerIp: 2 });
    await client(url);
    await client(url, undefined, { headers: { Authorization: "Bearer good-carol" } });
    expect(await rejectedStatus(url)).toBe(429);
    expect(listener.opened).toHaveLength(2);
  });

  it("counts IPv6 clients per /64 network, so fresh addresses of one host share a cap", async () => {
    const { listener, url } = await ownTransport({ maxConnectionsPerIp: 1, trustProxy: true });
    await client(url, undefined, { headers: { "X-Forwarded-For": "2001:db8:1:2::1" } });
    const sameNetwork = { headers: { "X-Forwarded-For": "2001:db8:1:2:ffff::9" } };
    expect(await rejectedStatus(url, undefined, sameNetwork)).toBe(429);
    const otherNetwork = { headers: { "X-Forwarded-For": "2001:db8:1:3::1" } };
    await client(url, undefined, otherNetwork);
    expect(listener.opened).toHaveLength(2);
  });

  it("takes the address from X-Forwarded-For only with trustProxy", async () => {
    const trusted = await ownTransport({ trustProxy: true });
    await client(trusted.url, undefined, {
      headers: { "X-Forwarded-For": "198.51.100.7, 203.0.113.9" },
    });
    await eventually(() => trusted.listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(trusted.listener.opened[0]!.connection.info.remoteAddress).toBe("203.0.113.9");

    const untrusted = await ownTransport();
    await client(untrusted.url, undefined, { headers: { "X-Forwarded-For": "203.0.113.9" } });
    await eventually(() => untrusted.listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(untrusted.listener.opened[0]!.connection.info.remoteAddress).toMatch(/127\.0\.0\.1/);
  });

  it(`selects ${PROTOCOL_NAME} when offered and accepts clients offering none`, async () => {
    const { url } = await ownTransport();
    expect((await client(url, PROTOCOL_NAME)).ws.protocol).toBe(PROTOCOL_NAME);
    expect((await client(url, ["chat.other", PROTOCOL_NAME])).ws.protocol).toBe(PROTOCOL_NAME);
    expect((await client(url)).ws.protocol).toBe("");
  });
});

describe("inbound frames", () => {
  it("a frame over maxPayload closes that connection with 1009; others are still served", async () => {
    const { listener, url } = await ownTransport({ maxPayload: 1024 });
    const big = await client(url);
    const other = await client(url);
    big.ws.send("x".repeat(2048));
    expect((await big.closed).code).toBe(CloseCode.tooLarge);
    await eventually(() => listener.opened[0]!.closed || false, {
      message: "server-side close",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(listener.opened[0]!.closed!.code).toBe(CloseCode.tooLarge);
    expect(listener.opened[0]!.frames).toEqual([]);

    other.ws.send("x".repeat(1000));
    await eventually(() => other.messages.length === 1, {
      message: "echo on the other connection",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    const fresh = await client(url);
    fresh.ws.send("{}");
    await eventually(() => fresh.messages.length === 1, {
      message: "echo on a new connection",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
  });

  it("a binary frame closes with 1003 (the protocol is JSON text)", async () => {
    const { listener, url } = await ownTransport();
    const c = await client(url);
    c.ws.send(Buffer.from([1, 2, 3]));
    expect((await c.closed).code).toBe(1003);
    await eventually(() => listener.opened[0]!.closed || false, {
      message: "server-side close",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(listener.opened[0]!.closed!.code).toBe(1003);
    expect(listener.opened[0]!.frames).toEqual([]);
  });

  it("the engine's close code reaches the client, and onClose fires exactly once", async () => {
    const { listener, url } = await ownTransport();
    const c = await client(url);
    await eventually(() => listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    const { connection } = listener.opened[0]!;
    connection.close(CloseCode.unauthorized, "unauthorized");
    connection.close(CloseCode.authTimeout, "ignored: already closing");
    expect(await c.closed).toEqual({ code: CloseCode.unauthorized, reason: "unauthorized" });
    await eventually(() => listener.opened[0]!.closed || false, {
      message: "server-side close",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(listener.opened[0]!.closed!.code).toBe(CloseCode.unauthorized);
    expect(connection.send("{}")).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(listener.opened[0]!.closeCount).toBe(1);
  });
});

describe("heartbeat", () => {
  it("terminates a peer that does not answer pings and calls onClose; a live peer stays", async () => {
    const { transport, listener, url } = await ownTransport({ heartbeatMs: 100 });
    expect(transport.heartbeatMs).toBe(100);
    const live = await client(url);
    let pings = 0;
    live.ws.on("ping", () => pings++);
    const mute = await client(url, undefined, { autoPong: false });
    await eventually(() => listener.opened.length === 2, {
      message: "opens",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    const muteRecord = listener.opened[1]!;

    await eventually(() => muteRecord.closed || false, {
      message: "the mute peer to be terminated",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(muteRecord.closed!.code).toBe(1006);
    expect(muteRecord.closed!.reason).toBe("heartbeat timeout");
    await mute.closed;

    await eventually(() => pings >= 5, {
      message: "pings to the live peer",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    expect(listener.opened[0]!.closed).toBeUndefined();
    expect(transport.connectionCount).toBe(1);
  });
});

describe("backpressure", () => {
  it("a reader that never reads: frames queue up to maxBufferedBytes, then close 4008 (none dropped silently)", async () => {
    const highWaterMark = 256 * 1024;
    const maxBufferedBytes = 512 * 1024;
    const { transport, listener } = await ownTransport({
      highWaterMark,
      maxBufferedBytes,
      slowClientTimeoutMs: 500,
      closeTimeoutMs: 200,
    });
    const socket: Socket = await stalledClient(portOf(transport));
    cleanups.push(() => {
      socket.destroy();
    });
    const record = await eventually(() => listener.opened[0] || false, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    const frame = JSON.stringify({
      type: "message",
      body: { type: "text", text: "x".repeat(16 * 1024) },
    });

    let accepted = 0;
    let refused = 0;
    let maxBuffered = 0;
    const deadline = Date.now() + 20_000;
    while (record.closed === undefined && Date.now() < deadline) {
      for (let i = 0; i < 16; i++) {
        if (record.connection.send(frame)) accepted++;
        else refused++;
        maxBuffered = Math.max(maxBuffered, record.connection.bufferedAmount);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(record.closed?.code).toBe(CloseCode.tooSlow);
    expect(accepted).toBeGreaterThan(0);
    // Refused only once the connection was closing.
    expect(refused).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(maxBufferedBytes);
    expect(maxBuffered).toBeGreaterThan(highWaterMark);
    expect(transport.connectionCount).toBe(0);
  });

  it("a frame fanned out to many connections arrives intact at each", async () => {
    const { listener, url } = await ownTransport();
    const clients = await Promise.all(Array.from({ length: 20 }, () => client(url)));
    await eventually(() => listener.opened.length === 20, {
      message: "opens",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    const frame = JSON.stringify({ type: "message", body: { type: "text", text: "héllo ✓" } });
    for (const record of listener.opened) expect(record.connection.send(frame)).toBe(true);
    await eventually(() => clients.every((c) => c.messages.length === 1), {
      message: "fan-out",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    for (const c of clients) expect(c.messages[0]).toBe(frame);
  });
});

describe("writes", () => {
  it("frames sent to one socket in the same tick leave in one write, in order", async () => {
    const server = await httpApp();
    // Counts the syscall-level writes of the server side of each TCP connection.
    const writes: number[] = [];
    server.on("connection", (socket: Socket) => {
      const index = writes.push(0) - 1;
      const internal = socket as unknown as Record<string, (...args: unknown[]) => unknown>;
      for (const method of ["_write", "_writev"]) {
        const original = internal[method]!.bind(socket);
        internal[method] = (...args: unknown[]) => {
          writes[index]!++;
          return original(...args);
        };
      }
    });
    const transport = createWsTransport({ server });
    const listener = fakeListener();
    await transport.listen(listener);
    cleanups.push(() => transport.close());
    const c = await client(wsUrl(server.address()));
    await eventually(() => listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = writes[0]!;
    const frames = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ type: "message", seq: i }),
    );
    for (const frame of frames) expect(listener.opened[0]!.connection.send(frame)).toBe(true);
    await eventually(() => c.messages.length === 50, {
      message: "50 frames",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(c.messages).toEqual(frames);
    expect(writes[0]! - before).toBe(1);
    // A frame of a later tick is a write of its own.
    expect(listener.opened[0]!.connection.send('{"type":"pong"}')).toBe(true);
    await eventually(() => c.messages.length === 51, {
      message: "one more frame",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    expect(writes[0]! - before).toBe(2);
  });
});

describe("close", () => {
  it("close(1001) closes clients with 1001, detaches from the server, and is idempotent", async () => {
    const server = await httpApp();
    const transport = createWsTransport({ server });
    const listener = fakeListener();
    await transport.listen(listener);
    const before = server.listenerCount("upgrade");
    const a = await client(wsUrl(server.address()));
    const b = await client(wsUrl(server.address()));

    const closing = transport.close();
    expect(transport.close()).toBe(closing);
    await closing;
    expect((await a.closed).code).toBe(CloseCode.goingAway);
    expect((await b.closed).code).toBe(CloseCode.goingAway);
    expect(listener.opened.map((o) => o.closed?.code)).toEqual([1001, 1001]);
    expect(transport.connectionCount).toBe(0);
    expect(server.listenerCount("upgrade")).toBe(before - 1);
    // The attached server is the app's: it keeps serving.
    const health = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
    expect(health.status).toBe(200);
    await expect(transport.listen(listener)).rejects.toMatchObject({ code: "conflict" });
  });

  it("on its own port, close stops listening and closes clients with the given code", async () => {
    const { transport, url } = await ownTransport();
    const c = await client(url);
    await transport.close(4000);
    expect((await c.closed).code).toBe(4000);
    expect(transport.server.listening).toBe(false);
  });

  it("a peer that ignores the closing handshake is destroyed after closeTimeoutMs", async () => {
    const { transport, listener } = await ownTransport({ closeTimeoutMs: 200 });
    const socket = await stalledClient(portOf(transport));
    cleanups.push(() => {
      socket.destroy();
    });
    await eventually(() => listener.opened.length === 1, {
      message: "open",
      timeoutMs: 15_000,
      intervalMs: 10,
    });
    await transport.close();
    expect(listener.opened[0]!.closed?.code).toBe(1001);
    expect(transport.connectionCount).toBe(0);
  });
});
