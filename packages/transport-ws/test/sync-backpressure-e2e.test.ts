/**
 * Issue 13, item 4, over real WebSockets: a `sync` of 200 messages of 15 KB
 * reaches a slow reader whole, with `synced`; a reader that never reads is
 * closed with 4008 while its queue stays bounded, and gets everything after
 * it reconnects.
 */

import {
  type Authenticator,
  CloseCode,
  createImServer,
  ImError,
  type ImServer,
  PROTOCOL_NAME,
  type TransportConnection,
} from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport, type WsTransportOptions } from "@lucky-im/transport-ws";
import { afterEach, describe, expect, it } from "vitest";
import { closeClient, openClient, type TestClient, wsUrl } from "./helpers.js";

type Frame = { type: string } & Record<string, unknown>;

const authenticator: Authenticator = {
  async authenticate(token) {
    if (token.startsWith("good-")) return { userId: token.slice(5), claims: {} };
    throw new ImError("unauthorized", "[lucky-im] [test] bad token");
  },
};

const TEXT = "x".repeat(15_000);

interface Harness {
  im: ImServer;
  url: string;
  /** Every server-side connection, in order of opening. */
  connections: TransportConnection[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Omit<WsTransportOptions, "port" | "server"> = {}): Promise<Harness> {
  const transport = createWsTransport({ port: 0, host: "127.0.0.1", ...options });
  const connections: TransportConnection[] = [];
  // See every connection the engine gets, to watch its queue.
  const listen = transport.listen.bind(transport);
  transport.listen = (listener) =>
    listen({
      authenticate: (token) => listener.authenticate(token),
      open: (connection) => {
        connections.push(connection);
        return listener.open(connection);
      },
    });
  const im = createImServer({
    transport,
    authenticator,
    logger: { info() {}, warn() {}, error() {} },
    limits: { framesPerWindow: 10_000 },
  });
  await im.start();
  cleanups.push(() => im.close());
  return { im, url: wsUrl(transport.address()), connections };
}

function frames(client: TestClient): Frame[] {
  return client.messages.map((m) => JSON.parse(m) as Frame);
}

async function login(h: Harness, userId: string): Promise<TestClient> {
  const client = await openClient(h.url, PROTOCOL_NAME);
  cleanups.push(() => closeClient(client));
  client.ws.send(JSON.stringify({ type: "auth", token: `good-${userId}` }));
  await eventually(() => frames(client).some((f) => f.type === "ready"), {
    message: "ready",
    timeoutMs: 15_000,
    intervalMs: 10,
  });
  return client;
}

/** Sends `count` 15 KB texts from `from` to `to` and waits for every `sent`; returns their seqs. */
async function sendMany(from: TestClient, to: string, count: number): Promise<number[]> {
  const before = frames(from).filter((f) => f.type === "sent").length;
  for (let i = 0; i < count; i++) {
    from.ws.send(
      JSON.stringify({
        type: "send",
        cid: `${to}-${before + i}`,
        to: { type: "user", id: to },
        body: { type: "text", text: TEXT },
      }),
    );
  }
  await eventually(() => frames(from).filter((f) => f.type === "sent").length === before + count, {
    message: `${count} sent`,
    timeoutMs: 30_000,
    intervalMs: 10,
  });
  return frames(from)
    .filter((f) => f.type === "sent")
    .map((f) => f.seq as number);
}

/** Syncs one conversation from `cursor` until `more` is false; returns the seqs of the `message` frames. */
async function syncAll(client: TestClient, conversationId: string, cursor = 0): Promise<number[]> {
  const seqs: number[] = [];
  for (let round = 0; round < 100; round++) {
    const from = client.messages.length;
    client.ws.send(JSON.stringify({ type: "sync", cursors: { [conversationId]: cursor } }));
    const synced = await eventually(
      () =>
        frames(client)
          .slice(from)
          .find((f) => f.type === "synced") || false,
      { message: `synced (round ${round})`, timeoutMs: 20_000, intervalMs: 10 },
    );
    const page = frames(client)
      .slice(from)
      .filter((f) => f.type === "message" && f.conversationId === conversationId)
      .map((f) => f.seq as number);
    seqs.push(...page);
    cursor = Math.max(cursor, ...page);
    if (!synced.more) return seqs;
  }
  throw new Error("sync never finished");
}

describe("sync over a slow or stalled reader (real WebSockets)", () => {
  it("200 messages of 15 KB, then sync with a slow reader: every message and synced arrive", async () => {
    const h = await start();
    const alice = await login(h, "alice");
    await sendMany(alice, "bob", 200);

    const bob = await login(h, "bob");
    // A slow reader: its socket is read a few ms out of every 20.
    const reader = setInterval(() => {
      bob.ws.resume();
      setTimeout(() => bob.ws.pause(), 3);
    }, 20);
    cleanups.push(async () => clearInterval(reader));
    bob.ws.pause();

    const seqs = await syncAll(bob, "d:alice:bob");
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(bob.closedWith).toBeUndefined();
  });

  it("a reader that never reads is closed with 4008, its queue bounded; after reconnecting it syncs everything", async () => {
    const maxBufferedBytes = 1024 * 1024;
    const h = await start({
      highWaterMark: 256 * 1024,
      maxBufferedBytes,
      slowClientTimeoutMs: 1_000,
      closeTimeoutMs: 300,
    });
    const closes: number[] = [];
    h.im.on("disconnection", (info, code) => {
      if (info.userId === "carol") closes.push(code);
    });
    const alice = await login(h, "alice");
    const carol = await login(h, "carol");
    const carolServerSide = h.connections.at(-1)!;
    carol.ws.pause();
    carol.ws.send(JSON.stringify({ type: "sync", cursors: {} }));

    // Alice keeps writing to Carol until the server gives up on her; every message is stored.
    let maxQueued = 0;
    const sentSeqs: number[] = [];
    for (let burst = 0; burst < 100 && closes.length === 0; burst++) {
      sentSeqs.splice(0, sentSeqs.length, ...(await sendMany(alice, "carol", 20)));
      maxQueued = Math.max(maxQueued, carolServerSide.bufferedAmount);
    }
    await eventually(() => closes.length > 0, {
      message: "carol closed",
      timeoutMs: 20_000,
      intervalMs: 10,
    });
    expect(closes).toEqual([CloseCode.tooSlow]);
    expect(maxQueued).toBeLessThanOrEqual(maxBufferedBytes);

    // Carol comes back and resumes from her cursor (0: she acked nothing).
    const again = await login(h, "carol");
    const seqs = await syncAll(again, "d:alice:carol");
    const stored = sentSeqs.at(-1)!;
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: stored }, (_, i) => i + 1)));
  });
});
