import { EventEmitter } from "node:events";
import { eventually } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import { listenOutbox } from "./outbox-notifications.js";

class FakeClient extends EventEmitter {
  queries: string[] = [];
  released: unknown[] = [];
  async query(text: string) {
    this.queries.push(text);
  }
  release(error?: unknown) {
    this.released.push(error ?? "ok");
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a condition of the fake clients every 5 ms, for up to 5 s. */

describe("listenOutbox", () => {
  it("wakes at the due time, coalescing notifications, and listens again after a loss", async () => {
    const clients: FakeClient[] = [];
    const wakes: number[] = [];
    const errors: unknown[] = [];
    const stop = listenOutbox({
      connect: async () => {
        const client = new FakeClient();
        clients.push(client);
        return client;
      },
      channel: "ch",
      onWake: () => wakes.push(Date.now()),
      onError: (error) => errors.push(error),
      reconnectDelayMs: 10,
    });
    await eventually(() => clients[0]?.queries.includes('LISTEN "ch"') ?? false, {
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    const client = clients[0]!;
    const start = Date.now();
    // Three hints: two due soon (one wake), one later (a second wake), one for another channel.
    client.emit("notification", { channel: "ch", payload: String(start + 60) });
    client.emit("notification", { channel: "ch", payload: String(start + 40) });
    client.emit("notification", { channel: "ch", payload: String(start + 150) });
    client.emit("notification", { channel: "other", payload: String(start) });
    await eventually(() => wakes.length === 2, { timeoutMs: 5_000, intervalMs: 5 });
    // Timers never fire early: the first wake is not before the earliest due time.
    expect(wakes[0]! - start).toBeGreaterThanOrEqual(35);
    expect(wakes[1]! - start).toBeGreaterThanOrEqual(145);
    await sleep(50);
    expect(wakes).toHaveLength(2);

    // A lost connection is reported once, released as broken, and replaced; then one wake.
    client.emit("error", new Error("Connection terminated unexpectedly"));
    client.emit("end");
    await eventually(() => clients.length === 2 && wakes.length === 3, {
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    expect(errors).toHaveLength(1);
    expect(client.released).toHaveLength(1);
    expect(client.released[0]).toBeInstanceOf(Error);

    await stop();
    expect(clients[1]!.queries).toContain('UNLISTEN "ch"');
    expect(clients[1]!.released).toEqual(["ok"]);
  });
});
