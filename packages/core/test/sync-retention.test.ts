/**
 * `sync` over a store with retention (the memory storage's `retention`): a cursor below what
 * the store still holds gets what is left and `synced.conversations[].oldestSeq`, so the client
 * knows the messages in between are gone rather than asking for them again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStorage, type MessageFrame, type SyncedFrame } from "../src/index.js";
import { eventually } from "../src/testing/eventually.js";
import { sendText, startServer, type TestServer } from "./engine-helpers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const C = "d:alice:bob";

/** A server keeping 5 messages per conversation, after alice sent bob 12. */
async function trimmedServer() {
  const storage = createMemoryStorage({ retention: { maxMessagesPerConversation: 5 } });
  const server = await startServer({ storage });
  servers.push(server);
  const alice = await server.login("alice");
  for (let i = 1; i <= 12; i++) await sendText(alice, { type: "user", id: "bob" }, `m${i}`);
  // A message stays while its outbox entry is pending: the engine marks entries sent in batches.
  await eventually(async () => (await storage.cursors.cursors("bob", [C]))[0]?.oldestSeq === 8, {
    message: "the oldest 7 messages dropped",
  });
  return server;
}

/** Sends a sync; returns the messages of its answer and its synced. */
async function sync(
  client: Awaited<ReturnType<TestServer["login"]>>,
  cursors: Record<string, number>,
) {
  const before = client.frames.length;
  client.send({ type: "sync", cursors });
  const synced = await client.next<SyncedFrame>("synced");
  const seqs = client.frames
    .slice(before)
    .filter((f): f is MessageFrame => f.type === "message")
    .map((f) => f.seq);
  return { seqs, synced };
}

describe("sync with retention", () => {
  it("answers a cursor below what is kept with what is left and oldestSeq", async () => {
    const server = await trimmedServer();
    const bob = await server.login("bob");
    const old = await sync(bob, { [C]: 2 });
    expect(old.seqs).toEqual([8, 9, 10, 11, 12]);
    expect(old.synced.conversations).toEqual([{ conversationId: C, lastSeq: 12, oldestSeq: 8 }]);
    expect(old.synced.more).toBe(false);
    // From the delivered cursor (nothing acked yet): the same.
    const fresh = await sync(bob, {});
    expect(fresh.seqs).toEqual([8, 9, 10, 11, 12]);
    expect(fresh.synced.conversations[0]!.oldestSeq).toBe(8);
  });

  it("has no oldestSeq for a cursor at or above what is kept", async () => {
    const server = await trimmedServer();
    const bob = await server.login("bob");
    for (const cursor of [7, 10]) {
      const answer = await sync(bob, { [C]: cursor });
      expect(answer.seqs).toEqual(Array.from({ length: 12 - cursor }, (_, i) => cursor + 1 + i));
      expect(answer.synced.conversations).toEqual([{ conversationId: C, lastSeq: 12 }]);
    }
  });

  it("ends the history at the oldest message kept", async () => {
    const server = await trimmedServer();
    const first = await server.im.history("bob", C, { limit: 5 });
    expect(first.messages.map((m) => m.seq)).toEqual([12, 11, 10, 9, 8]);
    expect(first.more).toBe(false);
  });
});
