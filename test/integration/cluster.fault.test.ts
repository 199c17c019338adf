/**
 * Fault: a cluster of real chat-server processes (`node examples/chat-server/dist/main.js`,
 * separate OS processes on separate ports) sharing PostgreSQL, RabbitMQ and Redis.
 *
 * 1. Any node accepts any user: 1:1 and group messages (20 members over 3
 *    nodes) cross nodes; a user with two devices on two nodes gets every
 *    message on both; a group message makes at most 2 broker publishes from
 *    the sending node (once per other node, read from `/metrics`).
 * 2. SIGKILL of one node in the middle of a stream: its clients reconnect to
 *    the other nodes and sync; every `sent` message reaches its recipient,
 *    none twice after de-duplication; the dead node's presence key expires
 *    within the TTL and its session entries go at the next lookup.
 * 3. SIGTERM of another node in the middle of a stream: it drains (clients
 *    get 1001, exit code 0), the clients reconnect to the last node, nothing lost.
 * 4. Two fresh nodes with `LUCKY_IM_MULTI_DEVICE=one-per-device-class`: a
 *    second "phone" session on one node replaces the first on the other (4409).
 *
 * Clients get a list of node URLs and move on to the next one after every
 * disconnect (see cluster-client.ts). Ledgers of the two streams are printed.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { amqpTopology } from "@lucky-im/broker-amqp";
import type { MessageFrame } from "@lucky-im/client";
import { uniqueName } from "@lucky-im/core/testing";
import { connect as amqpConnect } from "amqplib";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../examples/chat-server/test/helpers.js";
import { ensureBuilt, ServerProcess } from "../../examples/chat-server/test/server-process.js";
import { serviceUrl } from "../services.js";
import { type ClusterClient, createClusterClient } from "./cluster-client.js";
import {
  DeliveryLedger,
  expectDeliveredExactlyOnce,
  printTable,
  summaryRows,
} from "./delivery-ledger.js";
import { pollUntil, sleep } from "./polling.js";
import { CLUSTER_METRICS_TOKEN, clusterNodeEnv, dropClusterState } from "./shared-services.js";
import { streamWithFault } from "./stream-with-fault.js";

const postgresUrl = await serviceUrl("postgres");
const redisUrl = await serviceUrl("redis");
const amqpUrl = await serviceUrl("amqp");

const JWT_SECRET = "cluster fault test secret, at least 32 bytes long";
const SECRET_KEY = new TextEncoder().encode(JWT_SECRET);
/**
 * The presence node TTL: the chat server uses createRedisPresence's default
 * (30 s) and has no variable to lower it.
 */
const PRESENCE_TTL_MS = 30_000;
/** Stream: each sender sends one message every this many ms. */
const SEND_INTERVAL_MS = 400;
/** Sender/recipient pairs of the streams. */
const PAIRS = 12;
/** How long the clients may take to get every `sent` message after a stream. */
const DELIVERY_DEADLINE_MS = 60_000;

/** A fresh HS256 access token with exactly the claims the protocol says a server must accept. */
function tokenFor(userId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuer("lucky-im")
    .setAudience("lucky-im")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(SECRET_KEY);
}

/** One counter or gauge of a node's `/metrics` (0 when absent). */
async function metric(baseUrl: string, name: string): Promise<number> {
  const answer = await api<string>(baseUrl, "GET", "/metrics", { token: CLUSTER_METRICS_TOKEN });
  const line = answer.body.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/** The metric once two reads 300 ms apart agree (nothing in flight). */
async function settledMetric(baseUrl: string, name: string): Promise<number> {
  let last = await metric(baseUrl, name);
  for (let i = 0; i < 30; i++) {
    await sleep(300);
    const now = await metric(baseUrl, name);
    if (now === last) return now;
    last = now;
  }
  return last;
}

const median = (values: number[]) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe.runIf(postgresUrl && redisUrl && amqpUrl)(
  "a three-node cluster of chat-server processes",
  () => {
    const name = uniqueName("lim_cluster");
    const nodeIds = [`${name}_n0`, `${name}_n1`, `${name}_n2`];
    const policyNodeIds = [`${name}_p0`, `${name}_p1`];
    const servers = new Map<string, ServerProcess>();
    const clients: ClusterClient[] = [];
    const presenceKey = (nodeId: string) => `${name}:presence:node:${nodeId}`;
    let filesDir: string;
    let redis: Redis;
    let pool: pg.Pool;
    /** HTTP base URLs of n0..n2. */
    let httpUrls: string[] = [];
    let wsUrls: string[] = [];
    /** Registered users: 19 singles, the two-device user, their peer, then the stream users. */
    let users: string[] = [];

    const services = { postgres: postgresUrl!, amqp: amqpUrl!, redis: redisUrl! };
    const env = (nodeId: string, extra: Record<string, string> = {}) => ({
      ...clusterNodeEnv(services, name, nodeId),
      LUCKY_IM_JWT_SECRET: JWT_SECRET,
      LUCKY_IM_FILES_DIR: filesDir,
      LUCKY_IM_PASSWORD_HASH_LOG_N: "10",
      LUCKY_IM_REGISTER_LIMIT: "10000",
      // Dozens of users register at once from this address and write to strangers.
      LUCKY_IM_HASH_QUEUE: "10000",
      LUCKY_IM_HASH_PER_IP: "10000",
      LUCKY_IM_NEW_DIRECT_LIMIT: "10000",
      LUCKY_IM_STRANGER_ADD_LIMIT: "10000",
      ...extra,
    });

    const startNodes = async (ids: string[], extra: Record<string, string> = {}) => {
      const outcomes = await Promise.allSettled(
        ids.map((id) => ServerProcess.start(env(id, extra))),
      );
      // Keep every process that did start, so that afterAll kills it even if another failed.
      for (const [i, id] of ids.entries()) {
        const outcome = outcomes[i]!;
        if (outcome.status === "fulfilled") servers.set(id, outcome.value);
      }
      const failed = outcomes.find((o) => o.status === "rejected");
      if (failed) throw failed.reason;
      return ids.map((id) => servers.get(id)!);
    };

    const newClient = (
      userId: string,
      urls: () => readonly string[],
      start: number,
      extra: Partial<Parameters<typeof createClusterClient>[0]> = {},
    ) => {
      const c = createClusterClient({
        userId,
        urls,
        start,
        getToken: () => tokenFor(userId),
        ...extra,
      });
      clients.push(c);
      return c;
    };

    const closeClients = async (list: ClusterClient[]) => {
      await Promise.allSettled(list.map((c) => c.client.close()));
    };

    /** Dead-node session entries still in the users' presence hashes. */
    const sessionEntriesOf = async (nodeId: string): Promise<number> => {
      let count = 0;
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(
          cursor,
          "MATCH",
          `${name}:presence:u:*`,
          "COUNT",
          500,
        );
        cursor = next;
        for (const key of keys) {
          const values = Object.values(await redis.hgetall(key));
          count += values.filter((v) => v.startsWith(`${nodeId}\0`)).length;
        }
      } while (cursor !== "0");
      return count;
    };

    beforeAll(async () => {
      await ensureBuilt();
    }, 600_000);

    beforeAll(async () => {
      filesDir = await mkdtemp(join(tmpdir(), "lucky-im-cluster-fault-"));
      redis = new Redis(redisUrl!);
      pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
      // All three at once: migrations and the shared login key cope with a concurrent start.
      const started = await startNodes(nodeIds);
      httpUrls = started.map((s) => s.url);
      wsUrls = httpUrls.map((u) => `${u.replace(/^http/, "ws")}/ws`);
      // Registered users: POST /groups refuses ids the auth store does not know.
      const suffix = Math.random().toString(36).slice(2, 8);
      const count = 21 + 2 * PAIRS;
      users = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const answer = await api<{ userId: string }>(httpUrls[i % 3]!, "POST", "/auth/register", {
            body: { username: `cl${i}_${suffix}`, password: "cluster test password" },
          });
          if (answer.status !== 201) {
            throw new Error(`register: ${answer.status} ${JSON.stringify(answer.body)}`);
          }
          return answer.body.userId;
        }),
      );
    }, 180_000);

    afterAll(async () => {
      // Processes first, whatever else fails.
      for (const server of servers.values()) server.kill();
      const problems: unknown[] = [];
      const step = async (task: () => Promise<unknown>) => {
        try {
          await task();
        } catch (error) {
          problems.push(error);
        }
      };
      await step(() => closeClients(clients));
      if (filesDir) await step(() => rm(filesDir, { recursive: true, force: true }));
      if (pool) await step(() => pool.end());
      if (redis) await step(() => redis.quit());
      await step(() => dropClusterState(services, name, [...nodeIds, ...policyNodeIds]));
      if (problems.length > 0) throw new AggregateError(problems, "cluster test cleanup failed");
    }, 120_000);

    it("routes 1:1 and group messages across nodes, to both devices of a user, once per node", async () => {
      const urls = () => wsUrls;
      const singles = users.slice(0, 19).map((userId, j) => newClient(userId, urls, j % 3));
      const dualId = users[19]!;
      const phone = newClient(dualId, urls, 0, { device: { id: "phone", class: "phone" } });
      const desktop = newClient(dualId, urls, 1, { device: { id: "desk", class: "desktop" } });
      const peer = newClient(users[20]!, urls, 2);
      const phaseClients = [...singles, phone, desktop, peer];
      await Promise.all(phaseClients.map((c) => c.connect()));
      for (const [j, c] of singles.entries()) expect(c.nodeId).toBe(nodeIds[j % 3]);
      expect([phone.nodeId, desktop.nodeId, peer.nodeId]).toEqual([
        nodeIds[0],
        nodeIds[1],
        nodeIds[2],
      ]);

      // A group of 20: the 19 singles (over n0, n1, n2) and the two-device user (n0 and n1).
      const owner = singles[0]!;
      const created = await api<{ groupId: string }>(httpUrls[0]!, "POST", "/groups", {
        token: await tokenFor(owner.userId),
        body: { name: "cluster", members: [...users.slice(1, 20)] },
      });
      expect(created.status).toBe(201);
      const groupId = created.body.groupId;
      const members = [...singles, phone, desktop];
      const has = (c: ClusterClient, pred: (m: MessageFrame) => boolean) => c.messages.some(pred);

      // One group message from each node, alone: the publishes of the sending node are counted.
      const publishes: number[] = [];
      for (let k = 0; k < 3; k++) {
        const sender = singles[k]!;
        const before = await settledMetric(httpUrls[k]!, "lucky_im_envelopes_published_total");
        const sent = await sender.client.send(
          { type: "group", id: groupId },
          { type: "text", text: `group from n${k}` },
        );
        expect(sent.conversationId).toBe(`g:${groupId}`);
        const others = members.filter((c) => c !== sender);
        const arrived = await pollUntil(
          () => others.every((c) => has(c, (m) => m.messageId === sent.messageId)),
          30_000,
        );
        expect(
          arrived,
          `missing at ${others.filter((c) => !has(c, (m) => m.messageId === sent.messageId)).map((c) => c.userId)}`,
        ).toBe(true);
        const after = await settledMetric(httpUrls[k]!, "lucky_im_envelopes_published_total");
        publishes.push(after - before);
      }
      printTable(
        "Group message (20 members over 3 nodes): broker publishes from the sender's node",
        [
          ["sent from n0", publishes[0]!],
          ["sent from n1", publishes[1]!],
          ["sent from n2", publishes[2]!],
        ],
      );
      for (const count of publishes) {
        expect(count).toBeGreaterThanOrEqual(1);
        expect(count).toBeLessThanOrEqual(2);
      }

      // 1:1 across nodes: single j (node j % 3) to single j + 1 (node (j + 1) % 3).
      const direct = await Promise.all(
        singles
          .slice(0, 18)
          .map((c, j) =>
            c.client.send(
              { type: "user", id: singles[j + 1]!.userId },
              { type: "text", text: `d${j}` },
            ),
          ),
      );
      expect(
        await pollUntil(
          () => direct.every((s, j) => has(singles[j + 1]!, (m) => m.messageId === s.messageId)),
          30_000,
        ),
      ).toBe(true);
      direct.forEach((s, j) => {
        const got = singles[j + 1]!.messages.find((m) => m.messageId === s.messageId)!;
        expect(got).toMatchObject({
          from: singles[j]!.userId,
          body: { type: "text", text: `d${j}` },
        });
      });

      // The two-device user: the peer (n2) writes, both devices (n0, n1) get everything.
      const fromPeer: Array<{ messageId: string }> = [];
      for (let i = 0; i < 3; i++) {
        fromPeer.push(
          await peer.client.send({ type: "user", id: dualId }, { type: "text", text: `p${i}` }),
        );
      }
      // Its phone answers: the peer and the desktop get it, the phone gets `sent`.
      const reply = await phone.client.send(
        { type: "user", id: peer.userId },
        { type: "text", text: "r" },
      );
      const expected = [...fromPeer.map((s) => s.messageId), reply.messageId];
      expect(
        await pollUntil(
          () =>
            expected.every((id) => has(desktop, (m) => m.messageId === id)) &&
            fromPeer.every((s) => has(phone, (m) => m.messageId === s.messageId)) &&
            has(peer, (m) => m.messageId === reply.messageId),
          30_000,
        ),
      ).toBe(true);
      expect(has(phone, (m) => m.messageId === reply.messageId)).toBe(false);
      // Every group message on both devices too, each exactly once per client.
      for (const device of [phone, desktop]) {
        const ids = device.messages.map((m) => m.messageId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(device.messages.filter((m) => m.conversationId === `g:${groupId}`)).toHaveLength(3);
      }
      await closeClients(phaseClients);
    });

    /** Sender/recipient pairs of the streams, created once: the SIGTERM stream goes on with them. */
    const stream = {
      senders: [] as ClusterClient[],
      recipients: [] as ClusterClient[],
      ledger: new DeliveryLedger(),
    };

    /**
     * Sends `rounds` messages from every sender to its recipient, one every
     * SEND_INTERVAL_MS per sender (staggered), and runs `fault` after `faultAtMs`.
     */
    const runStream = (
      tag: string,
      rounds: number,
      faultAtMs: number,
      fault: () => Promise<void>,
    ) =>
      streamWithFault({
        ledger: stream.ledger,
        senders: stream.senders.map((c) => c.client),
        recipients: stream.recipients.map((c) => c.userId),
        rounds,
        intervalMs: SEND_INTERVAL_MS,
        tag,
        faultAtMs,
        fault,
      });

    /** Waits for every `sent` message of the stream: how long that took (ms), or "never". */
    const timeToDeliverAll = async (): Promise<number | "never"> => {
      const from = Date.now();
      const delivered = await stream.ledger.allDelivered(DELIVERY_DEADLINE_MS, 200);
      return delivered ? Date.now() - from : "never";
    };

    /** Counts by key as `key: n, ...` for a table cell ("none" when empty). */
    const formatCounts = (counts: Map<string, number>) =>
      [...counts].map(([k, v]) => `${k}: ${v}`).join(", ") || "none";

    /** Time from `at` to each client's first `ready` after it, on another node. */
    const reconnectTimes = (moved: ClusterClient[], at: number, from: string) =>
      moved.map((c) => {
        const ready = c.readies.find((r) => r.at > at && r.nodeId !== from);
        return ready ? ready.at - at : Number.POSITIVE_INFINITY;
      });

    it("loses nothing when a node is killed (SIGKILL) mid-stream; its presence expires within the TTL", async () => {
      const urls = () => wsUrls;
      const streamUsers = users.slice(21);
      for (let i = 0; i < PAIRS; i++) {
        const senderId = streamUsers[i]!;
        const recipientId = streamUsers[PAIRS + i]!;
        stream.senders.push(newClient(senderId, urls, i % 3));
        const recipient = newClient(recipientId, urls, (i + 1) % 3, {
          hooks: { raw: (messageId, bySync) => stream.ledger.raw(recipientId, messageId, bySync) },
        });
        recipient.client.on("message", (m) => stream.ledger.received(recipientId, senderId, m));
        stream.recipients.push(recipient);
      }
      const streamClients = [...stream.senders, ...stream.recipients];
      await Promise.all(streamClients.map((c) => c.connect()));

      const dead = nodeIds[0]!;
      let killAt = 0;
      let moved: ClusterClient[] = [];
      let pttlAtKill = 0;
      let presenceGone: Promise<number | undefined> = Promise.resolve(undefined);
      let exitCode: number | null = -1;
      const t0 = Date.now();
      const { sendErrors } = await runStream("k", 40, 5_000, async () => {
        moved = streamClients.filter((c) => c.nodeId === dead);
        killAt = Date.now();
        exitCode = await servers.get(dead)!.stop("SIGKILL");
        pttlAtKill = await redis.pttl(presenceKey(dead));
        presenceGone = (async () => {
          const gone = await pollUntil(
            async () => (await redis.exists(presenceKey(dead))) === 0,
            PRESENCE_TTL_MS + 10_000,
            250,
          );
          return gone ? Date.now() - killAt : undefined;
        })();
      });
      const deliveredAfter = await timeToDeliverAll();

      // Presence: the node key expires by itself; the sessions it listed go at the next lookup.
      const goneAfterMs = await presenceGone;
      const entriesAfterExpiry = await sessionEntriesOf(dead);
      // One more message per pair: the engine's lookup of both participants drops them.
      const probes = await Promise.all(
        stream.senders.map((c, i) =>
          c.client.send(
            { type: "user", id: stream.recipients[i]!.userId },
            { type: "text", text: `probe${i}` },
          ),
        ),
      );
      for (const [i, result] of probes.entries()) {
        stream.ledger.sent(result.messageId, {
          recipient: stream.recipients[i]!.userId,
          conversationId: result.conversationId,
          seq: result.seq,
          sentAt: Date.now(),
        });
      }
      await stream.ledger.allDelivered(30_000, 200);
      const entriesAfterLookup = await sessionEntriesOf(dead);
      const nodeSessionsLeft = await redis.exists(`${name}:presence:nodesessions:${dead}`);
      // Until the TTL ran out the dead node still counted as present: what was published to it waits there.
      const amqpConnection = await amqpConnect(amqpUrl!);
      let deadQueueDepth: number | string = "?";
      try {
        const channel = await amqpConnection.createChannel();
        deadQueueDepth = (await channel.checkQueue(amqpTopology(name).nodeQueue(dead)))
          .messageCount;
      } finally {
        await amqpConnection.close();
      }

      // Sizing: what a live node weighs after taking over the killed node's clients.
      const live = [httpUrls[1]!, httpUrls[2]!];
      const rssMb = await Promise.all(
        live.map(async (u) =>
          Math.round((await metric(u, "process_resident_memory_bytes")) / 2 ** 20),
        ),
      );
      const lagP99Ms = await Promise.all(
        live.map(async (u) =>
          ((await metric(u, "nodejs_eventloop_lag_p99_seconds")) * 1000).toFixed(0),
        ),
      );
      const summary = stream.ledger.summary();
      const reconnects = reconnectTimes(moved, killAt, dead);
      printTable("SIGKILL ledger (3 chat-server processes, 12 pairs, 1 node killed mid-stream)", [
        ...summaryRows(summary),
        ["clients on the killed node", moved.length],
        ["reconnect: kill -> ready elsewhere, median (ms)", median(reconnects)],
        ["reconnect: kill -> ready elsewhere, max (ms)", Math.max(...reconnects)],
        ["killed at (ms after stream start)", killAt - t0],
        ["stream end -> all delivered (ms)", deliveredAfter],
        ["presence key PTTL right after the kill (ms)", pttlAtKill],
        ["presence key gone after (ms, TTL 30000)", goneAfterMs ?? "not within TTL + 10 s"],
        ["dead-node session entries after expiry", entriesAfterExpiry],
        ["... after the next lookup (probe messages)", entriesAfterLookup],
        ["envelopes left in the dead node's queue", deadQueueDepth],
        ["RSS of n1 / n2 afterwards (MiB)", rssMb.join(" / ")],
        ["event-loop lag p99 of n1 / n2 (ms)", lagP99Ms.join(" / ")],
        ["send errors", formatCounts(sendErrors)],
      ]);

      expect(exitCode).toBeNull(); // killed by the signal
      expect(moved.length).toBeGreaterThan(0);
      for (const t of reconnects) expect(t).toBeLessThan(Number.POSITIVE_INFINITY);
      expect(summary.sent).toBe(PAIRS * 40 + PAIRS);
      expect(summary.rejected).toBe(0);
      expectDeliveredExactlyOnce(summary);
      expect(pttlAtKill).toBeGreaterThan(0);
      expect(pttlAtKill).toBeLessThanOrEqual(PRESENCE_TTL_MS);
      // Gone by itself (the wait is bounded by TTL + 10 s); how long it took is printed, not asserted.
      expect(goneAfterMs).toBeDefined();
      expect(entriesAfterLookup).toBe(0);
      expect(nodeSessionsLeft).toBe(0);
    });

    it("drains a node stopped with SIGTERM mid-stream: 1001, reconnect elsewhere, nothing lost", async () => {
      expect(stream.ledger.missing()).toEqual([]);
      stream.ledger = new DeliveryLedger();
      const streamClients = [...stream.senders, ...stream.recipients];
      const draining = nodeIds[1]!;
      let termAt = 0;
      let moved: ClusterClient[] = [];
      let exitCode: number | null = -1;
      let keyAfterExit = -1;
      let exitedAt = 0;
      const t0 = Date.now();
      const { sendErrors } = await runStream("t", 30, 4_000, async () => {
        moved = streamClients.filter((c) => c.nodeId === draining);
        termAt = Date.now();
        exitCode = await servers.get(draining)!.stop("SIGTERM");
        exitedAt = Date.now();
        keyAfterExit = await redis.exists(presenceKey(draining));
      });
      const deliveredAfter = await timeToDeliverAll();
      const summary = stream.ledger.summary();
      const reconnects = reconnectTimes(moved, termAt, draining);
      const closeCodes = moved.map((c) => c.disconnects.find((d) => d.at >= termAt)?.code);
      // The server's own view of the drain: from its "shutting down" line to its "closed" line.
      const logTime = (msg: string) =>
        servers.get(draining)!.lines.find((l) => l.msg === msg)?.time as number | undefined;
      const drainLogMs =
        (logTime("closed") ?? Number.NaN) - (logTime("shutting down") ?? Number.NaN);
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "${name}".outbox WHERE status = 'pending'`,
      );
      printTable("SIGTERM ledger (2 live nodes left, 12 pairs, 1 node drained mid-stream)", [
        ...summaryRows(summary),
        ["clients on the drained node", moved.length],
        ["their close codes", [...new Set(closeCodes)].join(", ")],
        ["reconnect: SIGTERM -> ready elsewhere, median (ms)", median(reconnects)],
        ["reconnect: SIGTERM -> ready elsewhere, max (ms)", Math.max(...reconnects)],
        ["drain: SIGTERM -> process exit (ms)", exitedAt - termAt],
        ["drain: 'shutting down' -> 'closed' in its log (ms)", drainLogMs],
        ["exit code", String(exitCode)],
        ["presence key left after exit", keyAfterExit],
        ["SIGTERM at (ms after stream start)", termAt - t0],
        ["stream end -> all delivered (ms)", deliveredAfter],
        ["outbox entries pending (whole cluster)", rows[0]!.n],
        ["send errors", formatCounts(sendErrors)],
      ]);

      expect(exitCode).toBe(0);
      expect(moved.length).toBeGreaterThan(0);
      expect(closeCodes).toEqual(moved.map(() => 1001));
      for (const t of reconnects) expect(t).toBeLessThan(Number.POSITIVE_INFINITY);
      expect(keyAfterExit).toBe(0);
      expect(summary.sent).toBe(PAIRS * 30);
      expect(summary.rejected).toBe(0);
      expectDeliveredExactlyOnce(summary);
      await closeClients(streamClients);
    });

    it("replaces an older session of the same device class on another node (4409) under one-per-device-class", async () => {
      // The last multi-device node leaves first: one policy per cluster.
      expect(await servers.get(nodeIds[2]!)!.stop("SIGTERM")).toBe(0);
      const started = await startNodes(policyNodeIds, {
        LUCKY_IM_MULTI_DEVICE: "one-per-device-class",
      });
      const urls = started.map((s) => `${s.url.replace(/^http/, "ws")}/ws`);
      const [userId, friendId] = [users[0]!, users[1]!];
      const phone1 = newClient(userId, () => urls, 0, {
        device: { id: "phone-1", class: "phone" },
      });
      const desk = newClient(userId, () => urls, 0, { device: { id: "desk", class: "desktop" } });
      const friend = newClient(friendId, () => urls, 0);
      await Promise.all([phone1.connect(), desk.connect(), friend.connect()]);
      const phone2 = newClient(userId, () => urls, 1, {
        device: { id: "phone-2", class: "phone" },
      });
      await phone2.connect();
      expect([phone1.nodeId, desk.nodeId, phone2.nodeId]).toEqual([
        policyNodeIds[0],
        policyNodeIds[0],
        policyNodeIds[1],
      ]);

      expect(await pollUntil(() => phone1.disconnects.length > 0, 30_000)).toBe(true);
      expect(phone1.disconnects[0]).toMatchObject({ code: 4409, willReconnect: false });
      expect(phone1.errors).toContain("conflict");

      const sent = await friend.client.send(
        { type: "user", id: userId },
        { type: "text", text: "hi" },
      );
      expect(
        await pollUntil(
          () => [phone2, desk].every((c) => c.messages.some((m) => m.messageId === sent.messageId)),
          30_000,
        ),
      ).toBe(true);
      expect(phone1.messages.some((m) => m.messageId === sent.messageId)).toBe(false);
      expect(desk.disconnects).toEqual([]);
      expect(phone1.disconnects).toHaveLength(1);
      await closeClients([phone1, desk, friend, phone2]);
      expect(await Promise.all(started.map((s) => s.stop("SIGTERM")))).toEqual([0, 0]);
    });
  },
);
