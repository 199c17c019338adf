import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { directConversationId, hasErrorCode, type MessageDraft } from "@lucky-im/core";
import { uniqueName } from "@lucky-im/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, migrateToLatest, type PostgresStore } from "../src/index.js";
import { createPostgresStoreWithFaults } from "../src/postgres-store.js";
import { draft, dropSchema, pgUrl, query, testSchema } from "./helpers.js";

const schema = testSchema("store");
const cliSchema = testSchema("cli");
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe.runIf(pgUrl)("store-postgres", () => {
  const stores: PostgresStore[] = [];
  const open = async (options: Parameters<typeof createPostgresStore>[0] = {}) => {
    const store = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 4,
      ...options,
    });
    stores.push(store);
    return store;
  };
  let store: PostgresStore;

  beforeAll(async () => {
    store = await open();
  });

  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await dropSchema(schema);
    await dropSchema(cliSchema);
  });

  it("two stores on two pools append 500 messages concurrently to one conversation: seq 1..500", async () => {
    const other = await open();
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const drafts = Array.from({ length: 500 }, (_, i) => draft(i % 2 ? a : b, i % 2 ? b : a));
    const results = await Promise.all(
      drafts.map((d, i) => (i % 2 ? store : other).messages.append(d)),
    );
    expect(results.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(oneTo(500));
    expect(results.every((r) => r.created)).toBe(true);
    const conversationId = directConversationId(a, b);
    const rows = await query<{ seq: string }>(
      `SELECT seq FROM "${schema}".messages WHERE conversation_id = $1 ORDER BY seq`,
      [conversationId],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(oneTo(500));
    const [conversation] = await query<{ last_seq: string }>(
      `SELECT last_seq FROM "${schema}".conversations WHERE id = $1`,
      [conversationId],
    );
    expect(Number(conversation!.last_seq)).toBe(500);
    const [outbox] = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".outbox WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(outbox!.n).toBe(500);
  });

  it("a transaction failing after the message insert leaves neither message nor outbox row, nor a seq gap", async () => {
    const faulty = await createPostgresStoreWithFaults(
      { url: pgUrl!, schema, maxConnections: 2, groupCommit: false },
      {
        failAfterInsert: (drafts) =>
          drafts.some((d) => d.body.type === "text" && d.body.text === "boom"),
      },
    );
    stores.push(faulty);
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const first = await faulty.messages.append(draft(a, b));
    const doomed = draft(a, b, { body: { type: "text", text: "boom" } });
    const error = await rejection(faulty.messages.append(doomed));
    // The injected division by zero (22012), after the inserts ran.
    expect(hasErrorCode(error, "bad_request")).toBe(true);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe("22012");
    for (const table of ["messages", "outbox"]) {
      const rows = await query(`SELECT 1 FROM "${schema}".${table} WHERE message_id = $1`, [
        doomed.messageId,
      ]);
      expect(rows, `${table} rows of the failed append`).toEqual([]);
    }
    expect(await faulty.messages.get(doomed.messageId)).toBeUndefined();
    const next = await faulty.messages.append(draft(a, b));
    expect([first.message.seq, next.message.seq]).toEqual([1, 2]);
  });

  it("group commit shares one transaction between concurrent appends; maxBatch bounds it", async () => {
    const batches: number[] = [];
    const counting = await createPostgresStoreWithFaults(
      { url: pgUrl!, schema, maxConnections: 4, groupCommitMaxBatch: 10 },
      {
        failAfterInsert: (drafts) => {
          batches.push(drafts.length);
          return false;
        },
      },
    );
    stores.push(counting);
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const results = await Promise.all(
      Array.from({ length: 35 }, () => counting.messages.append(draft(a, b))),
    );
    expect(results.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(oneTo(35));
    // Submitted in one tick: batches of 10, 10, 10 and 5.
    expect(batches.sort((x, y) => x - y)).toEqual([5, 10, 10, 10]);
  });

  it("in a group-committed batch, a failing message fails alone and the others keep contiguous seqs", async () => {
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const drafts = Array.from({ length: 10 }, (_, i) =>
      draft(a, b, { body: { type: "text", text: i === 4 ? "nul \u0000 inside" : `ok ${i}` } }),
    );
    const settled = await Promise.allSettled(drafts.map((d) => store.messages.append(d)));
    const bad = settled[4]!;
    expect(bad.status).toBe("rejected");
    expect(hasErrorCode((bad as PromiseRejectedResult).reason, "bad_request")).toBe(true);
    const ok = settled.filter((s) => s.status === "fulfilled").map((s) => s.value);
    expect(ok).toHaveLength(9);
    expect(ok.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(oneTo(9));
    const stored = await store.messages.range(directConversationId(a, b), {
      afterSeq: 0,
      limit: 50,
    });
    expect(stored.map((m) => m.seq)).toEqual(oneTo(9));
    expect(await store.messages.get(drafts[4]!.messageId)).toBeUndefined();
  });

  it("a (from, cid) repeated inside one batch and against an earlier row returns the stored message, created:false", async () => {
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const original = draft(a, b);
    const repeats = [
      original,
      { ...draft(a, b), cid: original.cid },
      { ...draft(a, b), cid: original.cid },
    ];
    const results = await Promise.all(repeats.map((d) => store.messages.append(d)));
    expect(results.map((r) => r.created)).toEqual([true, false, false]);
    expect(new Set(results.map((r) => r.message.messageId))).toEqual(new Set([original.messageId]));
    expect(results[1]!.outboxId).toBeUndefined();
    const later = await store.messages.append({ ...draft(a, b), cid: original.cid });
    expect(later).toMatchObject({
      created: false,
      message: { messageId: original.messageId, seq: 1 },
    });
  });

  it("a messageId reused under another cid is a conflict for that append only", async () => {
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const first = draft(a, b);
    const clash = draft(a, b, { messageId: first.messageId });
    const bystander = draft(a, b);
    const settled = await Promise.allSettled(
      [first, clash, bystander].map((d) => store.messages.append(d)),
    );
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(hasErrorCode((settled[1] as PromiseRejectedResult).reason, "conflict")).toBe(true);
  });

  it("text with quotes, SQL, unicode, emoji and RTL marks is stored byte for byte (checked in the table too)", async () => {
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    const texts = [
      `quotes " ' \` and '; DROP TABLE messages; --`,
      "emoji 😀👩‍👩‍👧‍👦🇯🇵 and RTL \u200F\u202Eעברית العربية\u202C",
      'backslashes \\ \\\\ {braces} [1,2] "inner" \\u0041 e\u0301 \u00E9 \u2028 𝄞',
    ];
    for (const text of texts) {
      const { message } = await store.messages.append(
        draft(a, b, { body: { type: "text", text } }),
      );
      const [row] = await query<{ text: string; bytes: string }>(
        `SELECT body->>'text' AS text, encode(convert_to(body->>'text', 'UTF8'), 'hex') AS bytes
         FROM "${schema}".messages WHERE message_id = $1`,
        [message.messageId],
      );
      expect(row!.bytes).toBe(Buffer.from(text, "utf8").toString("hex"));
      const read = await store.messages.get(message.messageId);
      expect(read?.body).toEqual({ type: "text", text });
    }
  });

  it("range is capped by maxPageSize", async () => {
    const small = await open({ maxPageSize: 3 });
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    for (let i = 0; i < 5; i++) await small.messages.append(draft(a, b));
    const conversationId = directConversationId(a, b);
    expect((await small.messages.range(conversationId, { afterSeq: 0, limit: 100 })).length).toBe(
      3,
    );
    expect((await small.messages.range(conversationId, { limit: 100 })).map((m) => m.seq)).toEqual([
      5, 4, 3,
    ]);
  });

  it("concurrent sync reads share queries: cursors() of 35 users and 35 ascending pages, batches of readBatchMaxSize", async () => {
    // Counts the statements reaching PostgreSQL through a pool of our own.
    const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
    const statements: string[] = [];
    const wrapped = new WeakSet<object>();
    const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
    (pool as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
      const client = await connect();
      if (!wrapped.has(client)) {
        wrapped.add(client);
        const run = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
          if (typeof args[0] === "string") statements.push(args[0]);
          return run(...args);
        };
      }
      return client;
    };
    try {
      const batched = await createPostgresStore({ pool, schema, readBatchMaxSize: 10 });
      const users = Array.from({ length: 35 }, (_, i) => uniqueName(`u${i}`));
      const peer = uniqueName("peer");
      for (const user of users) await batched.messages.append(draft(peer, user));
      statements.length = 0;
      const cursors = await Promise.all(users.map((user) => batched.cursors.cursors(user)));
      expect(cursors.map((list) => list.map((c) => c.conversationId))).toEqual(
        users.map((user) => [directConversationId(peer, user)]),
      );
      expect(statements.filter((q) => q.includes("ANY(")).length, "4 queries (10+10+10+5)").toBe(4);
      statements.length = 0;
      const pages = await Promise.all(
        users.map((user) =>
          batched.messages.range(directConversationId(peer, user), { afterSeq: 0, limit: 5 }),
        ),
      );
      expect(pages.map((page) => page.map((m) => [m.to.id, m.seq]))).toEqual(
        users.map((user) => [[user, 1]]),
      );
      expect(statements.filter((q) => q.includes("LATERAL")).length, "4 queries").toBe(4);
      expect(statements.length, "and nothing else").toBe(4);
      await batched.close();
    } finally {
      await pool.end();
    }
  });

  it("a user-supplied pool is never ended; a closed store rejects with unavailable", async () => {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
    try {
      const mine = await createPostgresStore({ pool, schema });
      await mine.messages.append(draft(uniqueName("a"), uniqueName("b")));
      await mine.close();
      await mine.close();
      expect((await pool.query("SELECT 1 AS one")).rows[0].one).toBe(1);
      expect(await mine.ping()).toBe(false);
      const error = await rejection(mine.messages.append(draft(uniqueName("a"), uniqueName("b"))));
      expect(hasErrorCode(error, "unavailable")).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it("an unreachable server rejects with unavailable, with the cause", async () => {
    const error = await rejection(
      createPostgresStore({
        url: "postgres://postgres@127.0.0.1:1/test",
        schema,
        connectTimeoutMs: 2000,
      }),
    );
    expect(hasErrorCode(error, "unavailable")).toBe(true);
    expect((error as Error).cause).toBeDefined();
  });

  it("outboxNotifications wakes a relay when entries become due and after markFailed", async () => {
    const eager = await open({ outboxGraceMs: 0 });
    let wakes = 0;
    const stop = eager.outboxNotifications(() => {
      wakes++;
    });
    try {
      // The LISTEN starts asynchronously: append until a wake arrives.
      const deadline = Date.now() + 15_000;
      let outboxId: string | undefined;
      while (wakes === 0 && Date.now() < deadline) {
        outboxId = (await eager.messages.append(draft(uniqueName("a"), uniqueName("b")))).outboxId;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(wakes).toBeGreaterThan(0);
      const before = wakes;
      await eager.outbox.markFailed([outboxId!], Date.now());
      const until = Date.now() + 10_000;
      while (wakes === before && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(wakes).toBeGreaterThan(before);
    } finally {
      await stop();
    }
  });

  it("applies its peopleLimits option and refuses a bad one", async () => {
    await expect(open({ peopleLimits: { maxPendingRequests: -1 } })).rejects.toSatisfy((e) =>
      hasErrorCode(e, "bad_request"),
    );
    const limited = await open({
      peopleLimits: { maxRequestMessageLength: 3, maxPendingRequests: 1, requestTtlMs: 60_000 },
    });
    const [a, b, c] = ["lim_a_" + Date.now(), "lim_b_" + Date.now(), "lim_c_" + Date.now()];
    await expect(
      limited.contacts.sendRequest({ fromId: a, toId: b, message: "four", now: 1 }),
    ).rejects.toSatisfy((e) => hasErrorCode(e, "bad_request"));
    await limited.contacts.sendRequest({ fromId: a, toId: b, message: "two", now: 1 });
    await expect(
      limited.contacts.sendRequest({ fromId: a, toId: c, now: 1 }),
    ).rejects.toMatchObject({
      code: "conflict",
      details: { limit: 1 },
    });
    // The request lapses after requestTtlMs.
    expect((await limited.contacts.request(a, b))?.expiresAt).toBe(1 + 60_000);
    expect((await limited.contacts.sendRequest({ fromId: a, toId: c, now: 60_001 })).outcome).toBe(
      "requested",
    );
  });

  it("keeps every table and kysely's migration tables in its schema; migrateToLatest is idempotent", async () => {
    const tables = await query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      "blocks",
      "change_counters",
      "contact_requests",
      "contacts",
      "conversation_clears",
      "conversations",
      "cursors",
      "domain_events",
      "group_invite_link_uses",
      "group_invite_links",
      "group_join_settings",
      "group_join_tickets",
      "group_members",
      "groups",
      "hidden_messages",
      "kysely_migration",
      "kysely_migration_lock",
      "message_changes",
      "message_edits",
      "messages",
      "moderation_audit",
      "moderation_reports",
      "outbox",
      "pins",
      "privacy_settings",
      "profiles",
      "reactions",
      "suspensions",
    ]);
    expect(await migrateToLatest({ url: pgUrl!, schema })).toEqual({ applied: [] });
  });

  it("the CLI migrates a schema", async () => {
    const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", cli, "migrate", "--schema", cliSchema, "--connection-string", pgUrl!],
      { timeout: 60_000 },
    );
    expect(stdout).toContain("applied 0001_initial");
    const again = await run(process.execPath, ["--import", "tsx", cli, "migrate"], {
      env: { ...process.env, DATABASE_URL: pgUrl, LUCKY_IM_PG_SCHEMA: cliSchema },
      timeout: 60_000,
    });
    expect(again.stdout).toContain("up to date");
    // The chat server's variables work too, and the CLI says it is deprecated.
    const { DATABASE_URL: _, LUCKY_IM_PG_SCHEMA: __, ...rest } = process.env;
    const serverVariables = await run(process.execPath, ["--import", "tsx", cli, "migrate"], {
      env: { ...rest, LUCKY_IM_POSTGRES_URL: pgUrl, LUCKY_IM_SCHEMA: cliSchema },
      timeout: 60_000,
    });
    expect(serverVariables.stdout).toContain(`schema "${cliSchema}" is up to date`);
    expect(serverVariables.stderr).toContain("deprecated");
    expect(serverVariables.stderr).toContain('use "lucky-im migrate up"');
  });

  it("validates options and schema names", async () => {
    for (const options of [
      { url: pgUrl!, schema: 'bad"; DROP' },
      { schema },
      { url: pgUrl!, schema, maxPageSize: 0 },
      { url: pgUrl!, schema, readBatchMaxSize: 0 },
      { url: pgUrl!, schema, readBatchMaxInFlight: 0 },
      { url: pgUrl!, schema, groupCommitMaxInFlight: 0 },
    ]) {
      const error = await rejection(createPostgresStore(options));
      expect(hasErrorCode(error, "bad_request")).toBe(true);
    }
  });

  it("still takes the deprecated connectionString, and refuses one that disagrees with url", async () => {
    const aliased = await createPostgresStore({ connectionString: pgUrl!, schema });
    expect(await aliased.ping()).toBe(true);
    await aliased.close();
    const error = await rejection(
      createPostgresStore({ url: pgUrl!, connectionString: "postgres://elsewhere/db", schema }),
    );
    expect(error).toMatchObject({ isConfigError: true, option: "url" });
  });
});

export type { MessageDraft };
