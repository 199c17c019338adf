/**
 * Append throughput and latency of @lucky-im/store-postgres, beside plain
 * `pg` baselines measured in the same run.
 *
 *   npx tsx packages/store-postgres/bench/append.ts [--seconds 3] [--url postgres://...]
 *
 * Rows (each at concurrency 1, 16 and 256; every concurrent caller appends
 * to its own direct conversation, in a loop, for `--seconds`):
 * - store, group commit on: `messages.append` (dedupe, seq from the
 *   conversation row, message + outbox, cursors) with the default 1 ms window.
 * - store, group commit off: the same, one transaction per append.
 * - pg, 1 msg/txn: BEGIN; INSERT message; INSERT outbox; COMMIT per message,
 *   into tables shaped like the store's (same columns and indexes, no seq
 *   allocation, no dedupe query, no foreign keys): a lower bound of what one
 *   transaction per message costs.
 * - pg, 100 msgs/txn: the same rows, 100 per transaction (multi-row inserts),
 *   ceil(concurrency / 100) transactions in flight; a message's latency is
 *   its batch's.
 * Figures are from a shared, noisy machine: compare rows of one run only.
 */
import { parseArgs } from "node:util";
import { directConversationId, type MessageDraft, newMessageId } from "@lucky-im/core";
import pg from "pg";
import { createPostgresStore } from "../src/index.js";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "3" }, url: { type: "string" } },
});
const url =
  values.url ?? process.env.LUCKY_IM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const seconds = Number(values.seconds);
const schema = `lim_bench_${Date.now().toString(36)}`;
const CONCURRENCY = [1, 16, 256];
const POOL_SIZE = 10;

interface Row {
  mode: string;
  concurrency: number;
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `concurrency` loops of `op` for `seconds`; each op reports how many messages it wrote. */
async function measure(
  mode: string,
  concurrency: number,
  op: (worker: number) => Promise<number>,
): Promise<Row> {
  const samples: number[] = [];
  let count = 0;
  let failures = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const n = await op(worker);
          const latency = performance.now() - t0;
          for (let i = 0; i < n; i++) samples.push(latency);
          count += n;
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  samples.sort((a, b) => a - b);
  return {
    mode,
    concurrency,
    count,
    perSecond: count / elapsed,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    failures,
  };
}

let counter = 0;
function draftFor(worker: number, tag: string): MessageDraft {
  const [a, b] = [`${tag}w${worker}a`, `${tag}w${worker}b`];
  counter++;
  return {
    messageId: newMessageId(),
    conversationId: directConversationId(a, b),
    from: a,
    to: { type: "user", id: b },
    body: { type: "text", text: `benchmark message ${counter} with some typical length 🙂` },
    cid: `c${counter}`,
    ts: Date.now(),
    participants: [a, b],
  };
}

async function main(): Promise<void> {
  const withGroupCommit = await createPostgresStore({
    connectionString: url,
    schema,
    maxConnections: POOL_SIZE,
  });
  const withoutGroupCommit = await createPostgresStore({
    connectionString: url,
    schema,
    maxConnections: POOL_SIZE,
    groupCommit: false,
  });
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  const s = `"${schema}"`;
  await pool.query(`CREATE TABLE ${s}.base_messages (LIKE ${s}.messages INCLUDING ALL)`);
  await pool.query(`CREATE TABLE ${s}.base_outbox (LIKE ${s}.outbox INCLUDING ALL)`);
  const baseSeq = new Map<string, number>();
  const nextSeq = (conversationId: string) => {
    const seq = (baseSeq.get(conversationId) ?? 0) + 1;
    baseSeq.set(conversationId, seq);
    return seq;
  };
  const insertMessage = `INSERT INTO ${s}.base_messages
    (conversation_id, seq, message_id, sender_id, cid, to_type, to_id, body, sent_at)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::timestamptz[])`;
  const insertOutbox = `INSERT INTO ${s}.base_outbox (message_id, conversation_id, next_attempt_at, created_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])`;

  async function baseline(drafts: MessageDraft[]): Promise<number> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(insertMessage, [
        drafts.map((d) => d.conversationId),
        drafts.map((d) => nextSeq(d.conversationId)),
        drafts.map((d) => d.messageId),
        drafts.map((d) => d.from),
        drafts.map((d) => d.cid),
        drafts.map((d) => d.to.type),
        drafts.map((d) => d.to.id),
        drafts.map((d) => JSON.stringify(d.body)),
        drafts.map((d) => new Date(d.ts)),
      ]);
      await client.query(insertOutbox, [
        drafts.map((d) => d.messageId),
        drafts.map((d) => d.conversationId),
        drafts.map((d) => new Date(d.ts + 2000)),
        drafts.map((d) => new Date(d.ts)),
      ]);
      await client.query("COMMIT");
      return drafts.length;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  // Warm up connections and caches.
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => withGroupCommit.messages.append(draftFor(i, "warm"))),
  );
  await Promise.all(Array.from({ length: 20 }, (_, i) => baseline([draftFor(i, "warmb")])));

  const rows: Row[] = [];
  let run = 0;
  for (const concurrency of CONCURRENCY) {
    run++;
    const tag = `r${run}`;
    rows.push(
      await measure("store, group commit on", concurrency, async (w) => {
        await withGroupCommit.messages.append(draftFor(w, `${tag}gc`));
        return 1;
      }),
    );
    rows.push(
      await measure("store, group commit off", concurrency, async (w) => {
        await withoutGroupCommit.messages.append(draftFor(w, `${tag}single`));
        return 1;
      }),
    );
    rows.push(
      await measure("pg baseline, 1 msg/txn", concurrency, (w) =>
        baseline([draftFor(w, `${tag}b1`)]),
      ),
    );
    rows.push(
      await measure("pg baseline, 100 msgs/txn", Math.ceil(concurrency / 100), (w) =>
        baseline(Array.from({ length: 100 }, (_, i) => draftFor(w * 100 + i, `${tag}b100`))),
      ),
    );
    rows[rows.length - 1]!.concurrency = concurrency;
  }

  const header = ["mode", "concurrency", "appends/s", "p50 ms", "p99 ms", "failed"];
  const table = rows.map((r) => [
    r.mode,
    String(r.concurrency),
    r.perSecond.toFixed(0),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    String(r.failures),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(
    `\nappend benchmark: ${seconds} s per row, pool ${POOL_SIZE} connections, PostgreSQL at ${url.replace(/\/\/[^@]*@/, "//")}\n`,
  );
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));

  await withGroupCommit.close();
  await withoutGroupCommit.close();
  await pool.query(`DROP SCHEMA ${s} CASCADE`);
  await pool.end();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
