/**
 * Issue 20: group and read webhook events survive a crash between the write and the
 * dispatch. Node A writes through a PostgreSQL store (its events land in the domain event
 * outbox in the write's own transaction) and dies before recording them (its sink fails, then
 * it is dropped without a flush; a second writer has no relay at all). Node B, a new store on
 * the same schema, relays them: each arrives at a local receiver, signed, with the id node A
 * would have used.
 */
import { directConversationId } from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { createPostgresStore } from "@lucky-im/store-postgres";
import {
  createMemoryWebhookQueue,
  createWebhookDispatcher,
  type WebhookEvent,
  withWebhookEvents,
} from "@lucky-im/webhooks";
import { startWebhookTestReceiver } from "@lucky-im/webhooks/testing";
import { afterAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../services.js";
import { dropSchema } from "./shared-services.js";

const postgres = await serviceUrl("postgres");
const secret = "whsec_domain_events_crash_secret";

describe.runIf(postgres)("webhook domain events across a crash (PostgreSQL)", () => {
  const schema = uniqueName("whde")
    .replace(/[^a-z0-9_]/gi, "_")
    .toLowerCase();
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await dropSchema(postgres!, schema);
  });

  it("group and read events written before a crash arrive from the next node, with the same ids", {
    timeout: 60_000,
  }, async () => {
    const open = () => createPostgresStore({ url: postgres!, schema, maxConnections: 2 });
    const wanted = (type: string) =>
      type === "message.read" || type.startsWith("group.") || type.startsWith("group_join.");

    // Node A: the sink "dies" on every record, so nothing leaves the domain event outbox.
    const offered: WebhookEvent[] = [];
    const storeA = await open();
    const nodeA = withWebhookEvents(
      storeA,
      {
        wants: wanted,
        async record(events) {
          offered.push(...events);
          throw new Error("node A crashed before recording");
        },
      },
      { relayLeaseMs: 100 },
    );
    const groupId = uniqueName("grp");
    const [owner, ann, bea] = [uniqueName("own"), uniqueName("ann"), uniqueName("bea")];
    await nodeA.groups.create({
      groupId,
      name: "g",
      ownerId: owner,
      memberIds: [ann],
      createdAt: 1,
    });
    await nodeA.groups.addMembers(groupId, [bea], 2);
    const conversationId = directConversationId(ann, bea);
    const { message } = await nodeA.messages.append({
      messageId: uniqueName("m"),
      conversationId,
      from: ann,
      to: { type: "user", id: bea },
      body: { type: "text", text: "hi" },
      cid: uniqueName("c"),
      ts: Date.now(),
      participants: [ann, bea],
    });
    expect(await nodeA.cursors.markRead(bea, conversationId, message.seq)).toBe(message.seq);
    // (Node A's relay tries again after each lease: the same events, the same ids.)
    const offeredById = () => new Map(offered.map((e) => [e.id, e]));
    await eventually(() =>
      expect([...offeredById().values()].map((e) => e.type).sort()).toEqual([
        "group.created",
        "group.member_joined",
        "message.read",
      ]),
    );
    // Dropped without a flush: the relay stops, the events stay in PostgreSQL.
    await nodeA.close();

    // A writer with no relay at all (recording on, nobody consuming), then dropped too.
    const storeC = await open();
    storeC.domainEvents!.enable(["group"]);
    await storeC.groups.update(groupId, { name: "renamed" });
    await storeC.close();

    // Node B: a new store on the same schema, a dispatcher and a receiver.
    const receiver = await startWebhookTestReceiver(secret);
    cleanups.push(() => receiver.kill());
    const dispatcher = createWebhookDispatcher({
      queue: createMemoryWebhookQueue(),
      endpoints: [
        {
          id: "crm",
          url: receiver.url,
          secret,
          events: ["message.read", "group.created", "group.member_joined", "group.changed"],
        },
      ],
      intervalMs: 20,
    });
    dispatcher.start();
    cleanups.push(() => dispatcher.stop());
    const nodeB = withWebhookEvents(await open(), dispatcher, { relayIntervalMs: 50 });
    cleanups.push(() => nodeB.close());

    const mine = () =>
      receiver.received
        .map((r) => r.event)
        .filter(
          (e) =>
            e.data.groupId === groupId ||
            (e.data.group as { groupId?: string })?.groupId === groupId ||
            e.conversationId === conversationId,
        );
    await eventually(() => expect(mine()).toHaveLength(4), { timeoutMs: 20_000 });
    const received = mine();
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    for (const event of offeredById().values()) {
      expect(
        received.find((e) => e.id === event.id),
        `${event.type} with node A's id`,
      ).toEqual(event);
    }
    expect(received.find((e) => e.type === "message.read")).toMatchObject({
      id: `message.read:${conversationId}:${bea}:${message.seq}`,
      data: { userId: bea, conversationId, seq: message.seq },
    });
    expect(received.find((e) => e.type === "group.member_joined")?.data).toEqual({
      groupId,
      userIds: [bea],
    });
    expect(received.find((e) => e.type === "group.changed")?.data).toEqual({
      groupId,
      change: "updated",
      patch: { name: "renamed" },
    });
    await eventually(async () => expect(await nodeB.domainEvents!.pending()).toBe(0));
  });
});
