import {
  createImServer,
  createMemoryStorage,
  createMemoryTransport,
  type ImServer,
  type MemoryClient,
  type SentFrame,
} from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryWebhookQueue,
  createWebhookDispatcher,
  recordConnectionEvents,
  type WebhookEvent,
  type WebhookEventSink,
  withWebhookEvents,
} from "../src/index.js";
import { startWebhookTestReceiver } from "../src/testing/index.js";

const secret = "whsec_engine_test_secret";
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function engine(sink: WebhookEventSink): {
  im: ImServer;
  login(user: string): Promise<MemoryClient>;
} {
  const transport = createMemoryTransport();
  const im = createImServer({
    transport,
    storage: withWebhookEvents(createMemoryStorage({ outboxGraceMs: 50 }), sink),
    relay: { intervalMs: 50 },
    logger: { info() {}, warn() {}, error() {} },
    authenticator: {
      async authenticate(token) {
        return { userId: token, claims: { sub: token } };
      },
    },
  });
  cleanups.push(() => im.close());
  const loginOf = async (user: string): Promise<MemoryClient> => {
    const client = await transport.connect();
    client.send({ type: "auth", token: user });
    await client.next("ready");
    return client;
  };
  return { im, login: loginOf };
}

describe("engine writes become webhook events", () => {
  it("messages, edits, recalls, reads, groups and contacts reach the endpoint", async () => {
    const receiver = await startWebhookTestReceiver(secret);
    cleanups.push(() => receiver.kill());
    const dispatcher = createWebhookDispatcher({
      queue: createMemoryWebhookQueue(),
      // `message.read` is opt-in: "*" leaves it out.
      endpoints: [
        { id: "all", url: receiver.url, secret, events: "*" },
        { id: "reads", url: receiver.url, secret, events: ["message.read"] },
      ],
      intervalMs: 20,
    });
    dispatcher.start();
    cleanups.push(() => dispatcher.stop());
    const { im, login } = engine(dispatcher);
    await im.start();
    const stopConnections = recordConnectionEvents(im, dispatcher);
    cleanups.push(async () => stopConnections());
    const alice = await login("alice");
    const bob = await login("bob");
    alice.send({
      type: "send",
      cid: "c1",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "hi" },
    });
    const sent = await alice.next<SentFrame>("sent");
    await bob.next("message");
    alice.send({
      type: "edit",
      cid: "e1",
      messageId: sent.messageId,
      body: { type: "text", text: "hello" },
    });
    await alice.next((f) => f.type === "applied" && f.cid === "e1");
    bob.send({ type: "read", conversationId: sent.conversationId, seq: 1 });
    alice.send({ type: "recall", messageId: sent.messageId });
    const group = await im.groups.create({ ownerId: "alice", name: "team", memberIds: ["bob"] });
    await im.groups.addMembers(group.groupId, "alice", ["carol"]);
    await im.groups.leave(group.groupId, "bob");
    await im.contacts.request("alice", "bob", "hi");

    const types = () => new Set(receiver.received.map((r) => r.event.type));
    await eventually(
      () =>
        expect([...types()].sort()).toEqual(
          [
            "contact.changed",
            "group.created",
            "group.member_joined",
            "group.member_left",
            "message.edited",
            "message.read",
            "message.recalled",
            "message.stored",
            "user.connected",
          ].sort(),
        ),
      { timeoutMs: 10_000 },
    );
    const byType = (type: string) =>
      receiver.received.filter((r) => r.event.type === type).map((r) => r.event);
    expect(byType("message.stored")[0]).toMatchObject({
      id: `message.stored:${sent.messageId}`,
      conversationId: sent.conversationId,
      data: { message: { messageId: sent.messageId, from: "alice", body: { text: "hi" } } },
    });
    expect(byType("message.edited")[0]!.data).toMatchObject({
      change: { kind: "edited", changeSeq: 1 },
    });
    // The sender's own read cursor moves on send too; bob's moves with his `read`.
    await eventually(() =>
      expect(byType("message.read").map((e) => e.data)).toContainEqual({
        userId: "bob",
        conversationId: sent.conversationId,
        seq: 1,
      }),
    );
    expect(byType("group.member_joined")[0]!.data).toEqual({
      groupId: group.groupId,
      userIds: ["carol"],
    });
    expect(byType("group.member_left")[0]!.data).toEqual({
      groupId: group.groupId,
      userIds: ["bob"],
    });
    expect(byType("contact.changed")[0]!.data).toMatchObject({
      change: "request_requested",
      userId: "alice",
      otherId: "bob",
    });
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    await eventually(async () =>
      expect((await im.storage.outbox.stats({ kinds: ["message", "change"] })).pending).toBe(0),
    );
  });

  it("a sink that fails leaves the outbox entry pending; the relay re-drives the event with its id", async () => {
    const recorded: WebhookEvent[] = [];
    // The fast path's record fails; the relay's re-drive records it. (A second failure would
    // wait for the relay's lease, as a failed markSent leaves the entry leased.)
    let failures = 1;
    const sink: WebhookEventSink = {
      async record(events) {
        if (failures > 0) {
          failures--;
          throw new Error("queue down");
        }
        recorded.push(...events);
      },
    };
    const { im, login } = engine(sink);
    await im.start();
    const alice = await login("alice");
    const bob = await login("bob");
    alice.send({
      type: "send",
      cid: "c1",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "hi" },
    });
    const sent = await alice.next<SentFrame>("sent");
    // The message itself was delivered at once: the webhook never holds the send back.
    await bob.next("message");
    await eventually(
      () => expect(recorded.map((e) => e.id)).toContain(`message.stored:${sent.messageId}`),
      {
        timeoutMs: 15_000,
      },
    );
    await eventually(async () => expect((await im.storage.outbox.stats()).pending).toBe(0), {
      timeoutMs: 15_000,
    });
  });
});
