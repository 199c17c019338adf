/**
 * Issue 17 across two nodes on the real services (PostgreSQL, RabbitMQ, Redis): an edit and
 * a reaction made on node A reach a member on node B, live and, after that member reconnects,
 * by sync; the change outbox drains.
 */
import { createAmqpBroker } from "@lucky-im/broker-amqp";
import {
  type ChangeFrame,
  createImServer,
  createMemoryTransport,
  type ImServer,
  type MemoryClient,
  type SentFrame,
  type SyncedFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { createRedisPresence } from "@lucky-im/presence-redis";
import { createPostgresStore } from "@lucky-im/store-postgres";
import { afterAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../services.js";
import { dropClusterState } from "./shared-services.js";

const [postgres, amqp, redis] = await Promise.all([
  serviceUrl("postgres"),
  serviceUrl("amqp"),
  serviceUrl("redis"),
]);

describe.runIf(postgres && amqp && redis)("changes across two nodes (real services)", () => {
  const name = uniqueName("chg")
    .replace(/[^a-z0-9_]/gi, "_")
    .toLowerCase();
  const nodes: Array<{ im: ImServer; login(userId: string): Promise<MemoryClient> }> = [];

  afterAll(async () => {
    for (const node of nodes) await node.im.close();
    await dropClusterState({ postgres: postgres!, amqp: amqp!, redis: redis! }, name, ["A", "B"]);
  });

  async function startNode(nodeId: string) {
    const transport = createMemoryTransport();
    const im = createImServer({
      nodeId,
      transport,
      storage: await createPostgresStore({
        url: postgres!,
        schema: name,
        maxConnections: 3,
        outboxGraceMs: 200,
      }),
      broker: createAmqpBroker({ url: amqp!, prefix: name }),
      presence: createRedisPresence({ url: redis!, prefix: `${name}:presence` }),
      relay: { intervalMs: 100 },
      logger: { info() {}, warn() {}, error() {} },
      authenticator: {
        async authenticate(token) {
          return { userId: token, claims: { sub: token } };
        },
      },
    });
    await im.start();
    const node = {
      im,
      async login(userId: string) {
        const client = await transport.connect();
        client.send({ type: "auth", token: userId });
        await client.next("ready");
        return client;
      },
    };
    nodes.push(node);
    return node;
  }

  it("an edit and a reaction on node A reach node B and survive B's reconnect", async () => {
    const a = await startNode("A");
    const b = await startNode("B");
    const alice = await a.login("alice");
    let bob = await b.login("bob");
    bob.send({ type: "sync", cursors: {}, changes: {} });
    await bob.next("synced");
    alice.send({
      type: "send",
      cid: "m1",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "hi" },
    });
    const sent = await alice.next<SentFrame>("sent");
    await bob.next("message", 15_000);
    alice.send({
      type: "edit",
      cid: "e1",
      messageId: sent.messageId,
      body: { type: "text", text: "hello" },
    });
    alice.send({ type: "react", cid: "r1", messageId: sent.messageId, key: "👋" });
    await alice.next((f) => f.type === "applied" && f.cid === "r1");
    await eventually(() => expect(bob.all("change")).toHaveLength(2), { timeoutMs: 15_000 });
    // Live pushes of two changes may arrive in either order (one may take the fast path, the other
    // the relay); the changeSeq gives the order, as docs/protocol.md §13 tells clients.
    const live = bob
      .all<ChangeFrame>("change")
      .map((f) => f.change)
      .sort((x, y) => x.changeSeq - y.changeSeq);
    expect(live.map((c) => c.changeSeq)).toEqual([1, 2]);
    expect(live.map((c) => c.kind).sort()).toEqual(["edited", "reacted"]);
    await eventually(
      async () => expect((await a.im.storage.outbox.stats({ kinds: ["change"] })).pending).toBe(0),
      { timeoutMs: 15_000 },
    );

    // Bob reconnects (to node B again) knowing nothing: sync brings the current body and the changes.
    bob.close();
    bob = await b.login("bob");
    bob.send({
      type: "sync",
      cursors: { [sent.conversationId]: 0 },
      changes: { [sent.conversationId]: 0 },
    });
    const synced = await bob.next<SyncedFrame>("synced");
    expect(
      synced.conversations.find((c) => c.conversationId === sent.conversationId)?.lastChangeSeq,
    ).toBe(2);
    expect(bob.all("message")).toMatchObject([{ body: { text: "hello" } }]);
    const synced2 = bob.all<ChangeFrame>("change").map((f) => f.change);
    expect(synced2.map((c) => c.changeSeq)).toEqual([1, 2]);
    expect(synced2.map((c) => c.kind).sort()).toEqual(["edited", "reacted"]);
  });
});
