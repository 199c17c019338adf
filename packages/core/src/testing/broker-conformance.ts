import { afterAll, describe, expect, it } from "vitest";
import type { Broker, DeliveryInfo } from "../contracts/broker.js";
import { directConversationId } from "../domain/conversation.js";
import type { ControlMessage, Envelope } from "../domain/envelope.js";
import { newMessageId } from "../util/ids.js";
import { expectUnavailableAfterClose } from "./after-close.js";
import { eventually } from "./eventually.js";
import { expectImError, settle, uid } from "./fixtures.js";
import type { SuiteOptions } from "./suite-options.js";

interface Delivery {
  envelope: Envelope;
  info: DeliveryInfo;
}

/** A small envelope carrying a number, to check order and completeness. */
function numbered(n: number, tag: string): Envelope {
  return { kind: "frame", frame: { type: "pong", ts: n }, userIds: [tag] };
}

function numberOf(delivery: Delivery): number {
  const { envelope } = delivery;
  return envelope.kind === "frame" && envelope.frame.type === "pong"
    ? (envelope.frame.ts ?? -1)
    : -1;
}

/**
 * The conformance suite of the {@link Broker} contract. Every broker adapter
 * runs it against its real broker.
 *
 * Every `create()` MUST return a new broker instance on the same backend:
 * two instances are two nodes. Each test uses fresh node ids; `destroy` (or
 * `close`) runs for every instance after the last test and should delete the
 * queues and exchanges the instance declared.
 *
 * @example
 * ```ts
 * brokerConformance({
 *   name: "amqp",
 *   create: async () => createAmqpBroker({ url, prefix }),
 *   destroy: async (broker) => broker.close(),
 * });
 * ```
 */
export function brokerConformance(options: SuiteOptions<Broker>): void {
  describe(`${options.name} broker conformance`, () => {
    const instances: Broker[] = [];

    const open = async (): Promise<Broker> => {
      const instance = await options.create();
      instances.push(instance);
      return instance;
    };

    /** A new broker consuming a fresh node id into an array. */
    async function consumer(
      handle?: (delivery: Delivery, count: number) => void,
    ): Promise<{ broker: Broker; nodeId: string; received: Delivery[] }> {
      const broker = await open();
      const nodeId = uid("node");
      const received: Delivery[] = [];
      await broker.subscribe(nodeId, async (envelope, info) => {
        received.push({ envelope, info });
        handle?.({ envelope, info }, received.length);
      });
      return { broker, nodeId, received };
    }

    afterAll(async () => {
      for (const instance of instances.splice(0)) {
        if (options.destroy) await options.destroy(instance);
        else await instance.close();
      }
    });

    it("publish to a subscribed node delivers the envelope intact, to that node only", async () => {
      const a = await consumer();
      const b = await consumer();
      const [alice, bob] = [uid("alice"), uid("bob")];
      const envelope: Envelope = {
        kind: "message",
        message: {
          messageId: newMessageId(),
          conversationId: directConversationId(alice, bob),
          seq: 7,
          from: alice,
          to: { type: "user", id: bob },
          body: {
            type: "custom",
            data: { text: 'héllo "wörld" 👩‍👩‍👧 \u200F', n: [1, 2.5, null], ok: true },
          },
          cid: uid("cid"),
          ts: Date.now(),
        },
        userIds: [alice, bob],
        exceptSessionId: uid("s"),
      };
      await a.broker.publish(b.nodeId, envelope);
      const toA = numbered(1, uid("tag"));
      await b.broker.publish(a.nodeId, toA);
      await eventually(() => expect(b.received, "deliveries to node B").toHaveLength(1), {
        message: "the envelope to reach node B",
      });
      await eventually(() => expect(a.received, "deliveries to node A").toHaveLength(1), {
        message: "the envelope to reach node A",
      });
      expect(b.received[0]?.envelope, "the envelope node B received").toEqual(envelope);
      expect(b.received[0]?.info.redelivered, "a first delivery is not redelivered").toBe(false);
      expect(a.received[0]?.envelope, "node A receives only what was published to it").toEqual(toA);
      await settle(200);
      expect(b.received, "node B must not get extra deliveries").toHaveLength(1);
      expect(a.received, "node A must not get extra deliveries").toHaveLength(1);
    });

    it("publish resolves only once the broker accepted the envelope: it arrives even if the publisher closes right after", async () => {
      const b = await consumer();
      const publisher = await open();
      const tag = uid("tag");
      await publisher.publish(b.nodeId, numbered(42, tag));
      await publisher.close();
      await eventually(
        () =>
          expect(b.received.map(numberOf), "deliveries after the publisher closed").toEqual([42]),
        { message: "an accepted envelope to be delivered" },
      );
    });

    it("publish to a node nobody subscribed rejects with code unavailable", async () => {
      const publisher = await open();
      await expectImError(
        publisher.publish(uid("nobody"), numbered(1, uid("tag"))),
        "unavailable",
        "publish() to a node id no broker subscribed",
      );
    });

    it("a delivery whose handler rejects once is redelivered with redelivered:true, then acked", async () => {
      const tag = uid("tag");
      const b = await consumer((_delivery, count) => {
        if (count === 1) throw new Error("the first delivery fails on purpose");
      });
      const publisher = await open();
      await publisher.publish(b.nodeId, numbered(1, tag));
      await eventually(
        () => expect(b.received.length, "deliveries so far").toBeGreaterThanOrEqual(2),
        {
          timeoutMs: 20_000,
          message: "the rejected envelope to be redelivered",
        },
      );
      expect(b.received[1]?.info.redelivered, "the second delivery's redelivered flag").toBe(true);
      expect(b.received[1]?.envelope, "the redelivered envelope").toEqual(numbered(1, tag));
      // A later envelope getting through, and a short settle, show the redelivery was acked.
      await publisher.publish(b.nodeId, numbered(2, tag));
      await eventually(() => expect(b.received.map(numberOf)).toContain(2), {
        message: "a later envelope to be delivered",
      });
      await settle(300);
      expect(
        b.received.filter((d) => numberOf(d) === 1).length,
        "an acked redelivery must not be delivered a third time",
      ).toBe(2);
    });

    it("sequential publishes to one node arrive in order", async () => {
      const b = await consumer();
      const publisher = await open();
      const tag = uid("tag");
      for (let i = 0; i < 50; i++) await publisher.publish(b.nodeId, numbered(i, tag));
      await eventually(() => expect(b.received).toHaveLength(50), {
        timeoutMs: 20_000,
        message: "50 sequential publishes to arrive",
      });
      expect(b.received.map(numberOf), "delivery order").toEqual(
        Array.from({ length: 50 }, (_, i) => i),
      );
    });

    it("100 pipelined publishes all resolve and are all delivered", async () => {
      const b = await consumer();
      const publisher = await open();
      const tag = uid("tag");
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => publisher.publish(b.nodeId, numbered(i, tag))),
      );
      await eventually(
        () => {
          const missing = Array.from({ length: 100 }, (_, i) => i).filter(
            (i) => !b.received.some((d) => numberOf(d) === i),
          );
          expect(missing, "envelopes not delivered yet").toEqual([]);
        },
        { timeoutMs: 20_000, message: "100 pipelined publishes to arrive" },
      );
      const firstDeliveries = b.received.filter((d) => !d.info.redelivered);
      expect(firstDeliveries, "first deliveries (no duplicates)").toHaveLength(100);
    });

    it("broadcast reaches the control handler of every node, the sender's included", async () => {
      const a = await open();
      const b = await open();
      const [nodeA, nodeB] = [uid("node"), uid("node")];
      const name = uid("custom");
      const gotA: Array<[ControlMessage, string]> = [];
      const gotB: Array<[ControlMessage, string]> = [];
      const mine = (message: ControlMessage) => message.type === "custom" && message.name === name;
      await a.subscribeControl(nodeA, (message, from) => {
        if (mine(message)) gotA.push([message, from]);
      });
      await b.subscribeControl(nodeB, (message, from) => {
        if (mine(message)) gotB.push([message, from]);
      });
      const message: ControlMessage = { type: "custom", name, data: { text: "à tous 📣", n: 1 } };
      await a.broadcast(message);
      await eventually(
        () => {
          expect(gotA, "control messages at the sender's node").toHaveLength(1);
          expect(gotB, "control messages at the other node").toHaveLength(1);
        },
        { timeoutMs: 15_000, message: "the broadcast to reach both nodes" },
      );
      expect(gotB[0], "what node B received").toEqual([message, nodeA]);
      expect(gotA[0], "what node A received").toEqual([message, nodeA]);
    });

    it("ping answers true; close is idempotent", async () => {
      const broker = await open();
      expect(await broker.ping(), "ping() of an open broker").toBe(true);
      await broker.close();
      await broker.close();
    });

    it("close twice at once is fine; calls after close reject with unavailable", async () => {
      const broker = await open();
      await Promise.all([broker.close(), broker.close()]);
      await expectUnavailableAfterClose({
        publish: () => broker.publish(uid("node"), numbered(1, uid("tag"))),
        broadcast: () => broker.broadcast({ type: "group_changed", groupId: uid("group") }),
        subscribe: () => broker.subscribe(uid("node"), async () => {}),
        subscribeControl: () => broker.subscribeControl(uid("node"), () => {}),
      });
      expect(await broker.ping(), "ping() after close").toBe(false);
    });
  });
}
