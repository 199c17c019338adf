import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "../src/index.js";
import { draft, dropSchema, pgUrl, query, testSchema } from "./helpers.js";

/**
 * Bookkeeping writes (cursor moves, outbox marks) commit without waiting for
 * the WAL flush; appends always wait. A statement trigger records the
 * `synchronous_commit` each write ran under.
 */
describe.runIf(pgUrl)("store-postgres: asynchronous bookkeeping commits", () => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];
  const pools: pg.Pool[] = [];

  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await Promise.allSettled(pools.map((p) => p.end()));
    for (const schema of schemas) await dropSchema(schema);
  });

  /** A store on a one-connection pool, with a trigger logging each write's synchronous_commit. */
  async function openRecorded(asyncBookkeepingCommits?: boolean) {
    const schema = testSchema("asyncbk");
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: pgUrl, max: 1 });
    pools.push(pool);
    const store = await createPostgresStore({
      pool,
      schema,
      ...(asyncBookkeepingCommits === undefined ? {} : { asyncBookkeepingCommits }),
    });
    stores.push(store);
    await query(`
      CREATE TABLE "${schema}".commit_log (tbl text, op text, mode text);
      CREATE FUNCTION "${schema}".log_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "${schema}".commit_log VALUES (TG_TABLE_NAME, TG_OP, current_setting('synchronous_commit'));
        RETURN NULL;
      END $$;
      CREATE TRIGGER log_cursors AFTER UPDATE ON "${schema}".cursors
        FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".log_commit_mode();
      CREATE TRIGGER log_outbox AFTER UPDATE ON "${schema}".outbox
        FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".log_commit_mode();
      CREATE TRIGGER log_messages AFTER INSERT ON "${schema}".messages
        FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".log_commit_mode();
    `);
    const log = async () =>
      (
        await query<{ tbl: string; op: string; mode: string }>(
          `SELECT tbl, op, mode FROM "${schema}".commit_log`,
        )
      ).map((r) => `${r.tbl} ${r.op} ${r.mode}`);
    return { store, pool, log };
  }

  async function writeEverything(store: PostgresStore) {
    const d = draft("alice", "bob");
    const { message, outboxId } = await store.messages.append(d);
    await store.cursors.markMany!([
      {
        userId: "bob",
        conversationId: message.conversationId,
        seq: message.seq,
        kind: "delivered",
      },
      { userId: "alice", conversationId: message.conversationId, seq: message.seq, kind: "read" },
    ]);
    await store.cursors.markRead("bob", message.conversationId, message.seq);
    await store.outbox.markSent([outboxId!]);
    return message;
  }

  it("by default: appends wait for the flush, cursor moves and outbox marks do not", async () => {
    const { store, pool, log } = await openRecorded();
    const message = await writeEverything(store);
    expect(await log()).toEqual([
      "messages INSERT on",
      "cursors UPDATE off",
      "cursors UPDATE off",
      "cursors UPDATE off",
      "outbox UPDATE off",
    ]);
    // The setting ended with each statement: the pooled connection is back to the default.
    const { rows } = await pool.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    expect(rows[0]?.synchronous_commit).toBe("on");
    // And the writes are there.
    const [bob] = await store.cursors.cursors("bob", [message.conversationId]);
    expect(bob).toMatchObject({ deliveredSeq: message.seq, readSeq: message.seq });
    expect((await store.outbox.stats()).pending).toBe(0);
  });

  it("asyncBookkeepingCommits: false makes every commit wait for the flush", async () => {
    const { store, log } = await openRecorded(false);
    await writeEverything(store);
    expect(new Set(await log())).toEqual(
      new Set(["messages INSERT on", "cursors UPDATE on", "outbox UPDATE on"]),
    );
  });
});
