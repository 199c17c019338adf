import { directConversationId, groupConversationId } from "@lucky-im/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "../src/index.js";
import { draft, dropSchema, pgUrl, testSchema } from "./helpers.js";

/**
 * Runs the store's real queries against a realistically filled schema
 * (ANALYZEd, default planner settings: enable_seqscan stays on) and checks
 * with EXPLAIN that none reads messages, outbox, cursors or group_members by
 * a sequential scan. The queries are captured from the store's own pool, so
 * the test explains exactly what the store sends.
 */

const schema = testSchema("explain");
const HOT_TABLES = new Set([
  "messages",
  "outbox",
  "cursors",
  "group_members",
  "contacts",
  "contact_requests",
  "blocks",
  "privacy_settings",
  "profiles",
]);

interface Captured {
  text: string;
  values: unknown[];
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode, found: string[] = []): string[] {
  if (node["Node Type"] === "Seq Scan" && HOT_TABLES.has(node["Relation Name"] ?? "")) {
    found.push(node["Relation Name"]!);
  }
  for (const child of node.Plans ?? []) seqScans(child, found);
  return found;
}

const pad = (n: number) => `u${String(n).padStart(6, "0")}`;

describe.runIf(pgUrl)("store-postgres query plans", () => {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 3 });
  let recording = false;
  const captured: Captured[] = [];
  const patched = new WeakSet<object>();
  // A pool that records what the store sends (the store accepts any pg-shaped pool).
  const recordingPool = {
    async connect() {
      const client = await pool.connect();
      if (!patched.has(client)) {
        patched.add(client);
        const original = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: (...args: unknown[]) => unknown }).query = (
          ...args: unknown[]
        ) => {
          if (recording && typeof args[0] === "string") {
            captured.push({ text: args[0], values: (args[1] as unknown[]) ?? [] });
          }
          return original(...args);
        };
      }
      return client;
    },
    end: () => pool.end(),
  };
  let store: PostgresStore;

  beforeAll(async () => {
    store = await createPostgresStore({ pool: recordingPool, schema, outboxGraceMs: 0 });
    const s = `"${schema}"`;
    // One session with foreign-key triggers off: the fixture is consistent by
    // construction, and checking 700k rows one by one would dominate the test.
    const fill = await pool.connect();
    await fill.query("SET session_replication_role = replica");
    // 100,000 direct conversations of users u(i), u(i+1) (200,000 cursors);
    // the first 10,000 hold 5 messages each, with their outbox entries over
    // 30 days, 99% sent; 1,000 groups of 5.
    const conv = (i: string) =>
      `'d:u' || lpad(${i}::text, 6, '0') || ':u' || lpad((${i} + 1)::text, 6, '0')`;
    await fill.query(`
      INSERT INTO ${s}.conversations (id, kind, last_seq, updated_at)
      SELECT ${conv("i")}, 'direct', CASE WHEN i <= 10000 THEN 5 ELSE 0 END,
             now() - (i || ' seconds')::interval
      FROM generate_series(1, 100000) AS i`);
    await fill.query(`
      INSERT INTO ${s}.cursors (user_id, conversation_id, delivered_seq, read_seq)
      SELECT 'u' || lpad((i + k)::text, 6, '0'), ${conv("i")}, 0, 0
      FROM generate_series(1, 100000) AS i, generate_series(0, 1) AS k`);
    await fill.query(`
      INSERT INTO ${s}.messages (conversation_id, seq, message_id, sender_id, cid, to_type, to_id, body, sent_at)
      SELECT ${conv("i")}, q, 'msg-' || i || '-' || q, 'u' || lpad(i::text, 6, '0'), 'cid-' || i || '-' || q,
             'user', 'u' || lpad((i + 1)::text, 6, '0'),
             jsonb_build_object('type', 'text', 'text', 'message ' || q),
             now() - ((q * 10000 + i) || ' seconds')::interval
      FROM generate_series(1, 10000) AS i, generate_series(1, 5) AS q`);
    await fill.query(`
      INSERT INTO ${s}.outbox (message_id, conversation_id, status, next_attempt_at, created_at)
      SELECT m.message_id, m.conversation_id,
             CASE WHEN random() < 0.01 THEN 'pending' ELSE 'sent' END,
             now() - random() * interval '30 days', now() - random() * interval '30 days'
      FROM ${s}.messages m`);
    await fill.query(`
      INSERT INTO ${s}.groups (id, name, owner_id, created_at)
      SELECT 'grp' || i, 'group ' || i, 'u' || lpad(i::text, 6, '0'), now() FROM generate_series(1, 1000) AS i`);
    await fill.query(`
      INSERT INTO ${s}.group_members (group_id, user_id, role, joined_at)
      SELECT 'grp' || i, 'u' || lpad((i + k)::text, 6, '0'), CASE WHEN k = 0 THEN 'owner' ELSE 'member' END, now()
      FROM generate_series(1, 1000) AS i, generate_series(0, 4) AS k`);
    // People: u(i) and u(i+1) are contacts (200,000 rows); every 10th user blocked the next
    // one and set a privacy policy; 100,000 searchable profiles; 50,000 pending requests.
    await fill.query(`
      INSERT INTO ${s}.contacts (user_id, contact_id, since)
      SELECT 'u' || lpad((i + k)::text, 6, '0'), 'u' || lpad((i + 1 - k)::text, 6, '0'), now()
      FROM generate_series(1, 100000) AS i, generate_series(0, 1) AS k`);
    await fill.query(`
      INSERT INTO ${s}.blocks (user_id, blocked_id, since)
      SELECT 'u' || lpad(i::text, 6, '0'), 'u' || lpad((i + 2)::text, 6, '0'), now()
      FROM generate_series(10, 100000, 10) AS i`);
    await fill.query(`
      INSERT INTO ${s}.privacy_settings (user_id, direct_messages, group_invites)
      SELECT 'u' || lpad(i::text, 6, '0'), 'contacts', 'nobody' FROM generate_series(10, 100000, 10) AS i`);
    await fill.query(`
      INSERT INTO ${s}.profiles (user_id, username, display_name, searchable, hide_last_seen, updated_at, name_key, username_key)
      SELECT 'u' || lpad(i::text, 6, '0'), 'user' || i, 'Person ' || i, i % 7 <> 0, false, now(),
             'person ' || i, 'user' || i
      FROM generate_series(1, 100000) AS i`);
    await fill.query(`
      INSERT INTO ${s}.contact_requests (from_id, to_id, message, created_at, expires_at, state)
      SELECT 'u' || lpad(i::text, 6, '0'), 'u' || lpad((i + 5)::text, 6, '0'), 'hi', now(),
             now() + interval '30 days', CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'declined' END
      FROM generate_series(1, 100000) AS i`);
    for (const table of [
      "conversations",
      "messages",
      "cursors",
      "outbox",
      "groups",
      "group_members",
      "contacts",
      "blocks",
      "privacy_settings",
      "profiles",
      "contact_requests",
    ]) {
      await fill.query(`ANALYZE ${s}.${table}`);
    }
    fill.release();
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
    await pool.end();
  });

  it("no hot query reads messages, outbox, cursors or group_members by a sequential scan", async () => {
    const [a, b] = [pad(500), pad(501)];
    const conversationId = directConversationId(a, b);
    recording = true;
    // Every query the engine makes on its hot paths.
    const { message, outboxId } = await store.messages.append(draft(a, b));
    await store.messages.append(draft(a, b, { cid: message.cid }));
    await store.messages.range(conversationId, { afterSeq: 2, limit: 50 });
    await store.messages.range(conversationId, { beforeSeq: 4, limit: 50 });
    await store.messages.range(conversationId, { limit: 50 });
    await store.messages.get(message.messageId);
    await store.messages.recall(message.messageId, a);
    await store.cursors.markDelivered(b, conversationId, 6);
    await store.cursors.markRead(b, conversationId, 6);
    await store.cursors.cursors(b);
    await store.cursors.cursors(b, [conversationId]);
    await store.cursors.conversations(b, { limit: 20 });
    await store.cursors.participants(conversationId);
    await store.groups.memberIds("grp42");
    await store.groups.member("grp42", pad(43));
    await store.groups.groupsOf(pad(43));
    await store.cursors.participants(groupConversationId("grp42"));
    await store.cursors.membersJoinedAfter(groupConversationId("grp42"), 1);
    // A reconnect storm's syncs: concurrent reads share one batched query each.
    await Promise.all([600, 700, 800].map((i) => store.cursors.cursors(pad(i))));
    await Promise.all(
      [600, 700, 800].map((i) =>
        store.messages.range(directConversationId(pad(i), pad(i + 1)), { afterSeq: 2, limit: 50 }),
      ),
    );
    const claimed = await store.outbox.claim({ limit: 100, leaseMs: 60_000 });
    expect(claimed.length).toBeGreaterThan(0);
    await store.outbox.markSent([outboxId!]);
    await store.outbox.markFailed([claimed[0]!.id], Date.now() + 60_000);
    await store.outbox.stats();
    await store.outbox.purge(Date.now() - 29 * 86_400_000);
    recording = false;

    const statements = captured.filter(
      (q) => !/^\s*(begin|commit|rollback)\b/i.test(q.text) && !/pg_notify/.test(q.text),
    );
    expect(statements.length).toBeGreaterThan(20);
    expect(
      statements.filter((q) => /unnest|ANY\(/.test(q.text) && /user_id = ANY|LATERAL/.test(q.text))
        .length,
      "the batched sync reads were captured",
    ).toBe(2);
    const offenders: string[] = [];
    for (const { text, values } of statements) {
      const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const plan = (rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan;
      const scans = seqScans(plan);
      if (scans.length > 0) offenders.push(`${scans.join(", ")} in: ${text.replace(/\s+/g, " ")}`);
    }
    expect(offenders).toEqual([]);
  });

  it("the people stores' queries (the relations hot path first) use indexes", async () => {
    captured.length = 0;
    recording = true;
    // The direct-send check, then group adds, as the engine asks them.
    const [relation] = await store.contacts.relations(pad(12), [pad(10)]);
    await store.contacts.relations(pad(42), [pad(1), pad(43), pad(99), pad(500), pad(7001)]);
    await store.contacts.isBlocked(pad(10), pad(12));
    await store.contacts.contacts(pad(42), { limit: 50 });
    await store.contacts.blocks(pad(10));
    await store.contacts.requests(pad(47), "incoming", { now: Date.now() });
    await store.contacts.requests(pad(42), "outgoing", { now: Date.now() });
    await store.contacts.sendRequest({ fromId: pad(300), toId: pad(900), now: Date.now() });
    await store.contacts.acceptRequest(pad(900), pad(300), Date.now());
    await store.contacts.block(pad(300), pad(900), Date.now());
    await store.contacts.privacy(pad(20));
    await store.profiles.getMany([pad(1), pad(2), pad(3)]);
    const hits = await store.profiles.search("Person 1234", { limit: 20 });
    await store.profiles.search("user99", { limit: 20, after: pad(99) });
    await store.profiles.setLastSeen(pad(5), Date.now());
    await store.conversationSettings.get(pad(500));
    await store.conversationSettings.update(
      pad(500),
      directConversationId(pad(500), pad(501)),
      { pinned: true },
      Date.now(),
    );
    await store.cursors.conversations(pad(500), { limit: 20, offset: 20 });
    recording = false;
    expect(relation).toMatchObject({
      contact: false,
      blockedBy: true,
      privacy: { directMessages: "contacts" },
    });
    expect(hits.map((p) => p.userId)).toContain(pad(12345));

    // A guard that the capture works (the plans below are the test): one statement per call at least.
    expect(
      captured.filter((q) => /profiles|contacts|blocks|privacy_settings|cursors/.test(q.text))
        .length,
      "the people queries were captured",
    ).toBeGreaterThan(15);
    const offenders: string[] = [];
    for (const { text, values } of captured) {
      if (/^\s*(begin|commit|rollback)\b/i.test(text)) continue;
      const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const plan = (rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan;
      const scans = seqScans(plan);
      if (scans.length > 0) offenders.push(`${scans.join(", ")} in: ${text.replace(/\s+/g, " ")}`);
    }
    expect(offenders).toEqual([]);
  });

  it("the check itself catches a sequential scan", async () => {
    const { rows } = await pool.query(
      `EXPLAIN (FORMAT JSON) SELECT * FROM "${schema}".messages WHERE body->>'text' = $1`,
      ["nobody wrote this"],
    );
    expect(seqScans((rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan)).toEqual([
      "messages",
    ]);
  });
});
