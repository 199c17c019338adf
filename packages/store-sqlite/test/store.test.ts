import { existsSync } from "node:fs";
import { join } from "node:path";
import { directConversationId, hasErrorCode, newMessageId } from "@lucky-im/core";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, type SqliteDatabase, SqliteDialect } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import {
  createSqliteStore,
  migrateToLatest,
  type SqliteConnection,
  sqliteStoreMigrations,
} from "../src/index.js";
import { SQL as SEARCH_INDEX_SQL } from "../src/search-indexer.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

function draft(from: string, to: string, cid: string) {
  return {
    messageId: newMessageId(),
    conversationId: directConversationId(from, to),
    from,
    to: { type: "user" as const, id: to },
    body: { type: "text" as const, text: `hello ${cid}` },
    cid,
    ts: Date.now(),
    participants: [from, to],
  };
}

describe("store-sqlite", () => {
  it("keeps messages, cursors and groups in the file across a close and a reopen", async () => {
    const path = join(temp.dir, "reopen", "chat.sqlite");
    const first = await createSqliteStore({ path });
    const { message } = await first.messages.append(draft("alice", "bob", "c1"));
    await first.cursors.markRead("bob", message.conversationId, message.seq);
    await first.groups.create({
      groupId: "team",
      name: "Team",
      ownerId: "alice",
      memberIds: ["bob"],
      createdAt: Date.now(),
    });
    await first.close();

    const second = await createSqliteStore({ path });
    expect(await second.messages.get(message.messageId)).toEqual(message);
    expect(await second.cursors.cursors("bob", [message.conversationId])).toEqual([
      { conversationId: message.conversationId, deliveredSeq: 1, readSeq: 1, lastSeq: 1 },
    ]);
    expect(await second.groups.memberIds("team")).toEqual(expect.arrayContaining(["alice", "bob"]));
    // A repeat after the restart is still deduplicated.
    expect((await second.messages.append(draft("alice", "bob", "c1"))).created).toBe(false);
    await second.close();
  });

  it("runs in WAL mode with foreign keys on, and migrates once", async () => {
    const path = join(temp.dir, "pragmas.sqlite");
    expect((await migrateToLatest({ path })).applied).toEqual([
      "0001_initial",
      "0002_cursor_joined_seq",
      "0003_people",
      "0004_message_changes",
      "0005_group_joins",
      "0006_forwarded",
      "0007_group_profile",
      "0008_moderation",
      "0009_domain_events",
      "0010_search_backlog",
    ]);
    expect((await migrateToLatest({ path })).applied).toEqual([]);
    const database = new BetterSqlite3(path);
    const store = await createSqliteStore({
      database: database as unknown as SqliteConnection,
      migrate: false,
    });
    expect(database.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(database.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(database.pragma("synchronous", { simple: true })).toBe(2);
    // Bookkeeping commits without waiting for the disk; appends wait again.
    const { message } = await store.messages.append(draft("erin", "frank", "c1"));
    await store.cursors.markRead("frank", message.conversationId, message.seq);
    expect(database.pragma("synchronous", { simple: true })).toBe(1);
    await store.messages.append(draft("erin", "frank", "c2"));
    expect(database.pragma("synchronous", { simple: true })).toBe(2);
    await store.close();
    // A database the caller passed in stays open.
    expect(database.open).toBe(true);
    database.close();
  });

  it("commits the appends of a group-commit window together, and one turn's without a window", async () => {
    /** Appends two messages a turn of the event loop apart; returns the top-level commits. */
    async function commitsOfTwoAppends(groupCommitWindowMs: number): Promise<number> {
      const database = new BetterSqlite3(join(temp.dir, `window-${groupCommitWindowMs}.sqlite`));
      const store = await createSqliteStore({
        database: database as unknown as SqliteConnection,
        groupCommitWindowMs,
        // No search-index batch in between: only appends commit here.
        searchIndexIntervalMs: 60_000,
      });
      let commits = 0;
      const transaction = database.transaction.bind(database);
      database.transaction = ((fn: (...args: unknown[]) => unknown) => {
        if (!database.inTransaction) commits++;
        return transaction(fn);
      }) as typeof database.transaction;
      const first = store.messages.append(draft("gail", "hank", "w1"));
      await new Promise((resolve) => setImmediate(resolve));
      const second = store.messages.append(draft("gail", "hank", "w2"));
      const seqs = (await Promise.all([first, second])).map((r) => r.message.seq);
      expect(seqs).toEqual([1, 2]);
      await store.close();
      database.close();
      return commits;
    }
    expect(await commitsOfTwoAppends(50)).toBe(1);
    expect(await commitsOfTwoAppends(0)).toBe(2);
    for (const groupCommitWindowMs of [-1, 1001]) {
      await expect(
        createSqliteStore({ path: join(temp.dir, "y.sqlite"), groupCommitWindowMs }),
      ).rejects.toThrow(/groupCommitWindowMs/);
    }
    await expect(
      createSqliteStore({ path: join(temp.dir, "y.sqlite"), searchIndexIntervalMs: 1e10 }),
    ).rejects.toThrow(/searchIndexIntervalMs/);
  });

  it("close commits the appends still waiting for their group commit", async () => {
    const path = join(temp.dir, "close-drains.sqlite");
    const store = await createSqliteStore({ path, groupCommitWindowMs: 500 });
    const pending = store.messages.append(draft("kate", "liam", "k1"));
    await store.close();
    expect((await pending).created).toBe(true);
    const reopened = await createSqliteStore({ path });
    expect(await reopened.messages.get((await pending).message.messageId)).toBeDefined();
    await reopened.close();
  });

  describe("search index", () => {
    const queued = (database: BetterSqlite3.Database) =>
      (database.prepare("SELECT count(*) AS n FROM message_search_backlog").get() as { n: number })
        .n;
    const search = (store: Awaited<ReturnType<typeof createSqliteStore>>, text: string) =>
      store.changes
        .search({
          text,
          conversationIds: [directConversationId("ivan", "judy")],
          viewer: "ivan",
        })
        .then((page) => page.messages.map((m) => m.cid));

    it("queues appends and indexes them before a search, in batches of searchIndexMaxBatch", async () => {
      const database = new BetterSqlite3(join(temp.dir, "search-catch-up.sqlite"));
      const store = await createSqliteStore({
        database: database as unknown as SqliteConnection,
        searchIndexIntervalMs: 60_000,
        searchIndexMaxBatch: 2,
      });
      for (const cid of ["s1", "s2", "s3", "s4", "s5"]) {
        await store.messages.append(draft("ivan", "judy", cid));
      }
      expect(queued(database)).toBe(5);
      expect((await search(store, "hello")).sort()).toEqual(["s1", "s2", "s3", "s4", "s5"]);
      expect(queued(database)).toBe(0);
      await store.close();
      database.close();
    });

    it("indexes a batch by walking the queue, not every row ever indexed", async () => {
      const path = join(temp.dir, "search-plan.sqlite");
      await migrateToLatest({ path });
      const database = new BetterSqlite3(path);
      const plan = (
        database.prepare(`EXPLAIN QUERY PLAN ${SEARCH_INDEX_SQL.index}`).all(1) as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      database.close();
      // The queue is the outer loop; each queued id is one primary-key lookup.
      expect(plan[0]).toMatch(/^(SCAN|SEARCH) b\b/);
      expect(plan).toContain("SEARCH r USING INTEGER PRIMARY KEY (rowid=?)");
    });

    it("takes no write lock when nothing is queued, and indexes over a row written behind its back", async () => {
      const path = join(temp.dir, "search-idle.sqlite");
      const store = await createSqliteStore({
        path,
        searchIndexIntervalMs: 60_000,
        busyTimeoutMs: 50,
      });
      await store.messages.append(draft("ivan", "judy", "i1"));
      expect(await search(store, "hello")).toEqual(["i1"]);
      // Another connection holds the write lock: a search with an empty queue still answers.
      const other = new BetterSqlite3(path);
      other.exec("BEGIN IMMEDIATE");
      expect(await search(store, "hello")).toEqual(["i1"]);
      other.exec("ROLLBACK");
      // A queued row whose id the index already holds (written outside the store) is replaced.
      const { message } = await store.messages.append(draft("ivan", "judy", "i2"));
      const { id } = other
        .prepare("SELECT id FROM message_search_rows WHERE message_id = ?")
        .get(message.messageId) as { id: number };
      other.prepare("INSERT INTO messages_fts (rowid, text) VALUES (?, 'stale')").run(id);
      expect((await search(store, "hello")).sort()).toEqual(["i1", "i2"]);
      expect(await search(store, "stale")).toEqual([]);
      other.close();
      await store.close();
    });

    it("indexes on its interval without a search", async () => {
      const database = new BetterSqlite3(join(temp.dir, "search-interval.sqlite"));
      const store = await createSqliteStore({
        database: database as unknown as SqliteConnection,
        searchIndexIntervalMs: 5,
      });
      await store.messages.append(draft("ivan", "judy", "t1"));
      await expect.poll(() => queued(database), { timeout: 5_000 }).toBe(0);
      const indexed = database
        .prepare("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'hello'")
        .get() as { n: number };
      expect(indexed.n).toBe(1);
      await store.close();
      database.close();
    });

    it("indexes the text of an edit made while queued, and drops a deleted message from the queue", async () => {
      const database = new BetterSqlite3(join(temp.dir, "search-edit.sqlite"));
      const store = await createSqliteStore({
        database: database as unknown as SqliteConnection,
        searchIndexIntervalMs: 60_000,
      });
      const { message } = await store.messages.append(draft("ivan", "judy", "e1"));
      const gone = await store.messages.append(draft("ivan", "judy", "e2"));
      await store.changes.edit({
        messageId: message.messageId,
        by: "ivan",
        body: { type: "text", text: "goodbye" },
        ts: Date.now(),
      });
      database.prepare("DELETE FROM messages WHERE message_id = ?").run(gone.message.messageId);
      expect(queued(database)).toBe(1);
      expect(await search(store, "goodbye")).toEqual(["e1"]);
      expect(await search(store, "hello")).toEqual([]);
      await store.close();
      database.close();
    });

    it("migrating down indexes what is queued and restores indexing on insert", async () => {
      const path = join(temp.dir, "search-down.sqlite");
      const store = await createSqliteStore({ path, searchIndexIntervalMs: 60_000 });
      await store.messages.append(draft("ivan", "judy", "d1"));
      await store.close();
      const database = new BetterSqlite3(path);
      const db = new Kysely<unknown>({
        dialect: new SqliteDialect({ database: database as unknown as SqliteDatabase }),
      });
      const down = await new Migrator({ db, ...sqliteStoreMigrations() }).migrateDown();
      expect(down.results?.map((r) => [r.migrationName, r.status])).toEqual([
        ["0010_search_backlog", "Success"],
      ]);
      const matches = () =>
        (
          database
            .prepare("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'hello'")
            .get() as { n: number }
        ).n;
      expect(matches()).toBe(1);
      database
        .prepare(
          `INSERT INTO messages (conversation_id, seq, message_id, sender_id, cid, to_type, to_id,
            body, sent_at, created_at) SELECT conversation_id, 2, 'm-down-2', sender_id, 'd2', to_type,
            to_id, body, sent_at, created_at FROM messages WHERE cid = 'd1'`,
        )
        .run();
      expect(matches()).toBe(2);
      await db.destroy();
    });
  });

  it("applies its peopleLimits option and refuses a bad one", async () => {
    await expect(
      createSqliteStore({ path: join(temp.dir, "x.sqlite"), peopleLimits: { maxPinned: 0 } }),
    ).rejects.toSatisfy((e) => hasErrorCode(e, "bad_request"));
    const limited = await createSqliteStore({
      path: join(temp.dir, "limits.sqlite"),
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
    await limited.close();
  });

  it("rejects bad options with bad_request, and use after close with unavailable", async () => {
    await expect(createSqliteStore({})).rejects.toSatisfy((e) => hasErrorCode(e, "bad_request"));
    await expect(
      createSqliteStore({ path: join(temp.dir, "x.sqlite"), busyTimeoutMs: -1 }),
    ).rejects.toSatisfy((e) => hasErrorCode(e, "bad_request"));
    await migrateToLatest({ path: join(temp.dir, "closed.sqlite") });
    const store = await createSqliteStore({
      path: join(temp.dir, "closed.sqlite"),
      migrate: false,
    });
    expect(await store.ping()).toBe(true);
    // A read opens the WAL.
    expect(await store.messages.get("m")).toBeUndefined();
    await store.close();
    await store.close();
    // The store closed the connection it opened: the last one checkpoints and removes the WAL.
    expect(existsSync(join(temp.dir, "closed.sqlite-wal"))).toBe(false);
    expect(await store.ping()).toBe(false);
    await expect(store.messages.get("m")).rejects.toSatisfy((e) => hasErrorCode(e, "unavailable"));
  });

  it("a write blocked by another connection's lock past busyTimeoutMs fails with unavailable", async () => {
    const path = join(temp.dir, "locked.sqlite");
    const store = await createSqliteStore({ path, busyTimeoutMs: 50 });
    const other = new BetterSqlite3(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      await expect(store.messages.append(draft("carol", "dave", "c1"))).rejects.toSatisfy((e) =>
        hasErrorCode(e, "unavailable"),
      );
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // Nothing half-written: the append goes through once the lock is gone.
    const { message, created } = await store.messages.append(draft("carol", "dave", "c1"));
    expect({ seq: message.seq, created }).toEqual({ seq: 1, created: true });
    await store.close();
  });
});
