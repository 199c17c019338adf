import { describe, expect, it } from "vitest";
import type { Envelope } from "../domain/envelope.js";
import type { ImError } from "../errors.js";
import { eventually } from "../testing/eventually.js";
import { createMemoryBroker } from "./memory-broker.js";
import { createMemoryBrokerHub } from "./memory-broker-hub.js";

const kick = (reason: string): Envelope => ({ kind: "kick", userId: "u1", code: 4409, reason });

describe("memory broker", () => {
  it("dead-letters an envelope after deliveryLimit rejections and reports it to onError", async () => {
    const errors: ImError[] = [];
    const broker = createMemoryBroker({ deliveryLimit: 3, onError: (e) => errors.push(e) });
    const calls: boolean[] = [];
    const received: string[] = [];
    await broker.subscribe("n1", async (envelope, info) => {
      if (envelope.kind === "kick" && envelope.reason === "poison") {
        calls.push(info.redelivered);
        throw new Error("cannot handle");
      }
      if (envelope.kind === "kick") received.push(envelope.reason);
    });
    await broker.publish("n1", kick("poison"));
    await broker.publish("n1", kick("next"));
    await eventually(() => expect(received, "the envelope after the poison one").toEqual(["next"]));
    expect(calls, "three deliveries, the last two redelivered").toEqual([false, true, true]);
    const [letter] = broker.deadLetters();
    expect(letter).toMatchObject({ nodeId: "n1", envelope: kick("poison"), deliveries: 3 });
    expect(letter?.error).toMatchObject({ message: "cannot handle" });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("dead-lettered after 3");
    await broker.close();
  });

  it("keeps at most maxDeadLetters", async () => {
    const broker = createMemoryBroker({ deliveryLimit: 1, maxDeadLetters: 2, onError: () => {} });
    await broker.subscribe("n1", async () => {
      throw new Error("no");
    });
    for (const reason of ["a", "b", "c"]) await broker.publish("n1", kick(reason));
    await eventually(() =>
      expect(broker.deadLetters().map((l) => (l.envelope as { reason: string }).reason)).toEqual([
        "b",
        "c",
      ]),
    );
    await broker.close();
  });

  it("deep-copies envelopes: the publisher's object and other deliveries are never shared", async () => {
    const hub = createMemoryBrokerHub();
    const a = createMemoryBroker({ hub });
    const b = createMemoryBroker({ hub });
    const got: Envelope[] = [];
    await b.subscribe("b", async (envelope) => {
      got.push(envelope);
    });
    const envelope: Envelope = { kind: "frame", frame: { type: "pong", ts: 1 }, userIds: ["u1"] };
    await a.publish("b", envelope);
    envelope.userIds.push("mutated after publish");
    await eventually(() => expect(got).toHaveLength(1));
    expect(got[0]).toEqual({ kind: "frame", frame: { type: "pong", ts: 1 }, userIds: ["u1"] });
    expect(got[0]).not.toBe(envelope);
    await a.close();
    await b.close();
  });

  it("delivers asynchronously: publish never runs the handler before it resolves", async () => {
    const broker = createMemoryBroker();
    let handled = 0;
    await broker.subscribe("n", async () => {
      handled++;
    });
    await broker.publish("n", kick("x"));
    expect(handled, "handler calls when publish resolved").toBe(0);
    await eventually(() => expect(handled).toBe(1));
    await broker.close();
  });

  it("refuses a second consumer of one node id, and accepts one once the first closed", async () => {
    const hub = createMemoryBrokerHub();
    const first = createMemoryBroker({ hub });
    const second = createMemoryBroker({ hub });
    await first.subscribe("n", async () => {});
    await expect(second.subscribe("n", async () => {})).rejects.toMatchObject({ code: "conflict" });
    await first.close();
    await expect(second.publish("n", kick("x"))).rejects.toMatchObject({ code: "unavailable" });
    await second.subscribe("n", async () => {});
    await second.publish("n", kick("x"));
    await second.close();
  });

  it("rejects every call after close with unavailable, and a closed node stops receiving", async () => {
    const hub = createMemoryBrokerHub();
    const a = createMemoryBroker({ hub });
    const b = createMemoryBroker({ hub });
    const control: string[] = [];
    await b.subscribeControl("b", (message) => {
      if (message.type === "custom") control.push(message.name);
    });
    await b.close();
    expect(await b.ping()).toBe(false);
    await expect(b.publish("a", kick("x"))).rejects.toMatchObject({ code: "unavailable" });
    await a.broadcast({ type: "custom", name: "after-close", data: null });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(control, "a closed broker's control handler").toEqual([]);
    await a.close();
  });

  it("reports a throwing control handler to onError and still reaches the others", async () => {
    const errors: ImError[] = [];
    const hub = createMemoryBrokerHub();
    const a = createMemoryBroker({ hub, onError: (e) => errors.push(e) });
    const b = createMemoryBroker({ hub });
    const seen: string[] = [];
    await a.subscribeControl("a", () => {
      throw new Error("boom");
    });
    await b.subscribeControl("b", (_message, from) => seen.push(from));
    await a.broadcast({ type: "group_changed", groupId: "g1" });
    await eventually(() => expect(seen).toEqual(["a"]));
    await eventually(() => expect(errors.map((e) => e.code)).toEqual(["internal"]));
    await a.close();
    await b.close();
  });
});
