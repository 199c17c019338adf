/**
 * Fault: the application's backend sends 1,000 messages through the server API
 * (`POST /server/messages`, docs/protocol.md §14) of a three-node cluster of chat-server
 * processes on PostgreSQL, RabbitMQ and Redis, and one node is SIGKILLed in the middle.
 *
 * The application does what the documentation tells it to: batches of 20, three batches in
 * flight, each to the next node; a batch whose request failed (the node died) or whose
 * messages came back `unavailable` is sent again, with the same `cid`s, to another node.
 * Recipients are connected across the three nodes; those on the killed node reconnect to the
 * others and sync.
 *
 * Done when: 0 lost (every recipient has every message meant for it, and the store holds the
 * 1,000 `cid`s), 0 duplicated (one stored message per `cid`, gapless seqs, no client saw a
 * message twice after its de-duplication), and repeating a `cid` returns the original message.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageFrame } from "@lucky-im/client";
import { SYSTEM_SENDER_ID } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import { SignJWT } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../examples/chat-server/test/helpers.js";
import { ensureBuilt, ServerProcess } from "../../examples/chat-server/test/server-process.js";
import { serviceUrl } from "../services.js";
import { type ClusterClient, createClusterClient } from "./cluster-client.js";
import { printTable } from "./delivery-ledger.js";
import { pollUntil } from "./polling.js";
import { clusterNodeEnv, dropClusterState } from "./shared-services.js";

const postgresUrl = await serviceUrl("postgres");
const redisUrl = await serviceUrl("redis");
const amqpUrl = await serviceUrl("amqp");

const JWT_SECRET = "server send fault test secret, at least 32 bytes";
const SECRET_KEY = new TextEncoder().encode(JWT_SECRET);
const SERVER_API_KEY = "server-send-fault-test-key-of-32-characters-or-more";
/** Messages the application sends. */
const TOTAL = 1_000;
/** Messages per `POST /server/messages`. */
const BATCH = 20;
/** Batches in flight at once. */
const WORKERS = 3;
/** The node dies when this batch is taken (about 30 % of the run). */
const KILL_AT_BATCH = 15;
/** Recipients (all members of the group too). */
const USERS = 8;
/** How long recipients may take to have every message after the run. */
const DELIVERY_DEADLINE_MS = 90_000;

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

interface Outcome {
  ok: boolean;
  created?: boolean;
  cid?: string;
  message?: { messageId: string; cid: string; conversationId: string; seq: number };
  error?: { code: string; message: string };
}

describe.runIf(postgresUrl && redisUrl && amqpUrl)(
  "server-side send through a three-node cluster while a node is killed",
  () => {
    const name = uniqueName("lim_ssend");
    const nodeIds = [`${name}_n0`, `${name}_n1`, `${name}_n2`];
    const servers = new Map<string, ServerProcess>();
    const clients: ClusterClient[] = [];
    const services = { postgres: postgresUrl!, amqp: amqpUrl!, redis: redisUrl! };
    let filesDir: string;
    let pool: pg.Pool;
    let httpUrls: string[] = [];
    let users: string[] = [];
    let groupId: string;

    beforeAll(async () => {
      await ensureBuilt();
    }, 600_000);

    beforeAll(async () => {
      filesDir = await mkdtemp(join(tmpdir(), "lucky-im-server-send-fault-"));
      pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
      const outcomes = await Promise.allSettled(
        nodeIds.map((id) =>
          ServerProcess.start({
            ...clusterNodeEnv(services, name, id),
            LUCKY_IM_JWT_SECRET: JWT_SECRET,
            LUCKY_IM_FILES_DIR: filesDir,
            LUCKY_IM_PASSWORD_HASH_LOG_N: "10",
            LUCKY_IM_REGISTER_LIMIT: "10000",
            LUCKY_IM_HASH_PER_IP: "10000",
            LUCKY_IM_SERVER_API_KEY: SERVER_API_KEY,
            LUCKY_IM_SERVER_API_LIMIT: "100000",
          }),
        ),
      );
      for (const [i, id] of nodeIds.entries()) {
        const outcome = outcomes[i]!;
        if (outcome.status === "fulfilled") servers.set(id, outcome.value);
      }
      const failed = outcomes.find((o) => o.status === "rejected");
      if (failed) throw failed.reason;
      httpUrls = nodeIds.map((id) => servers.get(id)!.url);
      const suffix = Math.random().toString(36).slice(2, 8);
      users = await Promise.all(
        Array.from({ length: USERS }, async (_, i) => {
          const answer = await api<{ userId: string }>(httpUrls[i % 3]!, "POST", "/auth/register", {
            body: { username: `ss${i}_${suffix}`, password: "server send test password" },
          });
          if (answer.status !== 201) throw new Error(`register: ${answer.status}`);
          return answer.body.userId;
        }),
      );
      const created = await api<{ groupId: string }>(httpUrls[0]!, "POST", "/groups", {
        token: await tokenFor(users[0]!),
        body: { name: "announcements", members: users.slice(1) },
      });
      if (created.status !== 201) throw new Error(`group: ${created.status}`);
      groupId = created.body.groupId;
    }, 180_000);

    afterAll(async () => {
      for (const server of servers.values()) server.kill();
      await Promise.allSettled(clients.map((c) => c.client.close()));
      if (filesDir) await rm(filesDir, { recursive: true, force: true });
      if (pool) await pool.end();
      await dropClusterState(services, name, nodeIds);
    }, 120_000);

    it("loses none of 1,000 messages, duplicates none, and a repeated cid returns the original", async () => {
      const wsUrls = httpUrls.map((u) => `${u.replace(/^http/, "ws")}/ws`);
      for (const [j, userId] of users.entries()) {
        clients.push(
          createClusterClient({
            userId,
            urls: () => wsUrls,
            start: j % 3,
            getToken: () => tokenFor(userId),
          }),
        );
      }
      await Promise.all(clients.map((c) => c.connect()));
      const onKilled = clients.filter((c) => c.nodeId === nodeIds[1]).length;
      expect(onKilled).toBeGreaterThan(0);

      // Every fourth message to the group (8 members), the others to one user each.
      const messages = Array.from({ length: TOTAL }, (_, i) => {
        const body = { type: "text", text: `notice ${i}` };
        return i % 4 === 3
          ? { groupId, body, cid: `m${i}` }
          : { to: users[i % USERS]!, body, cid: `m${i}` };
      });
      const recipientsOf = (i: number) => (i % 4 === 3 ? users : [users[i % USERS]!]);
      const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
        messages.slice(b * BATCH, (b + 1) * BATCH),
      );

      const stored = new Map<string, string>(); // cid -> messageId
      const counts = { requests: 0, failedRequests: 0, retriedMessages: 0, repeatsFound: 0 };
      let nextNode = 0;
      let nextBatch = 0;
      let killedAt: number | undefined;
      const send = async (batch: typeof messages) => {
        let pending = batch;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 30) throw new Error(`batch not stored after ${attempt} attempts`);
          if (attempt > 0) counts.retriedMessages += pending.length;
          const url = httpUrls[nextNode++ % httpUrls.length]!;
          counts.requests++;
          let results: Outcome[];
          try {
            const answer = await api<{ results: Outcome[] }>(url, "POST", "/server/messages", {
              token: SERVER_API_KEY,
              body: { messages: pending },
            });
            if (answer.status !== 200) throw new Error(`status ${answer.status}`);
            results = answer.body.results;
          } catch {
            // The node died (or is dying): the same cids to the next node.
            counts.failedRequests++;
            continue;
          }
          const again: typeof messages = [];
          for (const [k, result] of results.entries()) {
            if (result.ok) {
              const { cid, messageId } = result.message!;
              const earlier = stored.get(cid);
              if (earlier !== undefined) expect(messageId).toBe(earlier);
              stored.set(cid, messageId);
              if (!result.created) counts.repeatsFound++;
            } else {
              // Only a failure of the node or its store is worth a retry; anything else is a bug here.
              expect(["unavailable", "internal"]).toContain(result.error!.code);
              again.push(pending[k]!);
            }
          }
          pending = again;
        }
      };
      const worker = async () => {
        while (nextBatch < batches.length) {
          const index = nextBatch++;
          if (index === KILL_AT_BATCH) {
            servers.get(nodeIds[1]!)!.kill();
            killedAt = Date.now();
          }
          await send(batches[index]!);
        }
      };
      const started = Date.now();
      await Promise.all(Array.from({ length: WORKERS }, worker));
      const sendMs = Date.now() - started;
      expect(killedAt).toBeDefined();
      expect(stored.size).toBe(TOTAL);

      // 0 lost: every recipient has every message meant for it (live, or by sync after moving).
      const expected = new Map<ClusterClient, Set<string>>(clients.map((c) => [c, new Set()]));
      for (const [i, m] of messages.entries()) {
        for (const userId of recipientsOf(i)) {
          expected.get(clients.find((c) => c.userId === userId)!)!.add(stored.get(m.cid)!);
        }
      }
      const received = (c: ClusterClient) =>
        c.messages.filter((m: MessageFrame) => m.from === SYSTEM_SENDER_ID);
      const missing = () =>
        clients.reduce((sum, c) => {
          const got = new Set(received(c).map((m) => m.messageId));
          return sum + [...expected.get(c)!].filter((id) => !got.has(id)).length;
        }, 0);
      const deliveredAll = await pollUntil(() => missing() === 0, DELIVERY_DEADLINE_MS);
      const lost = missing();

      // 0 duplicated: no client saw a message twice; the store holds one message per cid, gapless.
      const duplicatesSeen = clients.reduce((sum, c) => {
        const ids = received(c).map((m) => m.messageId);
        return sum + ids.length - new Set(ids).size;
      }, 0);
      const schema = `"${name}"`;
      const rows = await pool.query<{ cid: string; message_id: string }>(
        `SELECT cid, message_id FROM ${schema}.messages WHERE sender_id = $1`,
        [SYSTEM_SENDER_ID],
      );
      const storedCids = new Set(rows.rows.map((r) => r.cid));
      const gaps = await pool.query<{ conversation_id: string }>(
        `SELECT conversation_id FROM ${schema}.messages GROUP BY conversation_id
         HAVING count(*) <> max(seq) OR min(seq) <> 1`,
      );
      const systemFlagged = clients.every((c) => received(c).every((m) => m.system === true));

      // A repeated cid returns the original (on a node that did not store it, maybe).
      const repeat = await api<{ results: Outcome[] }>(httpUrls[2]!, "POST", "/server/messages", {
        token: SERVER_API_KEY,
        body: { messages: batches[KILL_AT_BATCH]! },
      });
      const single = await api<{ created: boolean; message: { messageId: string } }>(
        httpUrls[0]!,
        "POST",
        "/server/messages",
        { token: SERVER_API_KEY, body: messages[0] },
      );

      printTable("Server-side send: 1,000 messages, node n1 SIGKILLed at batch 15", [
        ["messages sent (cids)", TOTAL],
        ["recipients on the killed node", onKilled],
        ["requests / failed requests", `${counts.requests} / ${counts.failedRequests}`],
        ["messages sent again", counts.retriedMessages],
        ["of them found stored (created: false)", counts.repeatsFound],
        ["stored messages / distinct cids", `${rows.rowCount} / ${storedCids.size}`],
        ["lost (missing at a recipient)", lost],
        ["duplicated (seen twice by a client)", duplicatesSeen],
        ["send time (ms)", sendMs],
      ]);

      expect(deliveredAll, `${lost} messages missing at recipients`).toBe(true);
      expect(lost).toBe(0);
      expect(duplicatesSeen).toBe(0);
      expect(rows.rowCount).toBe(TOTAL);
      expect(storedCids.size).toBe(TOTAL);
      for (const row of rows.rows) expect(stored.get(row.cid)).toBe(row.message_id);
      expect(gaps.rows).toEqual([]);
      expect(systemFlagged).toBe(true);
      expect(repeat.status).toBe(200);
      expect(
        repeat.body.results.every(
          (r) => r.ok && r.created === false && stored.get(r.message!.cid) === r.message!.messageId,
        ),
      ).toBe(true);
      expect(single.status).toBe(200);
      expect(single.body.created).toBe(false);
      expect(single.body.message.messageId).toBe(stored.get("m0"));
    });
  },
);
