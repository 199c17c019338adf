import type { Message } from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { describe, expect, it } from "vitest";
import {
  createMemoryDeviceRegistry,
  createMemoryPushQueue,
  createPushNotifier,
  type DeviceRegistry,
  type PushDevice,
  type PushNotification,
  type PushNotifierOptions,
  type PushProvider,
  type PushResult,
} from "../src/index.js";

let seq = 0;
const message = (conversationId: string, text: string, extra: Partial<Message> = {}): Message => {
  seq++;
  return {
    messageId: `m${seq}`,
    conversationId,
    seq,
    from: "alice",
    to: { type: "user", id: "bob" } as Message["to"],
    body: { type: "text", text },
    cid: `c${seq}`,
    ts: 0,
    ...extra,
  };
};

/** A provider that records sends and answers from a script (then `ok`). */
function recordingProvider(platform: PushProvider["platform"] = "fcm", script: PushResult[] = []) {
  const sent: { notification: PushNotification; device: PushDevice }[] = [];
  let calls = 0;
  const provider: PushProvider = {
    platform,
    async send(notification, device) {
      calls++;
      const result = script.shift() ?? { status: "ok" };
      if (result.status === "ok") sent.push({ notification, device });
      return result;
    },
  };
  return { provider, sent, calls: () => calls };
}

async function setup(options: Partial<PushNotifierOptions> = {}, script: PushResult[] = []) {
  const registry: DeviceRegistry = createMemoryDeviceRegistry();
  await registry.register({
    userId: "bob",
    deviceId: "phone",
    platform: "fcm",
    token: "bob-phone",
  });
  const recorder = recordingProvider("fcm", script);
  const notifier = createPushNotifier({
    registry,
    providers: [recorder.provider],
    batchWindowMs: 60_000,
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 2,
    ...options,
  });
  const settle = async () => {
    notifier.flush();
    await notifier.idle();
  };
  return { registry, notifier, settle, ...recorder };
}

describe("push notifier", () => {
  it("batches a burst per conversation into one notification with a count", async () => {
    const { notifier, settle, sent } = await setup();
    await notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await notifier.onOffline(message("d:alice:bob", "two"), ["bob"]);
    const last = message("d:alice:bob", "three");
    await notifier.onOffline(last, ["bob"]);
    await notifier.onOffline(message("g:team", "hi"), ["bob"]);
    expect(sent).toHaveLength(0);
    await settle();
    expect(sent.map((s) => [s.notification.collapseKey, s.notification.count])).toEqual([
      ["d:alice:bob", 3],
      ["g:team", 1],
    ]);
    const [burst] = sent;
    expect(burst?.notification).toMatchObject({
      title: "3 new messages",
      body: "",
      conversationId: "d:alice:bob",
      data: { messageId: last.messageId, seq: String(last.seq), count: "3" },
    });
    expect(sent[1]?.notification.title).toBe("New message");
    expect(notifier.counters.sent).toBe(2);
  });

  it("sends when the batch window ends, without a flush", async () => {
    const { notifier, sent } = await setup({ batchWindowMs: 5 });
    await notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await notifier.idle();
    expect(sent).toHaveLength(1);
  });

  it("shows the text in preview mode, and what a content function returns", async () => {
    const preview = await setup({ content: "preview" });
    await preview.notifier.onOffline(message("d:alice:bob", "x".repeat(500)), ["bob"]);
    await preview.notifier.onOffline(message("d:alice:bob", "see you"), ["bob"]);
    await preview.notifier.onOffline(
      message("g:team", "", {
        body: { type: "image", url: "u", name: "n", size: 1, mime: "image/png" } as Message["body"],
      }),
      ["bob"],
    );
    await preview.settle();
    expect(preview.sent.map((s) => [s.notification.title, s.notification.body])).toEqual([
      ["alice", "(2) see you"],
      ["alice", "[image]"],
    ]);

    const custom = await setup({
      content: (batch) => ({
        title: `Chat ${batch.conversationId}`,
        body: `${batch.count} from ${batch.latest.from}`,
      }),
    });
    await custom.notifier.onOffline(message("g:team", "secret"), ["bob"]);
    await custom.settle();
    expect(custom.sent[0]?.notification).toMatchObject({
      title: "Chat g:team",
      body: "1 from alice",
    });
  });

  it("skips muted conversations unless the user is mentioned", async () => {
    const muted = new Set(["bob g:muted"]);
    const isMuted = (userId: string, conversationId: string) =>
      muted.has(`${userId} ${conversationId}`);
    const { notifier, settle, sent } = await setup({ isMuted });
    await notifier.onOffline(message("g:muted", "chatter"), ["bob"]);
    await notifier.onOffline(message("g:open", "hello"), ["bob"]);
    await settle();
    expect(sent.map((s) => s.notification.conversationId)).toEqual(["g:open"]);
    expect(notifier.counters.muted).toBe(1);

    await notifier.onOffline(message("g:muted", "chatter"), ["bob"]);
    await notifier.onOffline(message("g:muted", "@bob look", { mentions: ["bob"] }), ["bob"]);
    await notifier.onOffline(message("g:muted", "later"), ["bob"]);
    await settle();
    expect(sent.map((s) => [s.notification.conversationId, s.notification.count])).toEqual([
      ["g:open", 1],
      ["g:muted", 3],
    ]);

    await notifier.onOffline(message("g:muted", "@all", { mentions: ["all"] }), ["bob"]);
    await settle();
    expect(sent).toHaveLength(3);
  });

  it("keeps muted conversations silent for mentions when mentions do not override", async () => {
    const { notifier, settle, sent } = await setup({
      isMuted: async () => true,
      mentionsOverrideMute: false,
    });
    await notifier.onOffline(message("g:muted", "@bob", { mentions: ["bob"] }), ["bob"]);
    await settle();
    expect(sent).toHaveLength(0);
    expect(notifier.counters.muted).toBe(1);
  });

  it("drops an invalid token from the registry", async () => {
    const { notifier, settle, registry } = await setup({}, [
      { status: "invalid-token", reason: "410" },
    ]);
    await notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await settle();
    expect(await registry.listByUser("bob")).toEqual([]);
    expect(notifier.counters).toMatchObject({ invalidTokens: 1, sent: 0, failed: 0 });
  });

  it("does not show a message recalled during the batch window (with getMessage)", async () => {
    const recalled = new Set<string>();
    const getMessage = async (messageId: string) =>
      ({ ...message("x", ""), messageId, recalled: recalled.has(messageId) }) as Message;
    const { notifier, settle, sent } = await setup({ content: "preview", getMessage });
    const alone = message("d:alice:bob", "oops, wrong chat");
    await notifier.onOffline(alone, ["bob"]);
    await notifier.onOffline(message("g:team", "first"), ["bob"]);
    const latest = message("g:team", "the recalled secret");
    await notifier.onOffline(latest, ["bob"]);
    recalled.add(alone.messageId);
    recalled.add(latest.messageId);
    await settle();
    // The lone recalled message is not pushed; the batch is, without its preview.
    expect(
      sent.map((s) => [s.notification.conversationId, s.notification.title, s.notification.body]),
    ).toEqual([["g:team", "2 new messages", ""]]);
    expect(notifier.counters).toMatchObject({ sent: 1, recalled: 1 });

    // Without getMessage the recall is not seen (documented): the preview shows.
    const blind = await setup({ content: "preview" });
    await blind.notifier.onOffline(message("d:alice:bob", "shown"), ["bob"]);
    await blind.settle();
    expect(blind.sent[0]?.notification.body).toBe("shown");
  });

  it("purges dead jobs past deadRetentionMs, and reports a purge that failed", async () => {
    const queue = createMemoryPushQueue();
    const dying = await setup({ queue, maxAttempts: 1, deadRetentionMs: 1, purgeIntervalMs: 5 }, [
      { status: "failure", retryable: true, reason: "down" },
    ]);
    await dying.notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await dying.settle();
    expect(dying.notifier.counters.dead).toBe(1);
    await eventually(async () => expect((await queue.stats()).dead).toBe(0));
    await dying.notifier.close();

    const errors: string[] = [];
    const broken = createMemoryPushQueue();
    broken.purgeDead = async () => {
      throw new Error("queue down");
    };
    const reporting = await setup({
      queue: broken,
      purgeIntervalMs: 5,
      onError: (error, context) => errors.push(`${context}: ${error.code} ${error.message}`),
    });
    await eventually(() => expect(errors).toContain("push queue purgeDead: internal queue down"));
    await reporting.notifier.close();

    // A queue written before purgeDead existed: no purge, and nothing thrown from a timer.
    const older = createMemoryPushQueue() as Partial<ReturnType<typeof createMemoryPushQueue>>;
    delete older.purgeDead;
    const throwing = createMemoryPushQueue();
    throwing.purgeDead = () => {
      throw new Error("thrown, not rejected");
    };
    const quiet = await setup({
      queue: older as ReturnType<typeof createMemoryPushQueue>,
      purgeIntervalMs: 5,
    });
    const sync: string[] = [];
    const loud = await setup({
      queue: throwing,
      purgeIntervalMs: 5,
      onError: (error, context) => sync.push(`${context}: ${error.message}`),
    });
    await eventually(() => expect(sync).toContain("push queue purgeDead: thrown, not rejected"));
    await quiet.notifier.close();
    await loud.notifier.close();
  });

  it("retries throttles and transient failures with backoff, then gives up", async () => {
    const retried = await setup({}, [
      { status: "retry-after", afterMs: 0, reason: "429" },
      { status: "failure", retryable: true, reason: "503" },
    ]);
    await retried.notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await retried.settle();
    expect(retried.sent).toHaveLength(1);
    expect(retried.calls()).toBe(3);
    expect(retried.notifier.counters).toMatchObject({ sent: 1, retried: 2, failed: 0 });

    const failing = Array.from(
      { length: 10 },
      (): PushResult => ({
        status: "failure",
        retryable: true,
        reason: "down",
      }),
    );
    const given = await setup({ maxAttempts: 3 }, failing);
    await given.notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await given.settle();
    expect(given.calls()).toBe(3);
    expect(given.notifier.counters).toMatchObject({ sent: 0, retried: 2, failed: 1, dead: 1 });

    const refused = await setup({}, [{ status: "failure", retryable: false, reason: "400" }]);
    await refused.notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await refused.settle();
    expect(refused.calls()).toBe(1);
    expect(refused.notifier.counters.failed).toBe(1);
  });

  it("never waits for the push service, and bounds what it queues", async () => {
    const registry = createMemoryDeviceRegistry();
    for (const user of ["u1", "u2", "u3"]) {
      await registry.register({ userId: user, deviceId: "d", platform: "fcm", token: user });
    }
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hanging: PushProvider = {
      platform: "fcm",
      async send() {
        await gate;
        return { status: "ok" };
      },
    };
    const counted: string[] = [];
    const notifier = createPushNotifier({
      registry,
      providers: [hanging],
      batchWindowMs: 60_000,
      maxQueued: 2,
      metrics: (counter, platform) => counted.push(`${counter}:${platform ?? "-"}`),
    });
    // Resolves although every send hangs.
    await notifier.onOffline(message("g:x", "a"), ["u1", "u2", "u3"]);
    expect(notifier.counters.dropped).toBe(1);
    notifier.flush();
    await notifier.onOffline(message("g:y", "b"), ["u1"]);
    expect(notifier.counters.dropped).toBe(2);
    release();
    await notifier.idle();
    expect(notifier.counters.sent).toBe(2);
    expect(counted.sort()).toEqual(["dropped:-", "dropped:-", "sent:fcm", "sent:fcm"]);
  });

  it("counts devices of a platform without a provider as failed", async () => {
    const { notifier, settle, registry } = await setup();
    await registry.register({ userId: "bob", deviceId: "mac", platform: "apns", token: "apns-1" });
    await notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    await settle();
    expect(notifier.counters).toMatchObject({ sent: 1, failed: 1 });
  });

  it("reports registry errors without failing the hook", async () => {
    const errors: string[] = [];
    const broken: DeviceRegistry = {
      ...createMemoryDeviceRegistry(),
      listByUser: async () => {
        throw new Error("database down");
      },
    };
    const notifier = createPushNotifier({
      registry: broken,
      providers: [],
      batchWindowMs: 60_000,
      maxAttempts: 2,
      retryInitialDelayMs: 1,
      retryMaxDelayMs: 2,
      onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
    });
    await notifier.onOffline(message("d:alice:bob", "one"), ["bob"]);
    notifier.flush();
    await notifier.idle();
    // Retried once, then given up: the job stays in the queue as dead.
    expect(errors).toEqual(["push batch: database down", "push batch: database down"]);
    expect(notifier.counters).toMatchObject({ retried: 1, failed: 1, dead: 1 });
    expect(await notifier.queueStats()).toEqual({ pending: 0, leased: 0, dead: 1 });
  });

  it("on close waits for sends in flight and leaves waiting jobs in the queue", async () => {
    const queue = createMemoryPushQueue();
    const { notifier, sent } = await setup(
      { queue, retryInitialDelayMs: 60_000, retryMaxDelayMs: 60_000 },
      [{ status: "ok" }, { status: "retry-after", afterMs: 60_000, reason: "429" }],
    );
    await notifier.onOffline(message("g:a", "one"), ["bob"]);
    await notifier.onOffline(message("g:b", "two"), ["bob"]);
    notifier.flush();
    // Wait until g:b's send was answered with a throttle and waits for its retry.
    while (notifier.counters.retried === 0) await new Promise((resolve) => setImmediate(resolve));
    await notifier.onOffline(message("g:c", "three"), ["bob"]);
    await notifier.close();
    expect(sent).toHaveLength(1);
    // The retry and the open batch are still queued, for the next notifier.
    expect(await queue.stats()).toEqual({ pending: 2, leased: 0, dead: 0 });
    await notifier.onOffline(message("g:d", "four"), ["bob"]);
    expect(notifier.counters.dropped).toBe(1);
    expect(await queue.stats()).toMatchObject({ pending: 2 });
  });

  it("takes a burst in one job and claims it once, when its window ends", async () => {
    const queue = createMemoryPushQueue();
    const { notifier, sent } = await setup({ queue, batchWindowMs: 20 });
    const claims: number[] = [];
    const claim = queue.claim.bind(queue);
    queue.claim = async (options) => {
      const jobs = await claim(options);
      if (jobs.length > 0) claims.push(jobs.length);
      return jobs;
    };
    for (let i = 0; i < 5; i++) await notifier.onOffline(message("g:a", `m${i}`), ["bob"]);
    expect(await queue.stats()).toEqual({ pending: 1, leased: 0, dead: 0 });
    await notifier.idle();
    expect(claims).toEqual([1]);
    expect(sent.map((s) => s.notification.count)).toEqual([5]);
  });

  it("rejects the hook when the queue could not record, so the engine can re-drive it", async () => {
    const queue = createMemoryPushQueue();
    const errors: string[] = [];
    const { notifier, registry } = await setup({
      queue,
      onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
    });
    await registry.register({ userId: "carol", deviceId: "p", platform: "fcm", token: "c" });
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async (entry, dueAt) => {
      if (entry.userId === "carol") throw new Error("database down");
      return enqueue(entry, dueAt);
    };
    await expect(notifier.onOffline(message("g:a", "hi"), ["bob", "carol"])).rejects.toThrow(
      "database down",
    );
    expect(errors).toEqual(["push queue enqueue: database down"]);
    expect(notifier.counters.dropped).toBe(1);
    // bob's part was recorded.
    expect(await queue.stats()).toEqual({ pending: 1, leased: 0, dead: 0 });
  });

  it("rejects bad limits", () => {
    const registry = createMemoryDeviceRegistry();
    expect(() => createPushNotifier({ registry, providers: [], concurrency: 0 })).toThrow(
      /concurrency/,
    );
    expect(() => createPushNotifier({ registry, providers: [], leaseMs: 1.5 })).toThrow(/leaseMs/);
  });
});
