// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). It imports and type-checks the
// entry points without connecting: the check needs no RabbitMQ.
import {
  type AmqpBrokerOptions,
  type AmqpTopology,
  amqpTopology,
  createAmqpBroker,
} from "@lucky-im/broker-amqp";
import type { Broker } from "@lucky-im/core";

const options: AmqpBrokerOptions = { url: "amqp://guest:guest@127.0.0.1:5672" };
const open: (o: AmqpBrokerOptions) => Broker = createAmqpBroker;
const topology: AmqpTopology = amqpTopology("consumer");

if (typeof open !== "function" || options.url === undefined)
  throw new Error("entry points missing");
if (JSON.stringify(topology).length === 0) throw new Error("no topology");
console.log("@lucky-im/broker-amqp ok");
