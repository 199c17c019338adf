/**
 * Issue 20 (webhooks) on the full stack: two engine nodes on PostgreSQL, RabbitMQ and Redis
 * share one PostgreSQL webhook queue; the receiver is killed and restarted mid-stream. Every
 * event arrives at least once, none is lost, every signature verifies, and duplicates carry
 * the same id (and the same body).
 */
import { createAmqpBroker } from "@lucky-im/broker-amqp";
import {
  createImServer,
  createMemoryTransport,
  type ImServer,
  type MemoryClient,
  type SentFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { createRedisPresence } from "@lucky-im/presence-redis";
import { createPostgresStore } from "@lucky-im/store-postgres";
import {
  createPostgresWebhookQueue,
  createWebhookDispatcher,
  postgresWebhookMigrations,
  type WebhookDispatcher,
  withWebhookEvents,
} from "@lucky-im/webhooks";
import { startWebhookTestReceiver } from "@lucky-im/webhooks/testing";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../services.js";
import { dropClusterState } from "./shared-services.js";

const [postgres, amqp, redis] = await Promise.all([
  serviceUrl("postgres"),
  serviceUrl("amqp"),
  serviceUrl("redis"),
]);

const secret = "whsec_cluster_test_secret";

describe.runIf(postgres && amqp && redis)("webhooks across two nodes (real services)", () => {
  const name = uniqueName("whk")
    .replace(/[^a-z0-9_]/gi, "_")
    .toLowerCase();
  const nodes: Array<{ im: ImServer; dispatcher: WebhookDispatcher }> = [];
  let pool: pg.Pool | undefined;
  let stopReceiver: (() => Promise<void>) | undefined;

  afterAll(async () => {
    for (const node of nodes) {
      await node.dispatcher.stop();
      await node.im.close();
    }
    await stopReceiver?.();
    await pool?.end();
    await dropClusterState({ postgres: postgres!, amqp: amqp!, redis: redis! }, name, ["A", "B"]);
  });

  it("every event arrives at least once through a receiver restart, signed, duplicates with one id", {
    timeout: 150_000,
  }, async () => {
    const receiver = await startWebhookTestReceiver(secret);
    stopReceiver = () => receiver.kill();
    pool = new pg.Pool({ connectionString: postgres!, max: 4 });

    async function startNode(nodeId: string) {
      const transport = createMemoryTransport();
      const storage = await createPostgresStore({
        url: postgres!,
        schema: name,
        maxConnections: 3,
        outboxGraceMs: 200,
      });
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool! }) });
      const { error } = await new Migrator({
        db,
        ...postgresWebhookMigrations(name),
      }).migrateToLatest();
      if (error) throw error;
      const dispatcher = createWebhookDispatcher({
        queue: createPostgresWebhookQueue(pool!, { schema: name }),
        endpoints: [{ id: "app", url: receiver.url, secret, events: "*", timeoutMs: 2_000 }],
        intervalMs: 50,
        retryInitialDelayMs: 50,
        retryMaxDelayMs: 400,
        maxAttempts: 1_000,
        leaseMs: 5_000,
      });
      const im = createImServer({
        nodeId,
        transport,
        storage: withWebhookEvents(storage, dispatcher),
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
      dispatcher.start();
      nodes.push({ im, dispatcher });
      return {
        im,
        async login(userId: string): Promise<MemoryClient> {
          const client = await transport.connect();
          client.send({ type: "auth", token: userId });
          await client.next("ready");
          return client;
        },
      };
    }

    const a = await startNode("A");
    const b = await startNode("B");
    const alice = await a.login("alice");
    const bob = await b.login("bob");
    const expected = new Set<string>();

    async function send(from: MemoryClient, to: string, i: number): Promise<SentFrame> {
      from.send({
        type: "send",
        cid: `c${i}`,
        to: { type: "user", id: to },
        body: { type: "text", text: `m${i}` },
      });
      const sent = await from.next<SentFrame>((f) => f.type === "sent" && f.cid === `c${i}`);
      expected.add(`message.stored:${sent.messageId}`);
      return sent;
    }

    // First half with the receiver up, from both nodes.
    let last: SentFrame | undefined;
    for (let i = 0; i < 20; i++) last = await send(i % 2 ? bob : alice, i % 2 ? "alice" : "bob", i);
    await eventually(() => expect(receiver.received.length).toBeGreaterThan(0), {
      timeoutMs: 15_000,
    });

    // The receiver dies mid-stream: messages, an edit and a recall go on.
    await receiver.kill();
    for (let i = 20; i < 40; i++)
      last = await send(i % 2 ? bob : alice, i % 2 ? "alice" : "bob", i);
    const edited = await send(alice, "bob", 40);
    alice.send({
      type: "edit",
      cid: "e1",
      messageId: edited.messageId,
      body: { type: "text", text: "edited" },
    });
    await alice.next((f) => f.type === "applied" && f.cid === "e1");
    expected.add(`message.edited:${edited.conversationId}:1`);
    bob.send({ type: "recall", messageId: last!.messageId });
    await bob.next((f) => f.type === "recalled" && f.messageId === last!.messageId);
    expected.add(`message.recalled:${last!.conversationId}:2`);
    const group = await b.im.groups.create({ ownerId: "bob", name: "team", memberIds: ["alice"] });
    expected.add(`group.created:${group.groupId}`);
    await eventually(
      async () => {
        const stats = await createPostgresWebhookQueue(pool!, { schema: name }).stats();
        expect(stats.pending).toBeGreaterThan(0);
      },
      { timeoutMs: 15_000 },
    );

    await receiver.restart();
    await eventually(
      () => {
        const ids = new Set(receiver.received.map((r) => r.id));
        expect([...expected].filter((id) => !ids.has(id))).toEqual([]);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const bodies = new Map<string, string>();
    for (const r of receiver.received) {
      expect(r.id).toBe(r.event.id);
      const body = JSON.stringify(r.event);
      expect(bodies.get(r.id) ?? body).toBe(body);
      bodies.set(r.id, body);
    }
    const editedEvent = receiver.received.find(
      (r) => r.id === `message.edited:${edited.conversationId}:1`,
    );
    expect(editedEvent!.event.data).toMatchObject({
      change: { kind: "edited", body: { text: "edited" } },
    });
    // Nothing is left behind: no pending webhook deliveries, no dead letters, outbox drained.
    await eventually(
      async () => {
        expect(await createPostgresWebhookQueue(pool!, { schema: name }).stats()).toMatchObject({
          pending: 0,
          dead: 0,
        });
        expect((await a.im.storage.outbox.stats({ kinds: ["message", "change"] })).pending).toBe(0);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });
});
