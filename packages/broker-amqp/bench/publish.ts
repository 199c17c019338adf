/**
 * Confirmed publishes through the adapter beside plain amqplib on a confirm
 * channel, same RabbitMQ, same run: throughput and confirm latency, one at a
 * time and pipelined, for classic and quorum queues. Figures, not a test.
 *
 *   npx tsx packages/broker-amqp/bench/publish.ts
 *
 * Env: LUCKY_IM_TEST_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672),
 * BENCH_SEQUENTIAL (default 1000), BENCH_PIPELINED (default 20000),
 * BENCH_WINDOW (default 1000).
 */
import { randomBytes } from "node:crypto";
import type { Envelope } from "@lucky-im/core";
import { connect } from "amqplib";
import { amqpTopology, createAmqpBroker } from "../src/index.js";

const url = process.env.LUCKY_IM_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const sequential = Number(process.env.BENCH_SEQUENTIAL ?? 1_000);
const pipelined = Number(process.env.BENCH_PIPELINED ?? 20_000);
const window = Number(process.env.BENCH_WINDOW ?? 1_000);

const envelope: Envelope = {
  kind: "kick",
  userId: "u_0190f3c2a1b27c4e8d5f6a7b8c9d0e1f",
  code: 4001,
  reason: "bench: a payload about the size of a short chat message push",
};

interface Row {
  queue: string;
  client: string;
  mode: string;
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `total` calls of `once` with at most `inFlight` outstanding; returns latencies in ms. */
async function measure(
  total: number,
  inFlight: number,
  once: () => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let started = 0;
  const begin = performance.now();
  const lane = async () => {
    while (started < total) {
      started++;
      const t0 = performance.now();
      await once();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
  return { latencies, seconds: (performance.now() - begin) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function benchQueueType(queueType: "classic" | "quorum", rows: Row[]): Promise<void> {
  const prefix = `lim-bench-${queueType}-${randomBytes(4).toString("hex")}`;
  const topology = amqpTopology(prefix);
  const nodeId = "bench-node";
  const onError = (error: Error) => console.error(error.message);
  // The consuming node keeps the queue short, as in production.
  const consumer = createAmqpBroker({ url, prefix, queueType, onError });
  await consumer.subscribe(nodeId, async () => {});
  const publisher = createAmqpBroker({ url, prefix, queueType, onError });

  const plainConnection = await connect(url);
  const plain = await plainConnection.createConfirmChannel();
  const plainPublish = () =>
    new Promise<void>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify(envelope));
      plain.publish(
        topology.deliveryExchange,
        nodeId,
        body,
        { persistent: true, mandatory: true, contentType: "application/json" },
        (error: unknown) => (error ? reject(error) : resolve()),
      );
    });
  const adapterPublish = () => publisher.publish(nodeId, envelope);

  // Warm up both paths (JIT, channel setup, queue process).
  await measure(500, 100, adapterPublish);
  await measure(500, 100, plainPublish);

  const runs: [string, string, number, number, () => Promise<void>][] = [
    ["amqplib", "one at a time", sequential, 1, plainPublish],
    ["adapter", "one at a time", sequential, 1, adapterPublish],
    ["amqplib", `pipelined ${window}`, pipelined, window, plainPublish],
    ["adapter", `pipelined ${window}`, pipelined, window, adapterPublish],
  ];
  for (const [client, mode, count, inFlight, once] of runs) {
    const { latencies, seconds } = await measure(count, inFlight, once);
    latencies.sort((a, b) => a - b);
    rows.push({
      queue: queueType,
      client,
      mode,
      count,
      perSecond: count / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    });
  }

  await publisher.close();
  await consumer.close();
  await plain.deleteQueue(topology.nodeQueue(nodeId));
  await plain.deleteQueue(topology.deadLetterQueue);
  for (const exchange of [
    topology.deliveryExchange,
    topology.deadLetterExchange,
    topology.controlExchange,
  ]) {
    await plain.deleteExchange(exchange);
  }
  await plainConnection.close();
}

const rows: Row[] = [];
await benchQueueType("classic", rows);
await benchQueueType("quorum", rows);

const header = ["queue", "client", "mode", "msgs", "msg/s", "p50 ms", "p99 ms"];
const table = rows.map((r) => [
  r.queue,
  r.client,
  r.mode,
  String(r.count),
  r.perSecond.toFixed(0),
  r.p50.toFixed(2),
  r.p99.toFixed(2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table) console.log(line(row));
