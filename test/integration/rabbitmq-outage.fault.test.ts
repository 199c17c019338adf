/**
 * Fault: RabbitMQ stopped and started again in the middle of a steady stream.
 *
 * Two engine nodes in this process ("A" with the senders, "B" with the
 * recipients), each with its own PostgreSQL store on one shared schema, its
 * own AMQP broker and the outbox relay; presence is in memory (not under
 * test). 2,000 messages flow from 20 senders to 20 recipients over ~25 s;
 * after ~7 s `rabbitmqctl stop_app`, ~5 s later `start_app`. Sends keep
 * getting `sent` (the store commits, the fast-path publish fails, the relay
 * re-publishes once RabbitMQ is back). Afterwards every `sent` message must
 * have reached its recipient's client exactly once (push or sync), with no
 * outbox entry left pending. The ledger is printed.
 */

import { createAmqpBroker } from "@lucky-im/broker-amqp";
import { createImClient, type ImClient } from "@lucky-im/client";
import {
  type Authenticator,
  createImServer,
  createMemoryPresence,
  createMemoryPresenceHub,
  ImError,
  type ImServer,
  type MemoryPresenceHub,
} from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { createPostgresStore, type PostgresStore } from "@lucky-im/store-postgres";
import { createWsTransport } from "@lucky-im/transport-ws";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { serviceUrl } from "../services.js";
import {
  DeliveryLedger,
  expectDeliveredExactlyOnce,
  printTable,
  summaryRows,
} from "./delivery-ledger.js";
import { pollUntil, sleep } from "./polling.js";
import {
  ensureRunning,
  isRunning,
  rabbitmqctlAvailable,
  startApp,
  stopApp,
  waitRunning,
} from "./rabbitmq-ctl.js";
import { deleteAmqpTopology, dropSchema } from "./shared-services.js";
import { streamWithFault } from "./stream-with-fault.js";
import { tappedWebSocket } from "./tapped-websocket.js";

const PAIRS = 20;
const PER_PAIR = 100;
/**
 * Each sender sends one message every this many ms: 20 x 2.5/s = 50 messages/s
 * for ~40 s. `stop_app` and `start_app` take 5-15 s each on a loaded machine:
 * the stream must outlast the outage so that fresh sends follow the recovery.
 */
const SEND_INTERVAL_MS = 400;
/** When, after the stream started, `stop_app` is issued. */
const STOP_AT_MS = 6_000;
/** How long RabbitMQ stays stopped (after `stop_app` returned). */
const OUTAGE_MS = 5_000;
/** How long after the stream ends the clients may take to get every message by themselves. */
const DELIVERY_DEADLINE_MS = 90_000;
/** After a forced reconnect of the clients still missing messages, how long `sync` may take. */
const RESYNC_DEADLINE_MS = 30_000;
/** How long the outbox may take to have nothing pending. */
const OUTBOX_DEADLINE_MS = 120_000;

const pgUrl = await serviceUrl("postgres");
const amqpUrl = await serviceUrl("amqp");
// rabbitmqctl controls the RabbitMQ of this machine: the URL must point at it
// (env, as on CI), not at a Testcontainer.
const localRabbit =
  Boolean(amqpUrl && process.env.LUCKY_IM_TEST_AMQP_URL) && (await rabbitmqctlAvailable());
const onCi = process.env.CI === "true" || process.env.CI === "1";
if (onCi && !localRabbit) {
  throw new Error(
    "[lucky-im] [test] the RabbitMQ outage test needs rabbitmqctl and LUCKY_IM_TEST_AMQP_URL on CI",
  );
}

const authenticator: Authenticator = {
  async authenticate(token) {
    if (token.startsWith("t:")) return { userId: token.slice(2), claims: {} };
    throw new ImError("unauthorized", "[lucky-im] [test] bad token");
  },
};

/** Counts by key, for the error tallies. */
function tally(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** When PostgreSQL last started: tells a run disturbed by another test's PostgreSQL restart. */
async function postgresStartedAt(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ at: string }>(
      "SELECT pg_postmaster_start_time()::text AS at",
    );
    return rows[0]!.at;
  } finally {
    await client.end();
  }
}

describe.runIf(pgUrl && amqpUrl && localRabbit)("RabbitMQ stop_app/start_app mid-stream", () => {
  const schema = uniqueName("lim_rmq_outage").toLowerCase();
  const prefix = uniqueName("lim-rmq-outage");
  const nodes: ImServer[] = [];
  const stores: PostgresStore[] = [];
  const clients: ImClient[] = [];
  const senders: ImClient[] = [];
  const recipients: ImClient[] = [];
  const recipientSockets: WebSocket[][] = [];
  const ledger = new DeliveryLedger();
  const engineErrors = new Map<string, number>();
  const adapterErrors = new Map<string, number>();
  const clientErrors = new Map<string, number>();
  let hub: MemoryPresenceHub;

  beforeAll(async () => {
    // A previous fault test (or an aborted run) may have left the app stopped.
    if (!(await isRunning())) await ensureRunning();
    hub = createMemoryPresenceHub();
    const urls: string[] = [];
    for (const nodeId of ["A", "B"]) {
      // One after the other: the first creates the schema, the second finds it migrated.
      const storage = await createPostgresStore({
        url: pgUrl!,
        schema,
        onError: () => tally(adapterErrors, `store ${nodeId}`),
      });
      stores.push(storage);
      const broker = createAmqpBroker({
        url: amqpUrl!,
        prefix,
        connectionName: `${prefix}-${nodeId}`,
        onError: (error) => tally(adapterErrors, `broker ${nodeId}: ${error.code}`),
      });
      const transport = createWsTransport({
        port: 0,
        host: "127.0.0.1",
        onError: () => tally(adapterErrors, `transport ${nodeId}`),
      });
      const im = createImServer({
        nodeId,
        transport,
        authenticator,
        storage,
        broker,
        presence: createMemoryPresence({ hub }),
        relayIntervalMs: 200,
        logger: {
          info() {},
          warn: (_fields, message) =>
            tally(engineErrors, `${nodeId} warn: ${message.slice(0, 60)}`),
          error: (_fields, message) =>
            tally(engineErrors, `${nodeId} log: ${message.slice(0, 60)}`),
        },
      });
      im.on("error", (_error, context) => tally(engineErrors, `${nodeId}: ${context}`));
      await im.start();
      nodes.push(im);
      const address = transport.address();
      if (address === null || typeof address === "string") throw new Error("no TCP address");
      urls.push(`ws://127.0.0.1:${address.port}/ws`);
    }
    const [urlA, urlB] = urls as [string, string];

    const ready: Promise<unknown>[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const sender = createImClient({ WebSocket });
      sender.on("error", (error) => tally(clientErrors, `sender: ${error.code}`));
      senders.push(sender);
      clients.push(sender);
      ready.push(sender.connect({ url: urlA, token: `t:s${i}` }));

      const recipientId = `r${i}`;
      // Whether a `sync` of this recipient's current socket awaits its `synced`.
      let syncOpen = false;
      const tapped = tappedWebSocket({
        sent(_socket, text) {
          if (text.startsWith('{"type":"sync"')) syncOpen = true;
        },
        received(_socket, text) {
          const frame = JSON.parse(text) as { type: string; messageId?: string };
          if (frame.type === "message" && frame.messageId) {
            ledger.raw(recipientId, frame.messageId, syncOpen);
          } else if (frame.type === "synced" || frame.type === "ready") {
            syncOpen = false;
          }
        },
      });
      recipientSockets.push(tapped.sockets);
      const recipient = createImClient({
        WebSocket: tapped.WebSocket,
        reconnect: { initialDelayMs: 200, maxDelayMs: 2_000 },
      });
      recipient.on("message", (message) => ledger.received(recipientId, `s${i}`, message));
      recipient.on("error", (error) => tally(clientErrors, `recipient: ${error.code}`));
      recipients.push(recipient);
      clients.push(recipient);
      ready.push(recipient.connect({ url: urlB, token: `t:${recipientId}` }));
    }
    await Promise.all(ready);
  });

  afterAll(async () => {
    // Whatever happened, RabbitMQ runs again before anything else.
    await ensureRunning();
    await Promise.allSettled(clients.map((client) => client.close()));
    await Promise.allSettled(nodes.map((im) => im.close()));
    // Stores the engine never took (a failed start) are closed here; close() is idempotent.
    await Promise.allSettled(stores.map((store) => store.close()));
    await dropSchema(pgUrl!, schema);
    await deleteAmqpTopology(amqpUrl!, prefix, ["A", "B"]);
  });

  it("delivers every `sent` message exactly once and leaves no outbox entry pending", async () => {
    const pgStartedBefore = await postgresStartedAt(pgUrl!);
    const t0 = Date.now();
    const times = {
      stopIssued: 0,
      stopped: 0,
      startIssued: 0,
      startReturned: 0,
      running: 0,
    };
    // The stream: every sender sends one message every SEND_INTERVAL_MS, staggered;
    // the fault in its middle.
    const { sendErrors, lastIssuedAt: streamEnded } = await streamWithFault({
      ledger,
      senders,
      recipients: senders.map((_, i) => `r${i}`),
      rounds: PER_PAIR,
      intervalMs: SEND_INTERVAL_MS,
      faultAtMs: STOP_AT_MS,
      fault: async () => {
        times.stopIssued = Date.now();
        try {
          await stopApp();
          times.stopped = Date.now();
          await sleep(OUTAGE_MS);
        } finally {
          times.startIssued = Date.now();
          try {
            await startApp();
          } finally {
            times.startReturned = Date.now();
            await waitRunning();
            times.running = Date.now();
          }
        }
      },
    });

    // Every `sent` message at its recipient, by push or by the client's gap sync.
    const deliveredNaturally = await ledger.allDelivered(DELIVERY_DEADLINE_MS);
    const missingNaturally = ledger.missing();
    const stuck = missingNaturally.map((id) => {
      const entry = ledger.entry(id)!;
      return `${entry.recipient} ${entry.conversationId}#${entry.seq} sent at +${entry.sentAt - t0} ms`;
    });
    if (!deliveredNaturally) {
      // Evidence for the report: would a fresh connection's sync bring them?
      const stuckRecipients = new Set(missingNaturally.map((id) => ledger.entry(id)!.recipient));
      for (const recipientId of stuckRecipients) {
        const sockets = recipientSockets[Number(recipientId.slice(1))]!;
        sockets.at(-1)?.terminate();
      }
      await ledger.allDelivered(RESYNC_DEADLINE_MS);
    }
    const deliveredAt = Date.now();

    // Nothing left in the outbox (entries delivered by sync may still await the relay's retry).
    let outbox = await stores[0]!.outbox.stats();
    await pollUntil(async () => {
      outbox = await stores[0]!.outbox.stats();
      return outbox.pending === 0;
    }, OUTBOX_DEADLINE_MS);
    const outboxSettledAt = Date.now();

    // Recovery: from start_app until the last message that was sent but not yet
    // delivered when start_app was issued reached its recipient.
    const backlog = ledger.select(
      (entry, seenAt) =>
        entry.sentAt <= times.startIssued && (seenAt === undefined || seenAt > times.startIssued),
    );
    const backlogSeen = backlog.map((id) => ledger.seenAt(id));
    const recovered = backlogSeen.every((at) => at !== undefined);
    const lastBacklogAt = Math.max(times.startIssued, ...backlogSeen.map((at) => at ?? 0));
    const sentAfterRecovery = ledger.select((entry) => entry.sentAt > times.running).length;
    const sentDuringOutage = ledger.select(
      (entry) => entry.sentAt >= times.stopIssued && entry.sentAt <= times.running,
    ).length;
    const summary = ledger.summary();
    const pgRestarted = (await postgresStartedAt(pgUrl!)) !== pgStartedBefore;
    const [statsA, statsB] = nodes.map((im) => im.stats());

    const rel = (at: number) => `+${((at - t0) / 1000).toFixed(1)} s`;
    printTable("RabbitMQ outage ledger (2 nodes, PostgreSQL store, AMQP broker)", [
      ...summaryRows(summary),
      ["missing after the natural wait", missingNaturally.length],
      ["outbox pending at the end", outbox.pending],
      ["sent between stop_app and check_running ok", sentDuringOutage],
      ["sent after check_running was ok", sentAfterRecovery],
      ["undelivered when start_app was issued", backlog.length],
      ["stop_app issued", rel(times.stopIssued)],
      ["stop_app took (ms)", times.stopped - times.stopIssued],
      ["start_app issued", rel(times.startIssued)],
      ["start_app took (ms)", times.startReturned - times.startIssued],
      ["start_app -> check_running ok (ms)", times.running - times.startIssued],
      [
        "recovery: start_app -> last backlog msg (ms)",
        recovered ? lastBacklogAt - times.startIssued : "not recovered",
      ],
      ["last send issued", rel(streamEnded)],
      ["all delivered / gave up", rel(deliveredAt)],
      ["outbox settled / gave up", rel(outboxSettledAt)],
      ["relayed by A / B", `${statsA?.relayed} / ${statsB?.relayed}`],
      ["PostgreSQL restarted meanwhile (not by us)", pgRestarted ? "YES" : "no"],
      ["run time (s)", ((Date.now() - t0) / 1000).toFixed(1)],
    ]);
    const tallies = [
      ...[...engineErrors].map(([k, v]) => `  engine ${k}: ${v}`),
      ...[...adapterErrors].map(([k, v]) => `  ${k}: ${v}`),
      ...[...clientErrors].map(([k, v]) => `  client ${k}: ${v}`),
      ...[...sendErrors].map(([k, v]) => `  send rejected ${k}: ${v}`),
    ];
    console.log(`errors reported during the run:\n${tallies.join("\n") || "  none"}`);
    if (stuck.length > 0) {
      console.log(
        `missing after ${DELIVERY_DEADLINE_MS} ms (then clients reconnected): ${stuck.length}\n  ${stuck.slice(0, 20).join("\n  ")}`,
      );
    }

    // The outage really happened in the middle of the stream.
    expect(sentDuringOutage).toBeGreaterThan(0);
    // The store stays up: a broker outage must not fail a send.
    expect(
      summary.rejected,
      pgRestarted ? "PostgreSQL was restarted during the run by something else" : "sends rejected",
    ).toBe(0);
    expect(summary.sent).toBe(PAIRS * PER_PAIR);
    expectDeliveredExactlyOnce(summary);
    expect(summary.delivered).toBe(summary.sent);
    // Delivered while connected, without a reconnect to force a sync.
    expect(stuck).toEqual([]);
    expect(outbox.pending).toBe(0);
  }, 400_000);
});
