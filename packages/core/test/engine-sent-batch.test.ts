import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryPresence,
  createMemoryPresenceHub,
  type ErrorFrame,
  type MemoryClient,
  type ReceiptsFrame,
} from "../src/index.js";
import { eventually } from "../src/testing/eventually.js";
import {
  loginWithCapabilities,
  nextMessage,
  sendText,
  startServer,
  type TestServer,
} from "./engine-helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ALL = ["receipt-batch", "ack-batch", "sent-batch"];
const login = (userId: string, capabilities: string[] | undefined = ALL) =>
  loginWithCapabilities(server!, userId, capabilities).then((r) => r.client);

/** Sends a text and returns its cid (the answer is awaited by the test). */
let cids = 0;
function send(client: MemoryClient, to: { type: "user" | "group"; id: string }, text: string) {
  const cid = `sb${++cids}`;
  client.send({ type: "send", cid, to, body: { type: "text", text } });
  return cid;
}

/** The next `receipts` frame carrying the answer to `cid`. */
const answerOf = (client: MemoryClient, cid: string) =>
  client.next<ReceiptsFrame>(
    (f) => f.type === "receipts" && (f.sent ?? []).some((entry) => entry.cid === cid),
  );

describe("held sent answers (sent-batch, §5.3)", () => {
  it("is accepted only with receipt-batch, and not when delivery.sentHoldMs is 0", async () => {
    server = await startServer();
    const both = await loginWithCapabilities(server, "alice", ALL);
    expect(both.ready.capabilities).toEqual(ALL);
    const alone = await loginWithCapabilities(server, "bob", ["sent-batch"]);
    expect(alone.ready.capabilities).toEqual([]);
    await server.close();
    server = await startServer({ delivery: { sentHoldMs: 0 } });
    const off = await loginWithCapabilities(server, "alice", ALL);
    expect(off.ready.capabilities).toEqual(["receipt-batch", "ack-batch"]);
  });

  it("refuses a negative, fractional, too long or non-numeric delivery.sentHoldMs at construction", async () => {
    await expect(startServer({ delivery: { sentHoldMs: -1 } })).rejects.toThrow(/sentHoldMs/);
    await expect(
      startServer({ delivery: { sentHoldMs: "100" as unknown as number } }),
    ).rejects.toThrow(/sentHoldMs/);
    await expect(startServer({ delivery: { sentHoldMs: 10_001 } })).rejects.toThrow(/sentHoldMs/);
    await expect(startServer({ delivery: { sentHoldMs: 1.5 } })).rejects.toThrow(/sentHoldMs/);
  });

  it("a direct send's answer waits for the recipient's delivered receipt and leaves with it in one frame", async () => {
    // The hold is far longer than the test: only the receipt can release the answer.
    server = await startServer({ delivery: { sentHoldMs: 10_000 } });
    const alice = await login("alice");
    const bob = await server.login("bob");
    const cid = send(alice, { type: "user", id: "bob" }, "hi");
    const pushed = await nextMessage(bob, "hi");
    expect(alice.all("sent")).toHaveLength(0);
    expect(alice.all("receipts")).toHaveLength(0);
    bob.send({ type: "ack", conversationId: pushed.conversationId, seq: pushed.seq });
    const frame = await answerOf(alice, cid);
    expect(frame.sent).toEqual([
      {
        cid,
        messageId: pushed.messageId,
        conversationId: "d:alice:bob",
        seq: pushed.seq,
        ts: pushed.ts,
      },
    ]);
    expect(frame.receipts).toEqual([
      { conversationId: "d:alice:bob", userId: "bob", seq: pushed.seq, kind: "delivered" },
    ]);
    expect(alice.all("sent")).toHaveLength(0);
    expect(alice.all("receipts")).toHaveLength(1);
  });

  it("without a receipt the answer goes out when the hold ends, alone", async () => {
    // With a presence adapter another node could hold bob's session: the answer waits the hold.
    server = await startServer({
      presence: createMemoryPresence({ hub: createMemoryPresenceHub() }),
      delivery: { sentHoldMs: 40, receiptBatchMs: 60_000 },
    });
    const alice = await login("alice");
    const cid = send(alice, { type: "user", id: "bob" }, "bob is offline");
    const frame = await answerOf(alice, cid);
    expect(frame.receipts).toEqual([]);
    expect(frame.sent?.map((entry) => entry.cid)).toEqual([cid]);
    expect(alice.all("sent")).toHaveLength(0);
  });

  it("a lone node does not hold the answer for a recipient it knows is offline", async () => {
    server = await startServer({ delivery: { sentHoldMs: 10_000, receiptBatchMs: 30 } });
    const alice = await login("alice");
    const cid = send(alice, { type: "user", id: "bob" }, "bob is offline");
    const frame = await answerOf(alice, cid);
    expect(frame.sent?.map((entry) => entry.cid)).toEqual([cid]);
  });

  it("a group send's answer waits only the receipt window, however long the hold", async () => {
    server = await startServer({ delivery: { sentHoldMs: 10_000, receiptBatchMs: 30 } });
    const alice = await login("alice");
    const group = await server.im.groups.create({
      ownerId: "alice",
      name: "team",
      memberIds: ["bob"],
    });
    const cid = send(alice, { type: "group", id: group.groupId }, "hello team");
    const frame = await answerOf(alice, cid);
    expect(frame.sent?.[0]?.conversationId).toBe(`g:${group.groupId}`);
  });

  it("a held answer goes out before any later frame to the connection (the client orders by seq)", async () => {
    server = await startServer({ delivery: { sentHoldMs: 10_000, receiptBatchMs: 60_000 } });
    const alice = await login("alice");
    const bob = await server.login("bob");
    const cid = send(alice, { type: "user", id: "bob" }, "first");
    await nextMessage(bob, "first");
    // Bob answers without acking: alice's answer is still held when bob's message reaches her.
    await sendText(bob, { type: "user", id: "alice" }, "second");
    await nextMessage(alice, "second");
    const types = alice.frames.map((f) => f.type);
    const answerAt = alice.frames.findIndex(
      (f) => f.type === "receipts" && (f.sent ?? []).some((entry) => entry.cid === cid),
    );
    expect(answerAt).toBeGreaterThanOrEqual(0);
    expect(answerAt).toBeLessThan(types.indexOf("message"));
  });

  it("an error answers at once, and held answers are sent when the node closes", async () => {
    server = await startServer({ delivery: { sentHoldMs: 10_000, receiptBatchMs: 60_000 } });
    const alice = await login("alice");
    const held = send(alice, { type: "user", id: "bob" }, "to an offline bob");
    const bad = send(alice, { type: "group", id: "no-such-group" }, "x");
    const error = await alice.next<ErrorFrame>((f) => f.type === "error" && f.cid === bad);
    expect(error.code).toBe("not_found");
    expect(alice.all("receipts")).toHaveLength(0);
    await server.close();
    server = undefined;
    const frames = alice.all<ReceiptsFrame>("receipts");
    expect(frames.flatMap((f) => f.sent ?? []).map((entry) => entry.cid)).toEqual([held]);
    await eventually(() => expect(alice.closeCode).toBeDefined());
  });

  it("a close from the server (session replaced) sends the held answers first", async () => {
    server = await startServer({
      multiDevice: "one-per-device-class",
      delivery: { sentHoldMs: 10_000, receiptBatchMs: 60_000 },
    });
    const first = await login("alice");
    const cid = send(first, { type: "user", id: "bob" }, "before the replacement");
    await eventually(async () => {
      const page = await server!.im.storage.messages.range("d:alice:bob", { limit: 10 });
      expect(page).toHaveLength(1);
    });
    expect(first.all("receipts")).toHaveLength(0);
    await login("alice");
    await eventually(() => expect(first.closeCode).toBe(4409));
    const answers = first.all<ReceiptsFrame>("receipts").flatMap((f) => f.sent ?? []);
    expect(answers.map((entry) => entry.cid)).toEqual([cid]);
  });

  it("a resent cid after a lost answer gets the same message back", async () => {
    server = await startServer({ delivery: { sentHoldMs: 10_000, receiptBatchMs: 60_000 } });
    const first = await login("alice");
    const cid = send(first, { type: "user", id: "bob" }, "once");
    await eventually(async () => {
      const page = await server!.im.storage.messages.range("d:alice:bob", { limit: 10 });
      expect(page).toHaveLength(1);
    });
    first.close();
    const again = await server.login("alice");
    again.send({
      type: "send",
      cid,
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "once" },
    });
    const answer = await again.next((f) => f.type === "sent" && f.cid === cid);
    const [stored] = await server.im.storage.messages.range("d:alice:bob", { limit: 10 });
    expect(answer).toMatchObject({ messageId: stored?.messageId, seq: 1 });
  });
});
