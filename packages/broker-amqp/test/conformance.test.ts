import { createAmqpBroker } from "@lucky-im/broker-amqp";
import type { Broker, ImError } from "@lucky-im/core";
import { brokerConformance, uniqueName } from "@lucky-im/core/testing";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import { Admin } from "./helpers.js";

const url = await serviceUrl("amqp");

describe.runIf(url)("AMQP broker", () => {
  for (const queueType of ["classic", "quorum"] as const) {
    describe(`${queueType} queues`, () => {
      const prefix = uniqueName(`lim-amqp-conf-${queueType}`);
      const nodeIds = new Set<string>();
      const errors: ImError[] = [];
      let admin: Admin;

      beforeAll(async () => {
        admin = await Admin.open(url!);
      });

      afterAll(async () => {
        // Runs after the suite's own afterAll closed every instance.
        await admin.deleteTopology(prefix, nodeIds);
        await admin.close();
        // Handler failures are reported on purpose by one test; nothing else may go wrong.
        expect(errors.filter((e) => !e.message.includes("delivery handler failed"))).toEqual([]);
      });

      brokerConformance({
        name: `amqp (${queueType})`,
        create: async () => {
          const broker = createAmqpBroker({
            url: url!,
            prefix,
            queueType,
            onError: (error) => errors.push(error),
          });
          // Record the node ids the suite picks, to delete their queues afterwards.
          return {
            publish: (nodeId, envelope) => broker.publish(nodeId, envelope),
            subscribe: (nodeId, handler) => {
              nodeIds.add(nodeId);
              return broker.subscribe(nodeId, handler);
            },
            broadcast: (message) => broker.broadcast(message),
            subscribeControl: (nodeId, handler) => broker.subscribeControl(nodeId, handler),
            ping: () => broker.ping(),
            close: () => broker.close(),
          } satisfies Broker;
        },
      });
    });
  }
});
