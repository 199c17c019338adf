import { describe, expect, it } from "vitest";
import { createMemoryPushQueue } from "../src/index.js";
import { pushQueueConformance } from "../src/testing/index.js";

pushQueueConformance({ name: "memory", create: () => createMemoryPushQueue() });

describe("memory push queue", () => {
  const entry = (userId: string) => ({
    userId,
    conversationId: "c",
    mentioned: false,
    message: {
      messageId: `m-${userId}`,
      conversationId: "c",
      seq: 1,
      from: "a",
      to: { type: "user" as const, id: userId },
      body: { type: "text" as const, text: "hi" },
      cid: "x",
      ts: 0,
    },
  });

  it("refuses new jobs beyond maxJobs but still batches into open ones", async () => {
    const queue = createMemoryPushQueue({ maxJobs: 2 });
    expect(await queue.enqueue(entry("u1"), 0)).toBe(true);
    expect(await queue.enqueue(entry("u2"), 0)).toBe(true);
    expect(await queue.enqueue(entry("u3"), 0)).toBe(false);
    expect(await queue.enqueue(entry("u1"), 0)).toBe(true);
    expect(await queue.stats()).toEqual({ pending: 2, leased: 0, dead: 0 });
  });

  it("keeps at most maxDead dead jobs", async () => {
    const queue = createMemoryPushQueue({ maxDead: 1 });
    await queue.enqueue(entry("u1"), 0);
    await queue.enqueue(entry("u2"), 0);
    for (const job of await queue.claim({ limit: 5, leaseMs: 1, now: 0 })) {
      await queue.fail(job, { error: "x" });
    }
    expect((await queue.listDead(5)).map((j) => j.userId)).toEqual(["u2"]);
  });

  it("rejects bad limits", () => {
    expect(() => createMemoryPushQueue({ maxJobs: 0 })).toThrow(
      expect.objectContaining({ isConfigError: true, option: "maxJobs" }),
    );
  });
});
