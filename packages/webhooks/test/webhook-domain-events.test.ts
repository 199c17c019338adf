import {
  createImServer,
  createMemoryStorage,
  createMemoryStorageBackend,
  createMemoryTransport,
  type DomainEventKind,
  directConversationId,
  type ImServer,
  inviteLinkId,
  type Storage,
} from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMemoryWebhookQueue,
  createWebhookDispatcher,
  type WebhookEndpoint,
  type WebhookEvent,
  type WebhookEventSink,
  withWebhookEvents,
} from "../src/index.js";
import { startWebhookTestReceiver } from "../src/testing/index.js";

const secret = "whsec_domain_events_test_secret";
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function engine(storage: Storage): ImServer {
  const im = createImServer({
    transport: createMemoryTransport(),
    storage,
    logger: { info() {}, warn() {}, error() {} },
    authenticator: {
      async authenticate(token) {
        return { userId: token, claims: { sub: token } };
      },
    },
  });
  cleanups.push(() => im.close());
  return im;
}

async function receiverFor(events: WebhookEndpoint["events"]) {
  const receiver = await startWebhookTestReceiver(secret);
  cleanups.push(() => receiver.kill());
  const dispatcher = createWebhookDispatcher({
    queue: createMemoryWebhookQueue(),
    endpoints: [{ id: "ep", url: receiver.url, secret, events }],
    intervalMs: 20,
  });
  dispatcher.start();
  cleanups.push(() => dispatcher.stop());
  return { receiver, dispatcher };
}

describe("group-join events", () => {
  it("requested, approved, declined, invited and joined by link arrive with their payloads", async () => {
    const { receiver, dispatcher } = await receiverFor([
      "group_join.requested",
      "group_join.approved",
      "group_join.declined",
      "group_join.invited",
      "group_join.joined_by_link",
      "group.member_joined",
    ]);
    // group.created is not listed: the one node drops it at once rather than leave it to others.
    const storage = withWebhookEvents(createMemoryStorage(), dispatcher, {
      relayUnwantedGraceMs: 0,
    });
    const im = engine(storage);
    await im.start();
    const group = await im.groups.create({ ownerId: "olga", name: "club", memberIds: [] });
    await im.groups.updateJoinSettings(group.groupId, "olga", { joinMode: "approval" });
    const asked = await im.groups.requestJoin(group.groupId, "amy", "please");
    const refused = await im.groups.requestJoin(group.groupId, "rob", "me too");
    await im.groups.approveRequest(asked.ticketId, "olga");
    await im.groups.declineRequest(refused.ticketId, "olga");
    const invitation = await im.groups.invite(group.groupId, "olga", "ivy", "come");
    await im.groups.acceptInvitation(invitation.ticketId, "ivy");
    const link = await im.groups.createInviteLink(group.groupId, "olga");
    await im.groups.joinByLink(link.code, "lin");

    await eventually(() => expect(receiver.received.length).toBeGreaterThanOrEqual(10));
    const events = receiver.received.map((r) => r.event);
    // Several workers post at once and the order of events is not kept (documented), so each
    // type's events are compared by the user they are about.
    const userOf = (e: (typeof events)[number]) => {
      const data = e.data as { userId?: string; userIds?: string[] };
      return data.userId ?? data.userIds?.[0] ?? "";
    };
    const of = (type: string) =>
      events.filter((e) => e.type === type).sort((a, b) => userOf(a).localeCompare(userOf(b)));
    const conversationId = `g:${group.groupId}`;
    for (const event of events) {
      expect(event.conversationId).toBe(conversationId);
      expect(event.id.startsWith(`${event.type}:`)).toBe(true);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(of("group_join.requested").map((e) => e.data)).toEqual([
      {
        groupId: group.groupId,
        ticketId: asked.ticketId,
        kind: "request",
        userId: "amy",
        by: "amy",
        message: "please",
        expiresAt: asked.expiresAt,
      },
      {
        groupId: group.groupId,
        ticketId: refused.ticketId,
        kind: "request",
        userId: "rob",
        by: "rob",
        message: "me too",
        expiresAt: refused.expiresAt,
      },
    ]);
    expect(of("group_join.invited").map((e) => e.data)).toEqual([
      {
        groupId: group.groupId,
        ticketId: invitation.ticketId,
        kind: "invitation",
        userId: "ivy",
        by: "olga",
        message: "come",
        expiresAt: invitation.expiresAt,
      },
    ]);
    expect(of("group_join.approved").map((e) => e.data)).toEqual([
      {
        groupId: group.groupId,
        ticketId: asked.ticketId,
        userId: "amy",
        decidedBy: "olga",
        joined: true,
      },
      {
        groupId: group.groupId,
        ticketId: invitation.ticketId,
        userId: "ivy",
        decidedBy: "ivy",
        joined: true,
      },
    ]);
    expect(of("group_join.declined").map((e) => e.data)).toEqual([
      {
        groupId: group.groupId,
        ticketId: refused.ticketId,
        kind: "request",
        userId: "rob",
        by: "rob",
        decidedBy: "olga",
      },
    ]);
    expect(of("group_join.joined_by_link").map((e) => e.data)).toEqual([
      { groupId: group.groupId, linkId: inviteLinkId(link.code), userId: "lin" },
    ]);
    expect(of("group.member_joined").map((e) => e.data)).toEqual([
      { groupId: group.groupId, userIds: ["amy"], via: "ticket" },
      { groupId: group.groupId, userIds: ["ivy"], via: "ticket" },
      { groupId: group.groupId, userIds: ["lin"], via: "link" },
    ]);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    await eventually(async () => expect(await storage.domainEvents!.pending()).toBe(0));
  });
});

describe("read events are opt-in", () => {
  it('"*" does not take message.read: the storage records no read event at all', async () => {
    const { dispatcher } = await receiverFor("*");
    const storage = withWebhookEvents(createMemoryStorage(), dispatcher);
    cleanups.push(() => storage.close());
    expect(storage.domainEvents!.enabledKinds().sort()).toEqual(["contact", "group", "group_join"]);
    const draft = {
      messageId: "m1",
      conversationId: directConversationId("a", "b"),
      from: "a",
      to: { type: "user" as const, id: "b" },
      body: { type: "text" as const, text: "hi" },
      cid: "c1",
      ts: Date.now(),
      participants: ["a", "b"],
    };
    await storage.messages.append(draft);
    expect(await storage.cursors.markRead("b", draft.conversationId, 1)).toBe(1);
    expect(await storage.domainEvents!.pending()).toBe(0);
  });

  it("an endpoint that lists message.read gets each read (coalesced per user and conversation)", async () => {
    const recorded: WebhookEvent[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Holds the first relay step: the reads made meanwhile wait as one pending event.
    const sink: WebhookEventSink = {
      wants: (type) => type === "message.read",
      async record(events) {
        await gate;
        recorded.push(...events);
      },
    };
    const inner = createMemoryStorage();
    const storage = withWebhookEvents(inner, sink);
    cleanups.push(() => storage.close());
    expect(storage.domainEvents!.enabledKinds()).toEqual(["read"]);
    const conversationId = directConversationId("a", "b");
    for (let i = 1; i <= 4; i++) {
      await storage.messages.append({
        messageId: `m${i}`,
        conversationId,
        from: "a",
        to: { type: "user", id: "b" },
        body: { type: "text", text: "hi" },
        cid: `c${i}`,
        ts: Date.now(),
        participants: ["a", "b"],
      });
    }
    await storage.cursors.markRead("b", conversationId, 1); // claimed at once, held by the gate
    await eventually(async () => expect(await storage.domainEvents!.pending()).toBe(1));
    await storage.cursors.markRead("b", conversationId, 2);
    await storage.cursors.markRead("b", conversationId, 3);
    await storage.cursors.markRead("b", conversationId, 4);
    release();
    await eventually(async () => expect(await storage.domainEvents!.pending()).toBe(0));
    const reads = recorded.filter((e) => e.data.userId === "b");
    expect(reads.map((e) => e.data.seq)).toEqual([1, 4]);
    expect(reads.map((e) => e.id)).toEqual([
      `message.read:${conversationId}:b:1`,
      `message.read:${conversationId}:b:4`,
    ]);
  });
});

describe("a cluster whose nodes want different events", () => {
  /** A sink that keeps what it records and wants what `wants` says. */
  function sinkWanting(wants: (type: WebhookEvent["type"]) => boolean) {
    const recorded: WebhookEvent[] = [];
    const sink: WebhookEventSink = {
      wants,
      async record(events) {
        recorded.push(...events);
      },
    };
    return { sink, recorded };
  }

  /** A node over the shared backend whose writes record `kinds`, without a relay. */
  function writer(
    backend: ReturnType<typeof createMemoryStorageBackend>,
    kinds: DomainEventKind[],
  ) {
    const storage = createMemoryStorage({ backend });
    storage.domainEvents!.enable(kinds);
    return storage;
  }

  it("a node that does not read a kind leaves its events to the node that does", async () => {
    const backend = createMemoryStorageBackend();
    const conversationId = directConversationId("a", "b");
    const write = writer(backend, ["read", "group"]);
    await write.messages.append({
      messageId: "m1",
      conversationId,
      from: "a",
      to: { type: "user", id: "b" },
      body: { type: "text", text: "hi" },
      cid: "c1",
      ts: Date.now(),
      participants: ["a", "b"],
    });
    await write.cursors.markRead("b", conversationId, 1);
    await write.groups.create({
      groupId: "g1",
      name: "g",
      ownerId: "a",
      memberIds: [],
      createdAt: 1,
    });
    // B starts first: it claims before A, and reads no message.read.
    const b = sinkWanting((type) => type !== "message.read");
    const nodeB = withWebhookEvents(createMemoryStorage({ backend }), b.sink, {
      relayIntervalMs: 10,
    });
    cleanups.push(() => nodeB.close());
    await eventually(() => expect(b.recorded.map((e) => e.type)).toEqual(["group.created"]));
    const a = sinkWanting((type) => type === "message.read");
    const nodeA = withWebhookEvents(createMemoryStorage({ backend }), a.sink, {
      relayIntervalMs: 10,
    });
    cleanups.push(() => nodeA.close());
    await eventually(() => expect(a.recorded.map((e) => e.type)).toEqual(["message.read"]));
    await eventually(async () => expect(await nodeA.domainEvents!.pending()).toBe(0));
    expect(b.recorded.map((e) => e.type)).toEqual(["group.created"]);
  });

  it("an event of a type this node does not want is left, past its lease, to a node that wants it", async () => {
    const backend = createMemoryStorageBackend();
    const write = writer(backend, ["group"]);
    await write.groups.create({
      groupId: "g1",
      name: "g",
      ownerId: "a",
      memberIds: [],
      createdAt: 1,
    });
    await write.groups.update("g1", { name: "h" });
    // Both read the group kind; A wants only group.created, B only group.changed.
    const a = sinkWanting((type) => type === "group.created");
    const nodeA = withWebhookEvents(createMemoryStorage({ backend }), a.sink, {
      relayIntervalMs: 10,
      relayLeaseMs: 30,
    });
    cleanups.push(() => nodeA.close());
    await eventually(() => expect(a.recorded.map((e) => e.type)).toEqual(["group.created"]));
    const b = sinkWanting((type) => type === "group.changed");
    const nodeB = withWebhookEvents(createMemoryStorage({ backend }), b.sink, {
      relayIntervalMs: 10,
      relayLeaseMs: 30,
    });
    cleanups.push(() => nodeB.close());
    await eventually(() => expect(b.recorded.map((e) => e.type)).toEqual(["group.changed"]));
    await eventually(async () => expect(await nodeA.domainEvents!.pending()).toBe(0));
    expect(a.recorded.map((e) => e.type)).toEqual(["group.created"]);
  });

  it("an event no node wants is dropped once older than relayUnwantedGraceMs", async () => {
    const backend = createMemoryStorageBackend();
    const write = writer(backend, ["group"]);
    await write.groups.create({
      groupId: "g1",
      name: "g",
      ownerId: "a",
      memberIds: [],
      createdAt: 1,
    });
    await write.groups.update("g1", { name: "h" });
    const a = sinkWanting((type) => type === "group.created");
    const nodeA = withWebhookEvents(createMemoryStorage({ backend }), a.sink, {
      relayIntervalMs: 10,
      relayLeaseMs: 20,
      relayUnwantedGraceMs: 50,
    });
    cleanups.push(() => nodeA.close());
    await eventually(async () => expect(await nodeA.domainEvents!.pending()).toBe(0));
    expect(a.recorded.map((e) => e.type)).toEqual(["group.created"]);
  });
});
