import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
import { directConversationId, hasErrorCode, isImError } from "@lucky-im/core";
import { eventually } from "@lucky-im/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "../src/index.js";
import { draft, dropSchema, pgUrl, query, testSchema } from "./helpers.js";

/**
 * Restarts the local PostgreSQL in the middle of a burst of appends. Other
 * test files use the same server, so this file is alone in doing it, keeps
 * the outage short (fast shutdown, immediate start) and always starts the
 * server again, even when the test fails.
 */

const run = promisify(execFile);
const schema = testSchema("restart");
const version = (() => {
  try {
    return readdirSync("/etc/postgresql")[0];
  } catch {
    return undefined;
  }
})();
const canRestart = Boolean(pgUrl && version && /@(127\.0\.0\.1|localhost)[:/]/.test(pgUrl));
// CI runs PostgreSQL on this machine: there the restart test must run, never skip.
if (!canRestart && (process.env.CI === "true" || process.env.CI === "1")) {
  throw new Error(
    "[lucky-im] [test] the PostgreSQL restart test needs a local cluster (pg_ctlcluster, /etc/postgresql) on CI",
  );
}

async function pgctl(action: "restart" | "start"): Promise<void> {
  await run(
    "pg_ctlcluster",
    [
      "--skip-systemctl-redirect",
      version!,
      "main",
      action,
      ...(action === "restart" ? ["-m", "fast"] : []),
    ],
    { timeout: 60_000 },
  );
}

async function ensureStarted(): Promise<void> {
  try {
    await pgctl("start");
  } catch {
    // Already running: pg_ctlcluster start exits non-zero then.
  }
}

/** How long the test waits for the server, the pool and the LISTEN connection, polling every 50 ms. */
const RECOVERY = { timeoutMs: 30_000, intervalMs: 50 };

describe.runIf(canRestart)("store-postgres across a PostgreSQL restart", () => {
  let store: PostgresStore | undefined;

  afterAll(async () => {
    await ensureStarted();
    await store?.close();
    // The server may still be starting: retried until it answers.
    await eventually(() => dropSchema(schema), { ...RECOVERY, message: "dropping the schema" });
  });

  it("appends during the outage reject with unavailable, none resolved is lost, the pool recovers", async () => {
    const idleErrors: unknown[] = [];
    store = await createPostgresStore({
      url: pgUrl!,
      schema,
      maxConnections: 4,
      connectTimeoutMs: 2000,
      onError: (error) => idleErrors.push(error),
    });
    const [a, b] = ["alice", "bob"];
    const conversationId = directConversationId(a, b);
    const resolved = new Map<string, number>();
    const rejected: unknown[] = [];
    let restarted = false;
    let resolvedAfterRestart = 0;
    let stop = false;

    const worker = async () => {
      while (!stop) {
        const d = draft(a, b);
        try {
          const result = await store!.messages.append(d);
          resolved.set(d.messageId, result.message.seq);
          if (restarted) resolvedAfterRestart++;
        } catch (error) {
          rejected.push(error);
          // Do not spin while the server is down.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };

    let wakes = 0;
    const unlisten = store.outboxNotifications(() => {
      if (restarted) wakes++;
    });
    const workers = Array.from({ length: 8 }, () => worker());
    try {
      await eventually(() => resolved.size >= 200, { ...RECOVERY, message: "200 appends" });
      await pgctl("restart");
      restarted = true;
      // The pool must recover by itself: appends succeed again.
      await eventually(() => resolvedAfterRestart >= 100, {
        ...RECOVERY,
        message: "100 appends after the restart",
      });
      // The LISTEN connection is re-established by itself too.
      await eventually(() => wakes > 0, { ...RECOVERY, message: "an outbox notification" });
    } finally {
      stop = true;
      await unlisten();
      await Promise.allSettled(workers);
      await ensureStarted();
    }

    expect(rejected.length, "appends in flight when the server stopped must fail").toBeGreaterThan(
      0,
    );
    const notUnavailable = rejected.filter((e) => !hasErrorCode(e, "unavailable"));
    expect(
      notUnavailable.map((e) => (isImError(e) ? `${e.code}: ${e.message}` : String(e))),
      "every failure during the outage is unavailable",
    ).toEqual([]);
    expect((rejected[0] as Error).cause, "the cause is kept").toBeDefined();

    // Everything reported stored was committed, at the seq reported.
    const rows = await query<{ message_id: string; seq: string }>(
      `SELECT message_id, seq FROM "${schema}".messages WHERE conversation_id = $1 ORDER BY seq`,
      [conversationId],
    );
    const stored = new Map(rows.map((r) => [r.message_id, Number(r.seq)]));
    const missing = [...resolved].filter(([id, seq]) => stored.get(id) !== seq);
    expect(missing, "resolved appends missing from the table").toEqual([]);
    // And the conversation stayed gap-free.
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(await store.ping()).toBe(true);
  }, 180_000);
});
