import {
  type AppendResult,
  checkDraftExtras,
  type Message,
  type MessageDraft,
  type MessageStore,
  parseConversationId,
  type RangeQuery,
  TurnBatch,
} from "@lucky-im/core";
import { sql } from "kysely";
import type { StoreContext } from "./context.js";
import { GroupCommit, type Outcome } from "./group-commit.js";
import { notifyPayload } from "./outbox-notifications.js";
import {
  constraintOf,
  isConnectionError,
  isRetryable,
  sqlState,
  storeError,
  toStoreError,
} from "./pg-errors.js";
import { recallWithChange } from "./postgres-change-writes.js";
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from "./rows.js";

const COLUMNS = sql.raw(MESSAGE_COLUMNS.join(", "));

/** An ascending page: messages of a conversation after `afterSeq`. */
interface PageAfter {
  conversationId: string;
  afterSeq: number;
  limit: number;
}

/** Whether a read may share a batched query: a bad value must fail its own caller only. */
function batchable(page: PageAfter): boolean {
  return Number.isSafeInteger(page.afterSeq) && !page.conversationId.includes("\u0000");
}

function cidKey(from: string, cid: string): string {
  // User ids never hold NUL (the protocol forbids control characters in them).
  return `${from}\u0000${cid}`;
}

/**
 * @internal Appends a batch of drafts, all or nothing; throws when it fails.
 *
 * Two round trips. First, earlier messages with the same (from, cid) are
 * read: those drafts return them (`created: false`). Then ONE statement,
 * hence one transaction, writes the rest: it takes a block of seqs per
 * conversation from the conversation row (`last_seq = last_seq + n ...
 * RETURNING`, conversations in sorted order so concurrent batches lock rows
 * in the same order), creates cursors of direct participants, inserts the
 * messages and their outbox entries. A single statement holds the
 * conversation row lock only while it runs, not across round trips, which
 * keeps hot conversations flowing. A concurrent insert of the same (from,
 * cid) between the two round trips fails the statement on the unique index;
 * the caller retries and then finds the row.
 */
export async function appendBatchOnce(
  ctx: StoreContext,
  drafts: readonly MessageDraft[],
): Promise<AppendResult[]> {
  const t = ctx.tables;
  const existing = await sql<MessageRow>`
    SELECT ${COLUMNS} FROM ${t.messages}
    WHERE (sender_id, cid) IN (
      SELECT * FROM unnest(${drafts.map((d) => d.from)}::text[], ${drafts.map((d) => d.cid)}::text[]))
  `.execute(ctx.db);
  const stored = new Map<string, Message>();
  for (const row of existing.rows) stored.set(cidKey(row.sender_id, row.cid), toMessage(row));

  // A repeat inside the batch shares the first occurrence's result.
  const fresh: MessageDraft[] = [];
  const seen = new Set<string>();
  for (const draft of drafts) {
    const key = cidKey(draft.from, draft.cid);
    if (stored.has(key) || seen.has(key)) continue;
    seen.add(key);
    fresh.push(draft);
  }

  const created = new Map<string, AppendResult>();
  if (fresh.length > 0) {
    const perConversation = new Map<string, { count: number; ts: number; users: Set<string> }>();
    // Position of each fresh draft in its conversation's block (1-based).
    const position = fresh.map((draft) => {
      let entry = perConversation.get(draft.conversationId);
      if (!entry) {
        entry = { count: 0, ts: draft.ts, users: new Set() };
        perConversation.set(draft.conversationId, entry);
      }
      entry.ts = Math.max(entry.ts, draft.ts);
      // Cursors of direct participants come with their messages; group
      // cursors belong to the group store (a removed member must not come back).
      if (draft.conversationId.startsWith("d:")) {
        for (const userId of draft.participants) entry.users.add(userId);
      }
      return ++entry.count;
    });
    const ids = [...perConversation.keys()].sort();
    const cursorConversations: string[] = [];
    const cursorUsers: string[] = [];
    for (const id of ids) {
      for (const userId of perConversation.get(id)!.users) {
        cursorConversations.push(id);
        cursorUsers.push(userId);
      }
    }
    // seq = the conversation's new last_seq minus how many of the block follow.
    const back = fresh.map((d, i) => perConversation.get(d.conversationId)!.count - position[i]!);
    // Serialized once: the JSON goes to the database, and a parse of it is
    // what the caller gets back (sharing no object with its draft).
    const bodies = fresh.map((draft) => JSON.stringify(draft.body));
    // Replies, mentions and forwards add three columns; a batch of plain messages keeps the
    // plain statement.
    const extras = fresh.some(
      (d) => d.replyTo !== undefined || d.mentions !== undefined || d.forwarded !== undefined,
    );
    const extraColumns = extras ? sql`, reply_to, mentions, forwarded` : sql``;
    const extraValues = extras
      ? sql`, ${fresh.map((d) => (d.replyTo ? JSON.stringify(d.replyTo) : null))}::jsonb[],
          ${fresh.map((d) => (d.mentions?.length ? JSON.stringify([...new Set(d.mentions)]) : null))}::jsonb[],
          ${fresh.map((d) => (d.forwarded ? JSON.stringify(d.forwarded) : null))}::jsonb[]`
      : sql``;
    const notify = notifyPayload(ctx, Math.min(...fresh.map((d) => d.ts)));
    const fault = ctx.faults?.failAfterInsert?.(fresh)
      ? // Both counts force their insert to run first; then the division fails.
        sql`WHERE ((SELECT count(*) FROM m) + (SELECT count(*) FROM o)) / 0 > 0`
      : sql``;

    const { rows } = await sql<{ outbox_id: string; message_id: string; seq: string }>`
      WITH c AS (
        INSERT INTO ${t.conversations} AS cv (id, kind, last_seq, updated_at)
        SELECT * FROM unnest(
          ${ids}::text[],
          ${ids.map((id) => (id.startsWith("g:") ? "group" : "direct"))}::text[],
          ${ids.map((id) => perConversation.get(id)!.count)}::bigint[],
          ${ids.map((id) => new Date(perConversation.get(id)!.ts))}::timestamptz[])
        ON CONFLICT (id) DO UPDATE SET
          last_seq = cv.last_seq + excluded.last_seq,
          updated_at = greatest(cv.updated_at, excluded.updated_at),
          touched_at = clock_timestamp()
        RETURNING id, last_seq
      ), p AS (
        INSERT INTO ${t.cursors} (user_id, conversation_id)
        SELECT p.user_id, p.conversation_id
        FROM unnest(${cursorConversations}::text[], ${cursorUsers}::text[]) AS p(conversation_id, user_id)
        JOIN c ON c.id = p.conversation_id
        ON CONFLICT DO NOTHING
      ), m AS (
        INSERT INTO ${t.messages}
          (conversation_id, seq, message_id, sender_id, cid, to_type, to_id, body, sent_at
           ${extraColumns})
        SELECT d.conversation_id, c.last_seq - d.back, d.message_id, d.sender_id, d.cid,
          d.to_type, d.to_id, d.body, d.sent_at
          ${extras ? sql`, d.reply_to, d.mentions, d.forwarded` : sql``}
        FROM unnest(
          ${fresh.map((d) => d.conversationId)}::text[],
          ${back}::bigint[],
          ${fresh.map((d) => d.messageId)}::text[],
          ${fresh.map((d) => d.from)}::text[],
          ${fresh.map((d) => d.cid)}::text[],
          ${fresh.map((d) => d.to.type)}::text[],
          ${fresh.map((d) => d.to.id)}::text[],
          ${bodies}::jsonb[],
          ${fresh.map((d) => new Date(d.ts))}::timestamptz[]
          ${extraValues}
        ) AS d(conversation_id, back, message_id, sender_id, cid, to_type, to_id, body, sent_at
          ${extraColumns})
        JOIN c ON c.id = d.conversation_id
        RETURNING message_id, conversation_id, seq, sent_at
      ), o AS (
        INSERT INTO ${t.outbox} (message_id, conversation_id, next_attempt_at, created_at)
        SELECT message_id, conversation_id,
          sent_at + ${ctx.options.outboxGraceMs}::bigint * interval '1 millisecond', sent_at
        FROM m
        RETURNING id, message_id
      )
      SELECT o.id::text AS outbox_id, m.message_id, m.seq::text AS seq
        ${notify === undefined ? sql`` : sql`, (SELECT pg_notify(${ctx.channel}, ${notify})) AS notified`}
      FROM o JOIN m ON m.message_id = o.message_id
      ${fault}
    `.execute(ctx.db);

    const written = new Map(rows.map((row) => [row.message_id, row]));
    fresh.forEach((draft, i) => {
      const row = written.get(draft.messageId);
      if (!row) {
        // Cannot happen (one statement: all rows or an error); never report unwritten rows stored.
        throw storeError("internal", `append of ${draft.messageId} returned no row`);
      }
      const message: Message = {
        messageId: draft.messageId,
        conversationId: draft.conversationId,
        seq: Number(row.seq),
        from: draft.from,
        to: { type: draft.to.type, id: draft.to.id },
        body: JSON.parse(bodies[i]!),
        cid: draft.cid,
        ts: draft.ts,
      };
      if (draft.replyTo) message.replyTo = { ...draft.replyTo };
      if (draft.mentions?.length) message.mentions = [...new Set(draft.mentions)];
      if (draft.forwarded) message.forwarded = { ...draft.forwarded };
      created.set(cidKey(draft.from, draft.cid), {
        message,
        created: true,
        outboxId: row.outbox_id,
      });
    });
  }

  // Results in the order of the drafts; a repeat returns the earlier message.
  const firstCreator = new Set<string>();
  return drafts.map((draft): AppendResult => {
    const key = cidKey(draft.from, draft.cid);
    const earlier = stored.get(key);
    if (earlier) return { message: earlier, created: false };
    const result = created.get(key)!;
    if (!firstCreator.has(key)) {
      firstCreator.add(key);
      return result;
    }
    return { message: structuredClone(result.message), created: false };
  });
}

/** A concurrent append with the same (from, cid) committed first: retrying finds it. */
function isCidRace(error: unknown): boolean {
  return sqlState(error) === "23505" && constraintOf(error) === "messages_sender_cid_key";
}

/**
 * @internal Appends a batch; every draft gets its own outcome. Transient
 * conflicts retry the batch; any other failure of a multi-draft batch retries
 * the drafts one by one, so one bad message does not fail the others. A lost
 * connection fails the whole batch with `unavailable` (its commit is unknown,
 * so nothing is reported stored).
 */
export async function appendBatch(
  ctx: StoreContext,
  drafts: readonly MessageDraft[],
): Promise<Outcome<AppendResult>[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const results = await appendBatchOnce(ctx, drafts);
      return results.map((value) => ({ ok: true, value }));
    } catch (error) {
      if (isConnectionError(error)) {
        const mapped = toStoreError(error, "append");
        return drafts.map(() => ({ ok: false, error: mapped }));
      }
      if ((isRetryable(error) || isCidRace(error)) && attempt < ctx.options.appendRetries) continue;
      if (drafts.length === 1) return [{ ok: false, error: toStoreError(error, "append") }];
      const outcomes: Outcome<AppendResult>[] = [];
      // One by one, in arrival order, so a sender's messages keep their order.
      for (const draft of drafts) outcomes.push(...(await appendBatch(ctx, [draft])));
      return outcomes;
    }
  }
}

/** @internal The PostgreSQL {@link MessageStore}. */
export function createPostgresMessageStore(ctx: StoreContext): {
  store: MessageStore;
  drain(): Promise<void>;
} {
  const { db, options } = ctx;
  const batcher = options.groupCommit
    ? new GroupCommit<MessageDraft, AppendResult>((drafts) => appendBatch(ctx, drafts), {
        windowMs: options.groupCommitWindowMs,
        maxBatch: options.groupCommitMaxBatch,
        maxInFlight: options.groupCommitMaxInFlight,
      })
    : undefined;

  /** Every page in one query (one per conversation and cursor, however many callers). */
  async function pagesAfter(pages: readonly PageAfter[]): Promise<Message[][]> {
    const { rows } = await sql<MessageRow & { page: string }>`
      SELECT q.page, r.*
      FROM unnest(${pages.map((p) => p.conversationId)}::text[],
                  ${pages.map((p) => p.afterSeq)}::bigint[],
                  ${pages.map((p) => p.limit)}::int[]) WITH ORDINALITY AS q(conversation_id, after_seq, lim, page)
      CROSS JOIN LATERAL (
        SELECT ${COLUMNS} FROM ${ctx.tables.messages} AS m
        WHERE m.conversation_id = q.conversation_id AND m.seq > q.after_seq
        ORDER BY m.seq ASC
        LIMIT q.lim
      ) AS r
      ORDER BY q.page, r.seq
    `.execute(db);
    const answers: Message[][] = pages.map(() => []);
    for (const { page, ...row } of rows) answers[Number(page) - 1]!.push(toMessage(row));
    return answers;
  }

  const pageReads = options.readBatch
    ? new TurnBatch<PageAfter, Message[]>(
        (pages) =>
          pages.length === 1
            ? rangeQuery(pages[0]!.conversationId, pages[0]!).then((one) => [one])
            : pagesAfter(pages),
        options.readBatch,
      )
    : undefined;

  /** One page, on its own query. */
  async function rangeQuery(
    conversationId: string,
    query: RangeQuery & { limit: number },
  ): Promise<Message[]> {
    let q = db
      .selectFrom("messages")
      .select(MESSAGE_COLUMNS)
      .where("conversation_id", "=", conversationId);
    if (query.afterSeq !== undefined) q = q.where("seq", ">", query.afterSeq);
    if (query.beforeSeq !== undefined) q = q.where("seq", "<", query.beforeSeq);
    const viewer = query.viewer;
    if (viewer !== undefined) {
      // Deleted-for-me and cleared messages of the viewer stay out.
      const t = ctx.tables;
      q = q.where(
        sql<boolean>`NOT EXISTS (SELECT 1 FROM ${t.hidden_messages} AS h
          WHERE h.user_id = ${viewer} AND h.conversation_id = ${conversationId} AND h.seq = messages.seq)
          AND NOT EXISTS (SELECT 1 FROM ${t.conversation_clears} AS k
          WHERE k.user_id = ${viewer} AND k.conversation_id = ${conversationId}
            AND k.up_to_seq >= messages.seq)`,
      );
    }
    const ascending = query.afterSeq !== undefined;
    const rows = await q
      .orderBy("seq", ascending ? "asc" : "desc")
      .limit(query.limit)
      .execute();
    return rows.map((row) => toMessage(row as MessageRow));
  }

  const store: MessageStore = {
    append(draft) {
      return ctx.run("append", async () => {
        // A malformed id is this caller's error, not its batch's.
        parseConversationId(draft.conversationId);
        if (
          draft.replyTo !== undefined ||
          draft.mentions !== undefined ||
          draft.forwarded !== undefined
        ) {
          checkDraftExtras(draft, options.messageChanges);
        }
        if (batcher) return batcher.submit(draft);
        const [outcome] = await appendBatch(ctx, [draft]);
        if (!outcome!.ok) throw outcome!.error;
        return outcome!.value;
      });
    },

    range(conversationId, query: RangeQuery) {
      return ctx.run("range", async () => {
        const limit = Math.min(Math.max(0, Math.floor(query.limit)), options.maxPageSize);
        if (!(limit > 0)) return [];
        if (
          pageReads &&
          query.afterSeq !== undefined &&
          query.beforeSeq === undefined &&
          query.viewer === undefined
        ) {
          // An ascending page (what `sync` reads): shared with other callers' pages.
          const page = { conversationId, afterSeq: query.afterSeq, limit };
          if (batchable(page)) return pageReads.submit(page);
        }
        return rangeQuery(conversationId, { ...query, limit });
      });
    },

    get(messageId) {
      return ctx.run("get", async () => {
        const row = await db
          .selectFrom("messages")
          .select(MESSAGE_COLUMNS)
          .where("message_id", "=", messageId)
          .executeTakeFirst();
        return row ? toMessage(row as MessageRow) : undefined;
      });
    },

    recall(messageId, by) {
      return ctx.run("recall", () => recallWithChange(ctx, messageId, by));
    },
  };

  return { store, drain: () => batcher?.drain() ?? Promise.resolve() };
}
