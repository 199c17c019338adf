/**
 * The per-call cost of the adapter runtime wrapper (`withBrokerRuntime` and
 * friends) on the send path: a broker whose `publish` does nothing, called
 * directly, through the wrapper, and through a Proxy doing the same check (the
 * design the wrapper avoids). Rounds are interleaved and the median is printed,
 * in nanoseconds per awaited call.
 *
 *   npx tsx packages/core/bench/adapter-runtime.ts [calls=2000000] [rounds=7]
 */
import type { Broker } from "../src/contracts/broker.js";
import type { Envelope } from "../src/domain/envelope.js";
import { ImError } from "../src/errors.js";
import { withBrokerRuntime } from "../src/runtime/broker-runtime.js";

const calls = Number(process.argv[2] ?? 2_000_000);
const rounds = Number(process.argv[3] ?? 7);
const envelope: Envelope = { kind: "kick", userId: "u", code: 4001, reason: "bench" };

/** A broker whose publish costs as little as a method can: the wrapper's cost stands out. */
function noopBroker(): Broker {
  let published = 0;
  return {
    async publish() {
      published += 1;
    },
    async subscribe() {},
    async broadcast() {},
    async subscribeControl() {},
    async ping() {
      return published >= 0;
    },
    async close() {},
  };
}

/** The same guard as the runtime's, as a Proxy `get` trap. */
function proxyBroker(target: Broker): Broker {
  let closed = false;
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (key === "close") {
        return () => {
          closed = true;
          return object.close();
        };
      }
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        closed
          ? Promise.reject(new ImError("unavailable", "closed"))
          : Reflect.apply(value, object, args);
    },
  });
}

async function nsPerCall(broker: Broker): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await broker.publish("n1", envelope);
  return Number(process.hrtime.bigint() - start) / calls;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const variants: [string, Broker][] = [
  ["direct", noopBroker()],
  ["runtime wrapper", withBrokerRuntime(noopBroker())],
  ["proxy", proxyBroker(noopBroker())],
];
const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (const [, broker] of variants) await nsPerCall(broker); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, broker] of variants) results.get(name)!.push(await nsPerCall(broker));
}
const direct = median(results.get("direct")!);
for (const [name, values] of results) {
  const ns = median(values);
  console.log(
    `${name.padEnd(16)} ${ns.toFixed(1).padStart(7)} ns/call  (+${(ns - direct).toFixed(1)} ns vs direct)`,
  );
}
