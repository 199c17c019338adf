/**
 * Presence subscriptions and conversation settings across two nodes on the real services:
 * one PostgreSQL schema, one RabbitMQ prefix and one Redis prefix shared by two engines in
 * this process (each with its own memory transport: clients connect to the node they pick).
 */
import { createAmqpBroker } from "@lucky-im/broker-amqp";
import {
  type ConversationSettingsFrame,
  createImServer,
  createMemoryTransport,
  type ImServer,
  type MemoryClient,
  type PresenceFrame,
  type PresenceStateFrame,
  type SentFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { createRedisPresence } from "@lucky-im/presence-redis";
import { createPostgresStore } from "@lucky-im/store-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../services.js";
import { dropClusterState } from "./shared-services.js";

const urls = {
  postgres: await serviceUrl("postgres"),
  amqp: await serviceUrl("amqp"),
  redis: await serviceUrl("redis"),
};
const ready = urls.postgres && urls.amqp && urls.redis;

interface Node {
  im: ImServer;
  login(userId: string): Promise<MemoryClient>;
}

describe.runIf(ready)("people across two nodes (PostgreSQL, RabbitMQ, Redis)", () => {
  const name = uniqueName("people");
  const nodeIds = [`${name}_a`, `${name}_b`];
  const nodes: Node[] = [];
  const clients: MemoryClient[] = [];
  const offlineCalls: Array<{ messageId: string; userIds: string[]; muted: string[] }> = [];

  beforeAll(async () => {
    for (const nodeId of nodeIds) {
      const transport = createMemoryTransport();
      const im = createImServer({
        nodeId,
        transport,
        storage: await createPostgresStore({
          url: urls.postgres!,
          schema: name,
          maxConnections: 4,
        }),
        broker: createAmqpBroker({ url: urls.amqp!, prefix: name }),
        presence: createRedisPresence({ url: urls.redis!, prefix: name }),
        presenceTracking: { lastSeenBatchMs: 10 },
        hooks: {
          async onOffline(message, userIds, context) {
            offlineCalls.push({ messageId: message.messageId, userIds, muted: [...context.muted] });
          },
        },
        logger: { info() {}, warn() {}, error() {} },
        authenticator: {
          async authenticate(token) {
            return { userId: token, claims: { sub: token } };
          },
        },
      });
      await im.start();
      nodes.push({
        im,
        async login(userId) {
          const client = await transport.connect();
          clients.push(client);
          client.send({ type: "auth", token: userId });
          await client.next("ready");
          return client;
        },
      });
    }
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const node of nodes) await node.im.close();
    await dropClusterState(
      { postgres: urls.postgres!, amqp: urls.amqp!, redis: urls.redis! },
      name,
      nodeIds,
    );
  }, 60_000);

  async function sendText(client: MemoryClient, to: string, text: string): Promise<SentFrame> {
    const cid = `c_${Math.random().toString(36).slice(2)}`;
    client.send({ type: "send", cid, to: { type: "user", id: to }, body: { type: "text", text } });
    return client.next<SentFrame>((f) => f.type === "sent" && f.cid === cid, 15_000);
  }

  it("a watcher on node A sees a user on node B come online and go offline, with last seen", async () => {
    const [a, b] = nodes as [Node, Node];
    const alice = await a.login("alice");
    await sendText(alice, "bob", "are you there?");
    alice.send({ type: "presence_subscribe", userIds: ["bob"], cid: "s1" });
    const state = await alice.next<PresenceStateFrame>("presence_state", 15_000);
    expect(state.users).toEqual([{ userId: "bob", online: false }]);

    const bob = await b.login("bob");
    await alice.next<PresenceFrame>((f) => f.type === "presence" && f.online, 15_000);
    alice.send({ type: "presence_subscribe", userIds: ["bob"], cid: "s2" });
    const online = await alice.next<PresenceStateFrame>(
      (f) => f.type === "presence_state" && f.cid === "s2",
      15_000,
    );
    expect(online.users).toEqual([{ userId: "bob", online: true }]);

    bob.close();
    const offline = await alice.next<PresenceFrame>(
      (f) => f.type === "presence" && !f.online,
      15_000,
    );
    expect(offline.lastSeen).toBeGreaterThan(0);
    // Node B wrote the last-seen time; node A reads it from the shared store.
    await eventually(async () =>
      expect((await a.im.profiles.mine("bob")).lastSeenAt).toBe(offline.lastSeen),
    );
  });

  it("settings changed on node A reach the user's device on node B", async () => {
    const [a, b] = nodes as [Node, Node];
    const phone = await a.login("carol");
    const laptop = await b.login("carol");
    const sent = await sendText(phone, "dave", "hello");
    await a.im.conversationSettings.update("carol", sent.conversationId, {
      pinned: true,
      archived: true,
    });
    const frame = await laptop.next<ConversationSettingsFrame>("conversation_settings", 15_000);
    expect(frame).toMatchObject({ conversationId: sent.conversationId, archived: true });
    expect(frame.pinnedAt).toBeGreaterThan(0);
    const list = await b.im.conversations("carol");
    expect(list[0]).toMatchObject({
      conversationId: sent.conversationId,
      settings: { archived: true },
    });
  });

  it("a mute set on node A is what onOffline on node B reports (B's cached settings dropped by the broadcast)", async () => {
    const [a, b] = nodes as [Node, Node];
    const frank = await b.login("frank");
    // Erin is offline: node B's hook is told, and node B caches erin's settings (not muted).
    const first = await sendText(frank, "erin", "one");
    await eventually(() =>
      expect(offlineCalls.find((c) => c.messageId === first.messageId)).toEqual({
        messageId: first.messageId,
        userIds: ["erin"],
        muted: [],
      }),
    );
    await a.im.conversationSettings.update("erin", first.conversationId, {
      mutedUntil: "forever",
    });
    await eventually(async () => {
      const next = await sendText(frank, "erin", "again");
      await eventually(() =>
        expect(offlineCalls.find((c) => c.messageId === next.messageId)?.muted).toBeDefined(),
      );
      expect(offlineCalls.find((c) => c.messageId === next.messageId)?.muted).toEqual(["erin"]);
    });
  });
});
