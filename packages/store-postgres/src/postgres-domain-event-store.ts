import { randomUUID } from "node:crypto";
import {
  type DomainEvent,
  type DomainEventKind,
  type DomainEventSourceStore,
  type DomainEventStore,
  domainEventsOf,
  type NewDomainEvent,
  recordingDomainEvents,
} from "@lucky-im/core";
import { type Kysely, sql, type Transaction } from "kysely";
import type { StoreContext } from "./context.js";
import type { Database } from "./database.js";

interface EventRow {
  id: string;
  kind: string;
  type: string;
  conversation_id: string | null;
  data: unknown;
  occurred_at: string | number;
  coalesce_key: string | null;
  ord: string | number | null;
  revision: number;
  seq: string | number;
}

function toEvent(row: EventRow): DomainEvent {
  return {
    id: row.id,
    kind: row.kind as DomainEventKind,
    type: row.type,
    ...(row.conversation_id !== null && { conversationId: row.conversation_id }),
    data: (typeof row.data === "string" ? JSON.parse(row.data) : row.data) as Record<
      string,
      unknown
    >,
    occurredAt: Number(row.occurred_at),
    ...(row.coalesce_key !== null && { coalesceKey: row.coalesce_key }),
    ...(row.ord !== null && { order: Number(row.ord) }),
    revision: row.revision,
  };
}

/** @internal Writes events in `trx` (the transaction of their change), merging coalesced ones. */
export async function insertDomainEvents(
  trx: Transaction<Database> | Kysely<Database>,
  events: readonly NewDomainEvent[],
): Promise<void> {
  if (events.length === 0) return;
  // One row per coalescing key per statement (ON CONFLICT may not touch a row twice).
  const byKey = new Map<string, NewDomainEvent>();
  const rows: NewDomainEvent[] = [];
  for (const event of events) {
    if (event.coalesceKey === undefined) rows.push(event);
    else {
      const seen = byKey.get(event.coalesceKey);
      if (!seen || (event.order ?? 0) >= (seen.order ?? 0)) byKey.set(event.coalesceKey, event);
    }
  }
  rows.push(...byKey.values());
  await trx
    .insertInto("domain_events")
    .values(
      rows.map((event) => ({
        id: randomUUID(),
        kind: event.kind,
        type: event.type,
        conversation_id: event.conversationId ?? null,
        data: JSON.stringify(event.data),
        occurred_at: event.occurredAt,
        coalesce_key: event.coalesceKey ?? null,
        ord: event.order ?? null,
      })),
    )
    .onConflict((oc) =>
      oc
        .column("coalesce_key")
        .doUpdateSet({
          data: sql`excluded.data`,
          occurred_at: sql`excluded.occurred_at`,
          ord: sql`excluded.ord`,
          revision: sql`domain_events.revision + 1`,
          lease_until: null,
        })
        .where(sql<boolean>`coalesce(excluded.ord, 0) >= coalesce(domain_events.ord, 0)`),
    )
    .execute();
}

/**
 * @internal A view of `trx` for a store created inside it: its own `transaction()` runs in
 * `trx` (kysely has no nested transactions), so the store's statements and the events of
 * the write commit together.
 */
function flattened(trx: Transaction<Database>): Kysely<Database> {
  const view: Kysely<Database> = new Proxy(trx, {
    get(target, property, receiver) {
      if (property === "transaction") {
        const builder = {
          execute: <T>(fn: (t: Transaction<Database>) => Promise<T>) =>
            fn(view as unknown as Transaction<Database>),
          setIsolationLevel: () => builder,
          setAccessMode: () => builder,
        };
        return () => builder;
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as unknown as Kysely<Database>;
  return view;
}

/** @internal The PostgreSQL domain event outbox and the recording wrapper of the event sources. */
export function createPostgresDomainEvents(ctx: StoreContext): {
  store: DomainEventStore;
  recording<T extends object>(name: DomainEventSourceStore, factory: (ctx: StoreContext) => T): T;
} {
  const enabled = new Set<DomainEventKind>();
  const t = ctx.tables;

  const store: DomainEventStore = {
    enable(kinds) {
      for (const kind of kinds) enabled.add(kind);
    },
    enabledKinds() {
      return [...enabled];
    },
    claim({ limit, leaseMs, kinds }) {
      return ctx.run("domain events claim", async () => {
        if (limit <= 0 || kinds?.length === 0) return [];
        const now = Date.now();
        const ofKinds = kinds ? sql`AND kind = ANY(${[...kinds]}::text[])` : sql``;
        const { rows } = await sql<EventRow>`
          UPDATE ${t.domain_events} SET lease_until = ${now + leaseMs}
          WHERE seq IN (
            SELECT seq FROM ${t.domain_events}
            WHERE (lease_until IS NULL OR lease_until <= ${now}) ${ofKinds}
            ORDER BY seq LIMIT ${limit}
            FOR UPDATE SKIP LOCKED
          )
          RETURNING seq, id, kind, type, conversation_id, data, occurred_at, coalesce_key, ord, revision
        `.execute(ctx.db);
        return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toEvent);
      });
    },
    settle(events) {
      return ctx.run("domain events settle", async () => {
        if (events.length === 0) return;
        await sql`
          DELETE FROM ${t.domain_events} AS d
          USING unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.revision)}::int[]) AS s(id, revision)
          WHERE d.id = s.id AND d.revision = s.revision
        `.execute(ctx.db);
      });
    },
    pending() {
      return ctx.run("domain events pending", async () => {
        const { rows } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM ${t.domain_events}
        `.execute(ctx.db);
        return Number(rows[0]?.n ?? 0);
      });
    },
  };

  function recording<T extends object>(
    name: DomainEventSourceStore,
    factory: (ctx: StoreContext) => T,
  ): T {
    return recordingDomainEvents(
      name,
      factory(ctx),
      () => enabled,
      (method, args) =>
        ctx.run(`${name} ${method}`, () =>
          ctx.db.transaction().execute(async (trx) => {
            // The same store over this transaction: the write and its events commit together.
            const inner = factory({ ...ctx, db: flattened(trx) }) as Record<
              string,
              (...a: unknown[]) => Promise<unknown>
            >;
            const result = await inner[method]!(...args);
            await insertDomainEvents(trx, domainEventsOf(name, method, args, result, enabled));
            return result;
          }),
        ),
    );
  }

  return { store, recording };
}
