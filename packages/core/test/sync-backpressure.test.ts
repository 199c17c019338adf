/**
 * `sync` over a connection whose client does not keep up: pages by bytes, waits
 * for the client to read before the next page, and runs no query for a
 * connection without room or that is closing.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  CloseCode,
  createMemoryStorage,
  type MessageFrame,
  type SyncedFrame,
} from "../src/index.js";
import { eventually } from "../src/testing/eventually.js";
import { sendText, startServer, type TestServer } from "./engine-helpers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const TEXT = "x".repeat(15_000);

/** A server whose storage counts `messages.range` queries. */
async function countingServer() {
  const storage = createMemoryStorage();
  const queries = { range: 0, rows: 0 };
  const range = storage.messages.range.bind(storage.messages);
  storage.messages.range = async (conversationId, options) => {
    queries.range++;
    const rows = await range(conversationId, options);
    queries.rows += rows.length;
    return rows;
  };
  const server = await startServer({ storage, limits: { framesPerWindow: 10_000 } });
  servers.push(server);
  return { server, queries };
}

describe("sync backpressure", () => {
  it("answers in pages of at most syncPageBytes; every message and every synced arrive", async () => {
    const { server, queries } = await countingServer();
    const alice = await server.login("alice");
    for (let i = 0; i < 80; i++) await sendText(alice, { type: "user", id: "bob" }, TEXT);
    const bob = await server.login("bob");
    const seqs: number[] = [];
    let pages = 0;
    let cursor = 0;
    for (;;) {
      const before = bob.frames.length;
      bob.send({ type: "sync", cursors: { "d:alice:bob": cursor } });
      const synced = await bob.next<SyncedFrame>("synced");
      pages++;
      const page = bob.frames.slice(before).filter((f): f is MessageFrame => f.type === "message");
      const bytes = page.reduce((sum, f) => sum + Buffer.byteLength(JSON.stringify(f)), 0);
      expect(bytes).toBeLessThanOrEqual(server.im.limits.syncPageBytes);
      seqs.push(...page.map((f) => f.seq));
      cursor = seqs.at(-1) ?? cursor;
      if (!synced.more) break;
    }
    expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(pages).toBeGreaterThan(1);
    // Pages of a few large messages do not read syncPageSize rows each.
    expect(queries.rows).toBeLessThan(2 * 80);
  });

  it("runs no query while the client has not read the last page, refuses syncs past maxQueuedSyncs, and none after the close", async () => {
    const { server, queries } = await countingServer();
    const alice = await server.login("alice");
    for (let i = 0; i < 40; i++) await sendText(alice, { type: "user", id: "bob" }, TEXT);
    const bob = await server.login("bob");
    bob.pause();
    for (let i = 0; i < 10; i++) bob.send({ type: "sync", cursors: { "d:alice:bob": 0 } });
    await eventually(() => queries.range >= 1, { message: "the first page" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A page starts only while at most syncPageBytes are queued: two pages at most went out.
    const unread = queries.range;
    expect(unread).toBeGreaterThanOrEqual(1);
    expect(unread).toBeLessThanOrEqual(2);
    expect(bob.all("synced")).toHaveLength(0);

    bob.read(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Read a little, still over syncPageBytes queued: still no query.
    expect(queries.range).toBe(unread);

    bob.resume();
    await bob.next("synced");
    const { maxQueuedSyncs } = server.im.limits;
    const refused = bob.all(
      (f) => f.type === "error" && f.code === "rate_limited" && f.message.includes("sync"),
    );
    expect(refused).toHaveLength(10 - maxQueuedSyncs);

    // The queued syncs are answered once there is room; then the client stops reading
    // and closes: the ones still waiting run no query.
    bob.pause();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = queries.range;
    bob.close(CloseCode.normal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(queries.range).toBe(before);
  });
});
