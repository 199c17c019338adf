/**
 * The official client against a server whose memory storage keeps few messages: a client
 * whose saved cursor is below what is kept gets the rest, is told what it missed (`trimmed`),
 * and does not keep syncing for messages that are gone.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createImServer,
  createMemoryStorage,
  ImError,
  type ImServer,
  type Principal,
} from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { createWsTransport } from "@lucky-im/transport-ws";
import { afterEach, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createImClient,
  createMemoryCursorStore,
  type ImClient,
  type MessageFrame,
} from "../src/index.js";

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
});

it("skips what the server no longer has once, emits trimmed, and syncs no more for it", async () => {
  http = createServer();
  await new Promise<void>((resolve) => http!.listen(0, "127.0.0.1", resolve));
  const storage = createMemoryStorage({ retention: { maxMessagesPerConversation: 5 } });
  im = createImServer({
    transport: createWsTransport({ server: http }),
    authenticator,
    storage,
    logger: { info() {}, warn() {}, error() {} },
  });
  await im.start();
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  const C = "d:alice:bob";
  for (let i = 1; i <= 12; i++) {
    await im.send({
      from: "alice",
      to: "bob",
      cid: `c${i}`,
      body: { type: "text", text: `m${i}` },
    });
  }
  await eventually(async () => (await storage.cursors.cursors("bob", [C]))[0]?.oldestSeq === 8, {
    message: "the oldest 7 messages dropped",
  });

  // Bob's device got messages 1 and 2 long ago.
  const cursors = createMemoryCursorStore();
  await cursors.save("bob", { [C]: 2 });
  const bob = createImClient({ WebSocket, cursorStore: cursors, gapTimeoutMs: 50, maxGapSyncs: 3 });
  clients.push(bob);
  const messages: MessageFrame[] = [];
  const trimmed: unknown[] = [];
  let syncs = 0;
  bob.on("message", (m) => messages.push(m));
  bob.on("trimmed", (info) => trimmed.push(info));
  bob.on("synced", () => syncs++);
  await bob.connect({ url, token: "t-bob" });
  await eventually(() => messages.length === 5, { message: "messages 8..12", intervalMs: 5 });
  expect(messages.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
  expect(trimmed).toEqual([{ conversationId: C, fromSeq: 3, toSeq: 7 }]);
  await eventually(
    async () => (await storage.cursors.cursors("bob", [C]))[0]?.deliveredSeq === 12,
    {
      message: "bob's ack of 12",
    },
  );
  // Well past the gap timeout: the one sync of the connection, no gap-filling rounds.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(syncs).toBe(1);
  expect((await cursors.load("bob"))[C]).toBe(12);
});
