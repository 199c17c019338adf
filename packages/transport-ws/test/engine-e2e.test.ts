/**
 * The engine of @lucky-im/core behind the WebSocket transport, spoken to by raw
 * `ws` clients over real sockets: the protocol end to end.
 */

import {
  type Authenticator,
  createImServer,
  ImError,
  type ImServer,
  PROTOCOL_NAME,
} from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport, type WsTransport } from "@lucky-im/transport-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { closeClient, openClient, rejectedStatus, type TestClient, wsUrl } from "./helpers.js";

type Frame = { type: string } & Record<string, unknown>;

const authenticator: Authenticator = {
  async authenticate(token) {
    if (token.startsWith("good-"))
      return { userId: token.slice(5), claims: { sub: token.slice(5) } };
    throw new ImError("unauthorized", "[lucky-im] [test] bad token");
  },
};

const MAX_PAYLOAD = 8 * 1024;
const AUTH_TIMEOUT_MS = 300;

let transport: WsTransport;
let im: ImServer;
let url: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  transport = createWsTransport({ port: 0, host: "127.0.0.1", maxPayload: MAX_PAYLOAD });
  im = createImServer({
    transport,
    authenticator,
    heartbeatMs: transport.heartbeatMs,
    limits: { authTimeoutMs: AUTH_TIMEOUT_MS },
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  url = wsUrl(transport.address());
});

afterAll(async () => {
  for (const c of clients) await closeClient(c);
  await im.close();
});

/** Frames a client received, parsed. */
function frames(client: TestClient): Frame[] {
  return client.messages.map((m) => JSON.parse(m) as Frame);
}

/** Waits for the first received frame (after `from`) matching `match`. */
async function next(client: TestClient, match: (f: Frame) => boolean, from = 0): Promise<Frame> {
  return eventually(() => frames(client).slice(from).find(match) || false, {
    message: "a frame",
    timeoutMs: 15_000,
    intervalMs: 10,
  });
}

async function connect(headers: Record<string, string> = {}): Promise<TestClient> {
  const client = await openClient(url, PROTOCOL_NAME, { headers });
  clients.push(client);
  return client;
}

function send(client: TestClient, frame: unknown): void {
  client.ws.send(JSON.stringify(frame));
}

/** Logs in with a first-frame `auth` and waits for `ready`. */
async function loginInBand(userId: string): Promise<TestClient> {
  const client = await connect();
  send(client, { type: "auth", token: `good-${userId}` });
  await next(client, (f) => f.type === "ready");
  return client;
}

describe("engine over the WebSocket transport", () => {
  it("two users chat: auth -> ready, send -> sent, message to the other, ack -> receipt", async () => {
    const alice = await loginInBand("alice");
    const aliceReady = frames(alice).find((f) => f.type === "ready")!;
    expect(aliceReady).toMatchObject({ userId: "alice", heartbeatMs: transport.heartbeatMs });
    expect(alice.ws.protocol).toBe(PROTOCOL_NAME);

    // Bob authenticates at the upgrade; the engine answers ready without an auth frame.
    const bob = await connect({ Authorization: "Bearer good-bob" });
    await next(bob, (f) => f.type === "ready" && f.userId === "bob");

    send(alice, {
      type: "send",
      cid: "c-1",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "hi bob" },
    });
    const sent = await next(alice, (f) => f.type === "sent" && f.cid === "c-1");
    expect(sent).toMatchObject({ conversationId: "d:alice:bob", seq: 1 });

    const message = await next(bob, (f) => f.type === "message");
    expect(message).toMatchObject({
      messageId: sent.messageId,
      conversationId: "d:alice:bob",
      seq: 1,
      from: "alice",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "hi bob" },
      cid: "c-1",
    });

    send(bob, { type: "ack", conversationId: "d:alice:bob", seq: 1 });
    const receipt = await next(alice, (f) => f.type === "receipt");
    expect(receipt).toMatchObject({
      conversationId: "d:alice:bob",
      userId: "bob",
      seq: 1,
      kind: "delivered",
    });

    // And back.
    send(bob, {
      type: "send",
      cid: "c-2",
      to: { type: "user", id: "alice" },
      body: { type: "text", text: "hi alice" },
    });
    await next(bob, (f) => f.type === "sent" && f.cid === "c-2");
    const reply = await next(alice, (f) => f.type === "message" && f.from === "bob");
    expect(reply).toMatchObject({ seq: 2, body: { type: "text", text: "hi alice" } });
  });

  it("bad input gets error bad_request and the connection stays open", async () => {
    const carol = await loginInBand("carol");
    const bad: Array<[string, string]> = [
      ["malformed JSON", '{"type":"send",'],
      ["not an object", "[1,2,3]"],
      ["unknown type", JSON.stringify({ type: "teleport" })],
      ["no type", JSON.stringify({ cid: "x" })],
      [
        "wrong field types",
        JSON.stringify({ type: "send", cid: 42, to: "bob", body: { type: "text", text: 1 } }),
      ],
      ["wrong ack types", JSON.stringify({ type: "ack", conversationId: 5, seq: "one" })],
      [
        "__proto__ key",
        '{"type":"send","cid":"p1","to":{"type":"user","id":"bob"},"body":{"type":"text","text":"x"},"__proto__":{"admin":true}}',
      ],
      ["nested __proto__ key", '{"type":"ping","ts":1,"x":{"__proto__":{"polluted":true}}}'],
    ];
    for (const [what, text] of bad) {
      const from = carol.messages.length;
      carol.ws.send(text);
      const answer = await next(carol, (f) => f.type === "error", from);
      expect(answer.code, what).toBe("bad_request");
      expect(carol.ws.readyState, what).toBe(WebSocket.OPEN);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();

    const from = carol.messages.length;
    send(carol, { type: "ping", ts: 7 });
    expect(await next(carol, (f) => f.type === "pong", from)).toMatchObject({ ts: 7 });
  });

  it("a frame before auth closes with 4401", async () => {
    const client = await connect();
    send(client, { type: "ping", ts: 1 });
    expect((await client.closed).code).toBe(4401);
  });

  it(`no auth within authTimeoutMs closes with 4408`, async () => {
    const client = await connect();
    expect((await client.closed).code).toBe(4408);
  });

  it("a bad token: HTTP 401 at the upgrade, 4401 in-band", async () => {
    expect(
      await rejectedStatus(url, PROTOCOL_NAME, { headers: { Authorization: "Bearer forged" } }),
    ).toBe(401);
    const client = await connect();
    send(client, { type: "auth", token: "forged" });
    expect((await client.closed).code).toBe(4401);
  });

  it("a frame over maxPayload closes with 1009 while others are served", async () => {
    const dave = await loginInBand("dave");
    const erin = await loginInBand("erin");
    send(dave, {
      type: "send",
      cid: "big",
      to: { type: "user", id: "erin" },
      body: { type: "text", text: "x".repeat(MAX_PAYLOAD) },
    });
    expect((await dave.closed).code).toBe(1009);
    const from = erin.messages.length;
    send(erin, { type: "ping", ts: 2 });
    expect(await next(erin, (f) => f.type === "pong", from)).toMatchObject({ ts: 2 });
  });
});
