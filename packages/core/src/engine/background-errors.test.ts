import { describe, expect, it } from "vitest";
import { createMemoryStorage } from "../memory/memory-storage.js";
import { createMemoryTransport } from "../transport/memory-transport.js";
import { createImServer } from "./im-server.js";
import { OutboxRelay } from "./outbox-relay.js";
import { PeriodicTask } from "./periodic-task.js";

describe("background loops report their failures with a context", () => {
  it("the outbox relay reports a delivery that rejects, and releases the entry for a retry", async () => {
    const storage = createMemoryStorage({ outboxGraceMs: 0 });
    await storage.messages.append({
      messageId: "m1",
      conversationId: "d:a:b",
      from: "a",
      to: { type: "user", id: "b" },
      body: { type: "text", text: "hi" },
      cid: "c1",
      ts: 1,
      participants: ["a", "b"],
    });
    const reports: string[] = [];
    const relay = new OutboxRelay({
      outbox: storage.outbox,
      deliver: async () => {
        throw new Error("broker down");
      },
      intervalMs: 60_000,
      retentionMs: 60_000,
      batchSize: 10,
      leaseMs: 60_000,
      reportError: (error, context) => reports.push(`${context}: ${(error as Error).message}`),
      onRelayed() {},
    });
    // Started (its own timer waits a minute), so that a pass runs.
    relay.start();
    expect(await relay.runOnce()).toBe(1);
    await relay.stop();
    expect(reports).toEqual(["outbox relay delivery: broker down"]);
    expect((await storage.outbox.stats()).pending).toBe(1);
    await storage.close();
  });

  it("a periodic task reports a failed run and stop() waits for the run in flight", async () => {
    const reports: unknown[] = [];
    let runs = 0;
    let release: () => void = () => {};
    const task = new PeriodicTask({
      intervalMs: 5,
      run: async () => {
        runs++;
        if (runs === 1) throw new Error("first run fails");
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      reportError: (error) => reports.push((error as Error).message),
    });
    task.start();
    await expect.poll(() => runs).toBe(2);
    expect(reports).toEqual(["first run fails"]);
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped, "stop waits for the run in flight").toBe(false);
    release();
    await stopping;
    expect(runs, "no run after stop").toBe(2);
  });

  it("a health probe that rejects counts as down and is reported with what it checked", async () => {
    const storage = createMemoryStorage();
    storage.ping = async () => {
      throw new Error("connection refused");
    };
    const im = createImServer({
      transport: createMemoryTransport(),
      storage,
      logger: { info() {}, warn() {}, error() {} },
      authenticator: { authenticate: async (token) => ({ userId: token, claims: {} }) },
    });
    const reports: string[] = [];
    im.on("error", (error, context) => reports.push(`${context}: ${error.message}`));
    await im.start();
    try {
      expect(await im.health()).toMatchObject({ ok: false, storage: false, broker: true });
      expect(reports).toEqual(["health check of storage: connection refused"]);
    } finally {
      await im.close();
    }
  });
});
