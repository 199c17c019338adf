import { type AmqpBrokerOptions, amqpTopology, createAmqpBroker } from "@lucky-im/broker-amqp";
import type { Broker, ControlMessage, ImError } from "@lucky-im/core";
import { eventually, uniqueName } from "@lucky-im/core/testing";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { Admin, closeConnectionsNamed, envelope, markerOf } from "./helpers.js";

const url = await serviceUrl("amqp");

describe.runIf(url)("createAmqpBroker against RabbitMQ", () => {
  for (const queueType of ["classic", "quorum"] as const) {
    describe(`${queueType} queues`, () => {
      const prefix = uniqueName(`lim-amqp-${queueType}`);
      const topology = amqpTopology(prefix);
      const nodeIds = new Set<string>();
      const brokers: Broker[] = [];
      const errors: ImError[] = [];
      let admin: Admin;

      const makeBroker = (extra: Partial<AmqpBrokerOptions> = {}): Broker => {
        const broker = createAmqpBroker({
          url: url!,
          prefix,
          queueType,
          onError: (error) => errors.push(error),
          ...extra,
        });
        brokers.push(broker);
        return broker;
      };
      const newNode = (): string => {
        const nodeId = uniqueName("node");
        nodeIds.add(nodeId);
        return nodeId;
      };

      beforeAll(async () => {
        admin = await Admin.open(url!);
      });

      afterAll(async () => {
        await Promise.all(brokers.map((broker) => broker.close()));
        await admin.deleteTopology(prefix, nodeIds);
        await admin.close();
      });

      it("delivers pipelined publishes to the node's queue, in order", async () => {
        const publisher = makeBroker();
        const receiver = makeBroker();
        const node = newNode();
        const received: string[] = [];
        await receiver.subscribe(node, async (value) => {
          received.push(markerOf(value));
        });
        const expected = Array.from({ length: 500 }, (_, i) => `m${i}`);
        await Promise.all(expected.map((marker) => publisher.publish(node, envelope(marker))));
        await eventually(() => received.length >= expected.length, {
          message: "500 deliveries",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
        expect(received).toEqual(expected);
      });

      it("rejects a publish to a node without a queue, and only that publish", async () => {
        const publisher = makeBroker();
        const receiver = makeBroker();
        const live = newNode();
        const gone = uniqueName("gone");
        await receiver.subscribe(live, async () => {});
        const results = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) =>
            publisher.publish(i % 2 === 0 ? live : gone, envelope(`r${i}`)),
          ),
        );
        results.forEach((result, i) => {
          if (i % 2 === 0) expect(result.status).toBe("fulfilled");
          else {
            expect(result.status).toBe("rejected");
            const error = (result as PromiseRejectedResult).reason as ImError;
            expect(error.code).toBe("unavailable");
            expect(error.details).toEqual({ nodeId: gone });
          }
        });
      });

      it("broadcasts control messages to every node, the sender included", async () => {
        const a = makeBroker();
        const b = makeBroker();
        const nodeA = newNode();
        const nodeB = newNode();
        const seen: { at: string; from: string; message: ControlMessage }[] = [];
        await a.subscribeControl(nodeA, (message, from) => seen.push({ at: nodeA, from, message }));
        await b.subscribeControl(nodeB, (message, from) => seen.push({ at: nodeB, from, message }));
        await a.broadcast({ type: "group_changed", groupId: "g:1" });
        await eventually(() => seen.length >= 2, {
          message: "two control messages",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
        expect(seen.map((s) => s.at).sort()).toEqual([nodeA, nodeB].sort());
        for (const s of seen) {
          expect(s.from).toBe(nodeA);
          expect(s.message).toEqual({ type: "group_changed", groupId: "g:1" });
        }
      });

      it("dead-letters a message the handler keeps failing; those behind it are delivered", async () => {
        const publisher = makeBroker();
        const receiver = makeBroker({ prefetch: 1 });
        const node = newNode();
        const delivered: string[] = [];
        const poisonTries: boolean[] = [];
        await receiver.subscribe(node, async (value, info) => {
          const marker = markerOf(value);
          if (marker.startsWith("poison")) {
            poisonTries.push(info.redelivered);
            throw new Error("cannot handle this one");
          }
          delivered.push(marker);
        });
        const poison = `poison-${node}`;
        await publisher.publish(node, envelope(poison));
        const good = Array.from({ length: 20 }, (_, i) => `ok${i}`);
        for (const marker of good) await publisher.publish(node, envelope(marker));

        const dead: string[] = [];
        await eventually(
          async () => {
            for (const body of await admin.drain(topology.deadLetterQueue)) {
              dead.push(markerOf(JSON.parse(body.toString())));
            }
            return dead.includes(poison) && delivered.length >= good.length;
          },
          {
            message: "the poison message in the dead-letter queue and the rest delivered",
            timeoutMs: 20_000,
            intervalMs: 50,
          },
        );
        expect(delivered.sort()).toEqual([...good].sort());
        expect(poisonTries).toEqual([false, true, true, true, true]);
        expect(errors.some((e) => e.message.includes("dead-lettered"))).toBe(true);
      });

      it("redelivers a delivery whose handler never resolved", async () => {
        const publisher = makeBroker();
        const first = makeBroker();
        const node = newNode();
        let seenByFirst = false;
        await first.subscribe(node, () => {
          seenByFirst = true;
          return new Promise<void>(() => {}); // never resolves
        });
        await publisher.publish(node, envelope("stuck"));
        await eventually(() => seenByFirst, {
          message: "the first delivery",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
        await first.close();

        const second = makeBroker();
        const seen: { marker: string; redelivered: boolean }[] = [];
        await second.subscribe(node, async (value, info) => {
          seen.push({ marker: markerOf(value), redelivered: info.redelivered });
        });
        await eventually(() => seen.length > 0, {
          message: "the redelivery",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
        expect(seen).toEqual([{ marker: "stuck", redelivered: true }]);
      });

      it("reconnects and resumes publishing and consuming after the server closed its connection", async () => {
        const connectionName = uniqueName("lim-amqp-conn");
        const broker = makeBroker({ connectionName, reconnectInitialDelayMs: 1_500 });
        const other = makeBroker();
        const node = newNode();
        const received: string[] = [];
        const controls: ControlMessage[] = [];
        await broker.subscribe(node, async (value) => {
          received.push(markerOf(value));
        });
        await broker.subscribeControl(node, (message) => controls.push(message));
        await other.publish(node, envelope("before"));
        await eventually(() => received.includes("before"), {
          message: "the delivery before the cut",
          timeoutMs: 20_000,
          intervalMs: 50,
        });

        const lostBefore = errors.filter((e) => e.message.includes("lost the connection")).length;
        expect(await closeConnectionsNamed(connectionName)).toBe(1);
        await eventually(
          () => errors.filter((e) => e.message.includes("lost the connection")).length > lostBefore,
          { message: "the loss to be reported", timeoutMs: 20_000, intervalMs: 50 },
        );
        // During the outage a publish fails at once instead of waiting in memory.
        await expect(broker.publish(node, envelope("during"))).rejects.toMatchObject({
          code: "unavailable",
        });

        await eventually(() => broker.ping(), {
          message: "the broker to reconnect",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
        await other.publish(node, envelope("after-from-other"));
        await broker.publish(node, envelope("after-from-self"));
        await eventually(
          () => received.includes("after-from-other") && received.includes("after-from-self"),
          { message: "deliveries after the reconnect", timeoutMs: 20_000, intervalMs: 50 },
        );
        await other.broadcast({ type: "custom", name: "after", data: 1 });
        await eventually(() => controls.length > 0, {
          message: "a control message after the reconnect",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
        expect(controls).toEqual([{ type: "custom", name: "after", data: 1 }]);
      });

      it("lets RabbitMQ delete a queue nobody consumes any more (x-expires)", async () => {
        const broker = makeBroker({ queueExpiresMs: 1_000 });
        const node = newNode();
        await broker.subscribe(node, async () => {});
        expect(await admin.queueExists(topology.nodeQueue(node))).toBe(true);
        await broker.close();
        await eventually(async () => !(await admin.queueExists(topology.nodeQueue(node))), {
          message: "expiry",
          timeoutMs: 20_000,
          intervalMs: 50,
        });
      });
    });
  }

  describe("lifecycle", () => {
    it("rejects quickly with unavailable while RabbitMQ cannot be reached", async () => {
      const errors: ImError[] = [];
      const broker = createAmqpBroker({
        url: "amqp://guest:guest@127.0.0.1:1",
        prefix: uniqueName("lim-amqp-none"),
        reconnectInitialDelayMs: 60_000,
        onError: (error) => errors.push(error),
      });
      expect(await broker.ping()).toBe(false);
      await expect(broker.publish("n", envelope("x"))).rejects.toMatchObject({
        code: "unavailable",
      });
      await expect(broker.subscribe("n", async () => {})).rejects.toMatchObject({
        code: "unavailable",
      });
      expect(errors[0]?.code).toBe("unavailable");
      expect(errors[0]?.message).toContain("could not connect");
      await broker.close();
    });

    it("uses a connection passed in and leaves it open on close", async () => {
      const prefix = uniqueName("lim-amqp-own");
      const connection = await connect(url!);
      const broker = createAmqpBroker({ connection, prefix });
      const received: string[] = [];
      await broker.subscribe("own-node", async (value) => {
        received.push(markerOf(value));
      });
      await broker.publish("own-node", envelope("own"));
      await eventually(() => received.includes("own"), {
        message: "the delivery",
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      await broker.close();
      const channel = await connection.createChannel(); // still open
      await channel.close();
      const admin = await Admin.open(url!);
      await admin.deleteTopology(prefix, ["own-node"]);
      await admin.close();
      await connection.close();
    });

    it("reconnects through a connection factory", async () => {
      const prefix = uniqueName("lim-amqp-factory");
      const connectionName = uniqueName("lim-amqp-factory-conn");
      let opened = 0;
      const broker = createAmqpBroker({
        prefix,
        onError: () => {},
        connection: () => {
          opened++;
          return connect(url!, { clientProperties: { connection_name: connectionName } });
        },
      });
      const received: string[] = [];
      await broker.subscribe("factory-node", async (value) => {
        received.push(markerOf(value));
      });
      expect(await closeConnectionsNamed(connectionName)).toBe(1);
      await eventually(async () => opened === 2 && (await broker.ping()), {
        message: "the reconnect",
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      await broker.publish("factory-node", envelope("after"));
      await eventually(() => received.includes("after"), {
        message: "the delivery after the reconnect",
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      await broker.close();
      const admin = await Admin.open(url!);
      await admin.deleteTopology(prefix, ["factory-node"]);
      await admin.close();
    });

    it("closes idempotently; calls after close reject", async () => {
      const prefix = uniqueName("lim-amqp-close");
      const broker = createAmqpBroker({ url: url!, prefix });
      expect(await broker.ping()).toBe(true);
      await Promise.all([broker.close(), broker.close()]);
      await broker.close();
      expect(await broker.ping()).toBe(false);
      await expect(broker.publish("n", envelope("x"))).rejects.toMatchObject({
        code: "unavailable",
      });
      const admin = await Admin.open(url!);
      await admin.deleteTopology(prefix, []);
      await admin.close();
    });
  });
});
