import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createImServer, ImError, type ImServer, type Principal } from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport } from "@lucky-im/transport-ws";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createImClient, type ImClient, type ImClientOptions } from "../src/index.js";

/** Tokens are "t-<userId>". */
const authenticator = {
  async authenticate(token: string): Promise<Principal> {
    if (!token.startsWith("t-")) throw new ImError("unauthorized", "bad token");
    return { userId: token.slice(2), claims: {} };
  },
};

let http: Server | undefined;
let im: ImServer | undefined;
const clients: ImClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await im?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  http = undefined;
  im = undefined;
});

/** Starts an engine over the ws transport; returns its URL. */
async function start(options: { receiptBatchMs?: number; maxReceiptsPerFrame?: number } = {}) {
  http = createServer();
  await new Promise<void>((resolve) => http!.listen(0, "127.0.0.1", resolve));
  im = createImServer({
    transport: createWsTransport({ server: http }),
    authenticator,
    logger: { info() {}, warn() {}, error() {} },
    delivery: { receiptBatchMs: options.receiptBatchMs },
    limits:
      options.maxReceiptsPerFrame === undefined
        ? {}
        : { maxReceiptsPerFrame: options.maxReceiptsPerFrame },
  });
  await im.start();
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
}

type Frame = { type: string } & Record<string, unknown>;

/** An official client whose socket records every frame it writes and reads. */
function recordedUser(userId: string, url: string, options: Partial<ImClientOptions> = {}) {
  const written: Frame[] = [];
  const read: Frame[] = [];
  class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.addEventListener("message", (event) => read.push(JSON.parse(String(event.data))));
    }
    override send(data: unknown): void {
      written.push(JSON.parse(String(data)));
      super.send(data as string);
    }
  }
  const client = createImClient({
    WebSocket: RecordingWebSocket as unknown as typeof WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...options,
  });
  clients.push(client);
  const receipts: Frame[] = [];
  client.on("receipt", (r) => receipts.push(r as unknown as Frame));
  return {
    client,
    written,
    read,
    receipts,
    connect: () => client.connect({ url, token: `t-${userId}` }),
  };
}

const text = (t: string) => ({ type: "text", text: t }) as const;

describe("batched acks and receipts with the official client (core engine, ws transport)", () => {
  it("a direct send resolves from the receipts frame that also carries bob's delivered receipt (sent-batch)", async () => {
    const url = await start();
    const alice = recordedUser("alice", url);
    const bob = recordedUser("bob", url);
    await Promise.all([alice.connect(), bob.connect()]);
    const sentEvents: unknown[] = [];
    alice.client.on("sent", (result) => sentEvents.push(result));
    const result = await alice.client.send({ type: "user", id: "bob" }, text("one frame"));
    expect(result).toMatchObject({ conversationId: "d:alice:bob", seq: 1 });
    expect(sentEvents).toEqual([result]);
    await eventually(() => alice.receipts.length === 1, {
      message: "alice's delivered receipt",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    // No sent frame: the answer came with the receipt, unless the hold ended first (a slow bob).
    expect(alice.read.filter((f) => f.type === "sent")).toHaveLength(0);
    const frames = alice.read.filter((f) => f.type === "receipts");
    const answered = frames.find((f) => Array.isArray(f.sent));
    expect(answered?.sent).toEqual([result]);
    expect(frames.flatMap((f) => f.receipts as unknown[])).toEqual([
      { conversationId: "d:alice:bob", userId: "bob", seq: 1, kind: "delivered" },
    ]);
  });

  it("combineSentWithReceipt: false keeps sent frames", async () => {
    const url = await start();
    const alice = recordedUser("alice", url, { combineSentWithReceipt: false });
    const ready = await alice.connect();
    expect(ready.capabilities).toEqual(["receipt-batch", "ack-batch"]);
    await alice.client.send({ type: "user", id: "bob" }, text("plain"));
    expect(alice.read.filter((f) => f.type === "sent")).toHaveLength(1);
  });

  it("announces both capabilities, acks several conversations in one acks frame, and gets receipts frames as receipt events", async () => {
    const url = await start({ receiptBatchMs: 60_000, maxReceiptsPerFrame: 2 });
    const alice = recordedUser("alice", url);
    const carol = recordedUser("carol", url);
    const bob = recordedUser("bob", url, { ackDelayMs: 300 });
    await Promise.all([alice.connect(), carol.connect()]);
    const group = await im!.groups.create({ ownerId: "alice", name: "team", memberIds: ["bob"] });
    await alice.client.send({ type: "user", id: "bob" }, text("direct"));
    await alice.client.send({ type: "group", id: group.groupId }, text("group"));
    await carol.client.send({ type: "user", id: "bob" }, text("from carol"));

    // Bob comes online: the sync brings three conversations, acked together.
    const ready = await bob.connect();
    expect(bob.written[0]).toMatchObject({
      type: "auth",
      capabilities: ["receipt-batch", "ack-batch", "sent-batch"],
    });
    expect(ready).toMatchObject({
      capabilities: ["receipt-batch", "ack-batch", "sent-batch"],
      maxAcksPerFrame: 100,
    });
    await eventually(() => bob.written.some((f) => f.type === "acks"), {
      message: "an acks frame",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    const acks = bob.written.find((f) => f.type === "acks")!.acks as {
      conversationId: string;
      seq: number;
    }[];
    expect(acks.map((a) => a.conversationId).sort()).toEqual(
      [`g:${group.groupId}`, "d:alice:bob", "d:bob:carol"].sort(),
    );
    expect(bob.written.filter((f) => f.type === "ack")).toHaveLength(0);
    await eventually(
      async () => {
        const cursors = await im!.storage.cursors.cursors("bob");
        return cursors.filter((c) => c.deliveredSeq >= 1).length === 3;
      },
      { message: "bob's three delivered cursors", timeoutMs: 10_000, intervalMs: 10 },
    );

    // Alice's and carol's delivered receipts: batched per connection, emitted one by one.
    bob.client.read("d:alice:bob", 1);
    await eventually(() => alice.receipts.length === 2, {
      message: "alice's two receipts",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(alice.receipts).toEqual(
      expect.arrayContaining([
        {
          type: "receipt",
          conversationId: "d:alice:bob",
          userId: "bob",
          seq: 1,
          kind: "delivered",
        },
        { type: "receipt", conversationId: "d:alice:bob", userId: "bob", seq: 1, kind: "read" },
      ]),
    );
    // Her two sends' answers came in receipts frames of their own (bob was offline); the two
    // receipts in one.
    const batches = alice.read.filter(
      (f) => f.type === "receipts" && (f.receipts as unknown[]).length > 0,
    );
    expect(batches).toHaveLength(1);
    expect(alice.read.filter((f) => f.type === "receipt")).toHaveLength(0);
  });

  it("with delivery.receiptBatchMs 0 the server declines receipt-batch: the client gets receipt frames, and the same events", async () => {
    const url = await start({ receiptBatchMs: 0 });
    const alice = recordedUser("alice", url);
    const bob = recordedUser("bob", url);
    const ready = await alice.connect();
    expect(ready.capabilities).toEqual(["ack-batch"]);
    await bob.connect();
    await alice.client.send({ type: "user", id: "bob" }, text("hi"));
    await eventually(() => alice.receipts.length === 1, {
      message: "alice's receipt",
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    expect(alice.receipts[0]).toEqual({
      type: "receipt",
      conversationId: "d:alice:bob",
      userId: "bob",
      seq: 1,
      kind: "delivered",
    });
    expect(alice.read.filter((f) => f.type === "receipts")).toHaveLength(0);
  });
});
