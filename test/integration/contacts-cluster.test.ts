/**
 * A block made through node A holds for a sender connected to node B (issue 16): two
 * engine nodes on the real shared services (one PostgreSQL schema, one RabbitMQ prefix,
 * one Redis prefix), each with its own relation cache.
 */
import { createAmqpBroker } from "@lucky-im/broker-amqp";
import {
  createImServer,
  createMemoryTransport,
  type ErrorFrame,
  type ImServer,
  type MemoryClient,
  type SentFrame,
} from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { createRedisPresence } from "@lucky-im/presence-redis";
import { createPostgresStore } from "@lucky-im/store-postgres";
import { afterAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../services.js";
import { dropClusterState } from "./shared-services.js";

const urls = {
  postgres: await serviceUrl("postgres"),
  amqp: await serviceUrl("amqp"),
  redis: await serviceUrl("redis"),
};
const ready = urls.postgres && urls.amqp && urls.redis;
const quiet = { info() {}, warn() {}, error() {} };

describe.runIf(ready)("contacts across nodes", () => {
  const name = uniqueName("lim_contacts_cluster");
  const nodeIds = ["contacts-a", "contacts-b"];
  const nodes: ImServer[] = [];

  afterAll(async () => {
    for (const node of nodes) await node.close();
    await dropClusterState(
      { postgres: urls.postgres!, amqp: urls.amqp!, redis: urls.redis! },
      name,
      nodeIds,
    );
  });

  async function startNode(nodeId: string) {
    const transport = createMemoryTransport();
    const im = createImServer({
      nodeId,
      transport,
      logger: quiet,
      storage: await createPostgresStore({
        url: urls.postgres!,
        schema: name,
        maxConnections: 2,
      }),
      broker: createAmqpBroker({ url: urls.amqp!, prefix: name }),
      presence: createRedisPresence({ url: urls.redis!, prefix: `${name}:presence` }),
      // Far longer than the test: only the broadcast can make node B see the block.
      caches: { relation: { ttlMs: 600_000 } },
      authenticator: {
        async authenticate(token) {
          return { userId: token, claims: { sub: token } };
        },
      },
    });
    await im.start();
    nodes.push(im);
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

  let counter = 0;
  async function sendTo(client: MemoryClient, to: string): Promise<SentFrame | ErrorFrame> {
    const cid = `c${++counter}`;
    client.send({
      type: "send",
      cid,
      to: { type: "user", id: to },
      body: { type: "text", text: "hi" },
    });
    return client.next<SentFrame | ErrorFrame>(
      (f) => (f.type === "sent" || f.type === "error") && "cid" in f && f.cid === cid,
    );
  }

  it("a block made on node A refuses a send from node B; the contact frame crosses nodes", async () => {
    // One after the other: the first creates the schema.
    const a = await startNode(nodeIds[0]!);
    const b = await startNode(nodeIds[1]!);
    const ann = await a.login("ann");
    const bob = await b.login("bob");

    await a.im.contacts.request("ann", "bob", "hi Bob");
    expect(await bob.next("contact"), "a request made on A reaches Bob on B").toMatchObject({
      event: "requested",
      by: "ann",
    });
    expect((await sendTo(bob, "ann")).type, "B caches the pair as allowed").toBe("sent");
    expect((await sendTo(bob, "ann")).type).toBe("sent");

    await a.im.contacts.block("ann", "bob");
    await eventually(async () =>
      expect(await sendTo(bob, "ann"), "node B refuses once A's broadcast arrives").toMatchObject({
        type: "error",
        code: "forbidden",
      }),
    );
    await a.im.contacts.unblock("ann", "bob");
    await eventually(async () => expect((await sendTo(bob, "ann")).type).toBe("sent"));

    await a.im.contacts.setPrivacy("ann", { directMessages: "contacts" });
    await eventually(async () =>
      expect(await sendTo(bob, "ann")).toMatchObject({ type: "error", code: "forbidden" }),
    );
    expect(ann.all("message").length, "Ann got only the allowed messages").toBeGreaterThan(0);
  });
});
