import { describe, expect, it } from "vitest";
import type { Broker } from "../contracts/broker.js";
import type { RateLimiter } from "../contracts/rate-limiter.js";
import type { Storage } from "../contracts/storage.js";
import type { Envelope } from "../domain/envelope.js";
import { createMemoryBroker } from "../memory/memory-broker.js";
import { createMemoryStorage } from "../memory/memory-storage.js";
import { isAdapterRuntime } from "./adapter-runtime.js";
import { withBrokerRuntime } from "./broker-runtime.js";
import { withRateLimiterRuntime } from "./rate-limiter-runtime.js";
import { withStorageRuntime } from "./storage-runtime.js";

const KICK: Envelope = { kind: "kick", userId: "u", code: 4001, reason: "x" };

/** A broker that counts its calls, with one extra member an adapter might add. */
function countingBroker() {
  const calls = { publish: 0, close: 0 };
  let releaseClose: () => void = () => {};
  const nodes = ["n1"];
  const broker = {
    nodes,
    async publish(_nodeId: string, _envelope: Envelope) {
      calls.publish += 1;
    },
    async subscribe() {},
    async broadcast() {},
    async subscribeControl() {},
    async ping() {
      return true;
    },
    close() {
      calls.close += 1;
      return new Promise<void>((resolve) => {
        releaseClose = resolve;
      });
    },
    describe() {
      return `broker of ${nodes.join(",")}`;
    },
  };
  const typed: Broker & typeof broker = broker;
  return { broker: typed, calls, finishClose: () => releaseClose() };
}

describe("adapter runtime", () => {
  it("close runs the adapter's close once; every call returns the first call's promise", async () => {
    const { broker, calls, finishClose } = countingBroker();
    const wrapped = withBrokerRuntime(broker);
    const first = wrapped.close();
    const second = wrapped.close();
    expect(second).toBe(first);
    expect(calls.close).toBe(1);
    finishClose();
    await Promise.all([first, second, wrapped.close()]);
    expect(calls.close).toBe(1);
  });

  it("refuses calls that start once close started, even before it finished; ping answers false", async () => {
    const { broker, calls } = countingBroker();
    const wrapped = withBrokerRuntime(broker, { label: "[test] broker" });
    await wrapped.publish("n1", KICK);
    void wrapped.close(); // never finishes: the gate closes at once anyway
    await expect(wrapped.publish("n1", KICK)).rejects.toMatchObject({
      code: "unavailable",
      message: "[test] broker is closed (publish called after close())",
    });
    expect(calls.publish).toBe(1);
    expect(await wrapped.ping()).toBe(false);
  });

  it("keeps the adapter's other members, with their `this`", () => {
    const { broker } = countingBroker();
    const wrapped = withBrokerRuntime(broker);
    expect(wrapped.nodes).toEqual(["n1"]);
    expect(wrapped.describe()).toBe("broker of n1");
  });

  it("wrapping a wrapped adapter returns it as is", () => {
    const storage = createMemoryStorage();
    expect(isAdapterRuntime(storage)).toBe(true);
    expect(withStorageRuntime(storage)).toBe(storage);
    const broker = createMemoryBroker();
    expect(withBrokerRuntime(broker)).toBe(broker);
    expect(isAdapterRuntime(countingBroker().broker)).toBe(false);
    // A decorator over a wrapped adapter gets a runtime of its own.
    const decorated = new Proxy(broker, {});
    expect(isAdapterRuntime(decorated)).toBe(false);
    expect(withBrokerRuntime(decorated)).not.toBe(decorated);
    expect(isAdapterRuntime(Object.create(broker))).toBe(false);
  });

  it("fills markMany from markDelivered and markRead, with their rules", async () => {
    // The memory cursor store has no markMany of its own: the runtime's is what runs.
    const storage = withStorageRuntime(createMemoryStorage());
    const { message } = await storage.messages.append({
      messageId: "m1",
      conversationId: "d:alice:bob",
      from: "alice",
      to: { type: "user", id: "bob" },
      body: { type: "text", text: "hi" },
      cid: "c1",
      ts: Date.now(),
      participants: ["alice", "bob"],
    });
    const moves = [
      { userId: "bob", conversationId: message.conversationId, seq: 5, kind: "read" },
      { userId: "alice", conversationId: message.conversationId, seq: 1, kind: "delivered" },
      { userId: "carol", conversationId: message.conversationId, seq: 1, kind: "read" },
    ] as const;
    // Capped at the last seq; carol is not in the conversation.
    expect(await storage.cursors.markMany(moves)).toEqual([
      { userId: "bob", conversationId: message.conversationId, seq: 1, kind: "read" },
      { userId: "alice", conversationId: message.conversationId, seq: 1, kind: "delivered" },
    ]);
    // Cursors that did not move are left out.
    expect(await storage.cursors.markMany(moves)).toEqual([]);
  });

  it("fills outboxNotifications with a subscription that never wakes, and throws it after close", async () => {
    const raw = createMemoryStorage();
    const bare: Storage = { ...raw, outboxNotifications: undefined };
    const storage = withStorageRuntime(bare);
    const stop = storage.outboxNotifications(() => {
      throw new Error("never woken");
    });
    await stop();
    await storage.close();
    expect(() => storage.outboxNotifications(() => {})).toThrow(
      expect.objectContaining({ code: "unavailable" }),
    );
  });

  it("gives a rate limiter without close an idempotent one, and refuses consume after it", async () => {
    let consumed = 0;
    const limiter: RateLimiter = {
      async consume() {
        consumed += 1;
        return { allowed: true, remaining: 1, retryAfterMs: 0 };
      },
    };
    const wrapped = withRateLimiterRuntime(limiter);
    expect((await wrapped.consume("k")).allowed).toBe(true);
    await wrapped.close();
    await wrapped.close();
    await expect(wrapped.consume("k")).rejects.toMatchObject({ code: "unavailable" });
    expect(consumed).toBe(1);
  });

  it("lets calls that started before close run to their end", async () => {
    let finish: () => void = () => {};
    const slow: Broker = {
      ...countingBroker().broker,
      publish: () => new Promise<void>((resolve) => (finish = resolve)),
      close: async () => {},
    };
    const wrapped = withBrokerRuntime(slow);
    const inFlight = wrapped.publish("n1", KICK);
    await wrapped.close();
    finish();
    await expect(inFlight).resolves.toBeUndefined();
  });
});
