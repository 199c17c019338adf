import { randomUUID } from "node:crypto";
import type { Message } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { serviceUrl } from "../../../test/services.js";
import {
  createFcmProvider,
  createPostgresDeviceRegistry,
  createPostgresPushQueue,
  createPushNotifier,
  type DeviceRegistry,
  type PushNotifierOptions,
  type PushProvider,
  type PushQueue,
  postgresPushMigrations,
} from "../src/index.js";
import {
  type FcmStandIn,
  type FcmStandInBehaviour,
  startFcmStandIn,
} from "../src/testing/index.js";

const url = await serviceUrl("postgres");

let seq = 0;
const message = (conversationId: string, text: string): Message => {
  seq++;
  return {
    messageId: `m${seq}`,
    conversationId,
    seq,
    from: "alice",
    to: { type: "group", id: conversationId } as Message["to"],
    body: { type: "text", text },
    cid: `c${seq}`,
    ts: 0,
  };
};

describe.runIf(url)("durable push on PostgreSQL, through the FCM stand-in", () => {
  const schema = uniqueName("push_durable");
  let pool: pg.Pool;
  let db: Kysely<unknown>;
  let registry: DeviceRegistry;
  let queue: PushQueue;
  let standIn: FcmStandIn;
  let fcm: PushProvider;
  const notifiers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 6 });
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const { error } = await new Migrator({
      db,
      ...postgresPushMigrations(schema),
    }).migrateToLatest();
    if (error) throw error;
    registry = createPostgresDeviceRegistry(pool, { schema });
    queue = createPostgresPushQueue(pool, { schema });
    standIn = await startFcmStandIn();
    fcm = createFcmProvider({
      serviceAccount: standIn.serviceAccount,
      tokenUrl: standIn.tokenUrl,
      apiUrl: standIn.origin,
    });
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE "${schema}".push_jobs`);
  });

  // Every test's notifiers stop with it: a live one would claim the next test's jobs.
  afterEach(async () => {
    for (const notifier of notifiers.splice(0)) await notifier.close();
  });

  afterAll(async () => {
    await standIn?.close();
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  const notifier = (options: Partial<PushNotifierOptions> = {}) => {
    const created = createPushNotifier({
      registry,
      queue,
      providers: [fcm],
      batchWindowMs: 60_000,
      retryInitialDelayMs: 1,
      retryMaxDelayMs: 2,
      pollIntervalMs: 10,
      ...options,
    });
    notifiers.push(created);
    return created;
  };

  const userWithPhone = async (behaviour: FcmStandInBehaviour = "accept") => {
    const userId = `u-${randomUUID()}`;
    const token = standIn.register(behaviour);
    await registry.register({ userId, deviceId: "phone", platform: "fcm", token });
    return { userId, token };
  };

  const receivedBy = (token: string) => standIn.received.filter((m) => m.message.token === token);

  it("a notifier stopped before its batch window ended: the next one sends the burst once", async () => {
    const { userId, token } = await userWithPhone();
    const first = notifier();
    await first.onOffline(message("g:team", "one"), [userId]);
    await first.onOffline(message("g:team", "two"), [userId]);
    // Stopped without flushing: nothing sent, the batch is in PostgreSQL.
    await first.close();
    expect(receivedBy(token)).toHaveLength(0);
    expect(await queue.stats()).toEqual({ pending: 1, leased: 0, dead: 0 });

    const second = notifier();
    second.flush();
    await second.idle();
    const received = receivedBy(token);
    expect(received).toHaveLength(1);
    expect(received[0]?.message).toMatchObject({
      notification: { title: "2 new messages" },
      data: { conversationId: "g:team", count: "2" },
      android: { collapse_key: "g:team" },
    });
    expect(second.counters).toMatchObject({ sent: 1, failed: 0 });
    expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 0 });
    // Nothing else is sent later.
    second.flush();
    await second.idle();
    expect(standIn.answered(token)).toBe(1);
  });

  it("a worker that died mid-send: its lease ends and another node sends the job", async () => {
    const { userId, token } = await userWithPhone();
    let release: () => void = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first node claims the job and never answers (a crashed process).
    const dying = notifier({
      batchWindowMs: 1,
      leaseMs: 50,
      concurrency: 1,
      providers: [
        {
          platform: "fcm",
          async send() {
            await hung;
            return { status: "ok" };
          },
        },
      ],
    });
    await dying.onOffline(message("g:ops", "alert"), [userId]);
    await vi.waitFor(async () => expect((await queue.stats()).leased).toBe(1));

    const rescuer = notifier();
    await vi.waitFor(() => expect(receivedBy(token)).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(async () =>
      expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 0 }),
    );
    expect(rescuer.counters.sent).toBe(1);
    // The first node's late answer cannot settle the job again.
    release();
    await dying.close();
    expect(standIn.answered(token)).toBe(1);
  });

  it("retries after 500 answers, with backoff, until the send is accepted", async () => {
    const { userId, token } = await userWithPhone({ internalErrors: 2 });
    const worker = notifier();
    await worker.onOffline(message("g:a", "hi"), [userId]);
    worker.flush();
    await worker.idle();
    expect(standIn.answered(token)).toBe(3);
    expect(receivedBy(token)).toHaveLength(1);
    expect(worker.counters).toMatchObject({ sent: 1, retried: 2, failed: 0, dead: 0 });
    expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 0 });
  });

  it("gives a job up after maxAttempts and keeps it as dead", async () => {
    const { userId, token } = await userWithPhone({ internalErrors: Number.POSITIVE_INFINITY });
    const worker = notifier({ maxAttempts: 3 });
    await worker.onOffline(message("g:a", "hi"), [userId]);
    worker.flush();
    await worker.idle();
    expect(standIn.answered(token)).toBe(3);
    expect(receivedBy(token)).toHaveLength(0);
    expect(worker.counters).toMatchObject({ sent: 0, retried: 2, failed: 1, dead: 1 });
    expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 1 });
    const [dead] = await queue.listDead(10);
    expect(dead).toMatchObject({ userId, conversationId: "g:a", attempts: 3, devices: ["phone"] });
    expect(dead?.lastError).toMatch(/500/);
  });

  it("drops a device whose token the service reports unregistered", async () => {
    const { userId } = await userWithPhone("unregistered");
    const worker = notifier();
    await worker.onOffline(message("g:a", "hi"), [userId]);
    worker.flush();
    await worker.idle();
    expect(worker.counters).toMatchObject({ invalidTokens: 1, sent: 0 });
    expect(await registry.listByUser(userId)).toEqual([]);
    expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 0 });
  });

  it("two nodes on one queue send each notification once", async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => userWithPhone()));
    const a = notifier({ concurrency: 3 });
    const b = notifier({ concurrency: 3 });
    for (const [i, { userId }] of users.entries()) {
      await (i % 2 === 0 ? a : b).onOffline(message("g:all", "news"), [userId]);
      await (i % 2 === 0 ? b : a).onOffline(message("g:all", "more"), [userId]);
    }
    expect(await queue.stats()).toEqual({ pending: 12, leased: 0, dead: 0 });
    a.flush();
    b.flush();
    await Promise.all([a.idle(), b.idle()]);
    await vi.waitFor(async () =>
      expect(await queue.stats()).toEqual({ pending: 0, leased: 0, dead: 0 }),
    );
    for (const { token } of users) {
      expect(standIn.answered(token)).toBe(1);
      expect(receivedBy(token)[0]?.message.data?.count).toBe("2");
    }
    expect(a.counters.sent + b.counters.sent).toBe(12);
  });
});
