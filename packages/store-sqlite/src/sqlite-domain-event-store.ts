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
import { sql } from "kysely";
import type { StoreContext } from "./context.js";

interface EventRow {
  id: string;
  kind: string;
  type: string;
  conversation_id: string | null;
  data: string;
  occurred_at: number;
  coalesce_key: string | null;
  ord: number | null;
  revision: number;
}

function toEvent(row: EventRow): DomainEvent {
  return {
    id: row.id,
    kind: row.kind as DomainEventKind,
    type: row.type,
    ...(row.conversation_id !== null && { conversationId: row.conversation_id }),
    data: JSON.parse(row.data) as Record<string, unknown>,
    occurredAt: row.occurred_at,
    ...(row.coalesce_key !== null && { coalesceKey: row.coalesce_key }),
    ...(row.ord !== null && { order: row.ord }),
    revision: row.revision,
  };
}

/** @internal Writes events (call inside the transaction of their change), merging coalesced ones. */
export function insertDomainEvents(ctx: StoreContext, events: readonly NewDomainEvent[]): void {
  for (const event of events) {
    ctx.exec.run(
      ctx.db
        .insertInto("domain_events")
        .values({
          id: randomUUID(),
          kind: event.kind,
          type: event.type,
          conversation_id: event.conversationId ?? null,
          data: JSON.stringify(event.data),
          occurred_at: event.occurredAt,
          coalesce_key: event.coalesceKey ?? null,
          ord: event.order ?? null,
        })
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
        ),
    );
  }
}

/** @internal The SQLite domain event outbox and the recording wrapper of the event sources. */
export function createSqliteDomainEvents(ctx: StoreContext): {
  store: DomainEventStore;
  recording<T extends object>(name: DomainEventSourceStore, factory: (ctx: StoreContext) => T): T;
} {
  const enabled = new Set<DomainEventKind>();
  const { db, exec } = ctx;

  const store: DomainEventStore = {
    enable(kinds) {
      for (const kind of kinds) enabled.add(kind);
    },
    enabledKinds() {
      return [...enabled];
    },
    claim({ limit, leaseMs, kinds }) {
      return ctx.run("domain events claim", () => {
        if (limit <= 0 || kinds?.length === 0) return [];
        const now = Date.now();
        return exec.transaction(() => {
          const rows = exec.all<EventRow>(
            db
              .selectFrom("domain_events")
              .select([
                "id",
                "kind",
                "type",
                "conversation_id",
                "data",
                "occurred_at",
                "coalesce_key",
                "ord",
                "revision",
              ])
              .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<=", now)]))
              .$if(kinds !== undefined, (query) => query.where("kind", "in", [...kinds!]))
              .orderBy("seq")
              .limit(limit),
          );
          if (rows.length > 0) {
            exec.run(
              db
                .updateTable("domain_events")
                .set({ lease_until: now + leaseMs })
                .where(
                  "id",
                  "in",
                  rows.map((r) => r.id),
                ),
            );
          }
          return rows.map(toEvent);
        }, "bookkeeping");
      });
    },
    settle(events) {
      return ctx.run("domain events settle", () => {
        if (events.length === 0) return;
        exec.transaction(() => {
          for (const { id, revision } of events) {
            exec.run(
              db.deleteFrom("domain_events").where("id", "=", id).where("revision", "=", revision),
            );
          }
        }, "bookkeeping");
      });
    },
    pending() {
      return ctx.run("domain events pending", () => {
        const row = exec.first<{ n: number }>(
          db.selectFrom("domain_events").select((eb) => eb.fn.countAll<number>().as("n")),
        );
        return Number(row?.n ?? 0);
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
          // The store's statements run synchronously inside `run`: capturing its result inside
          // this transaction puts the write and its events in one commit.
          exec.transaction(() => {
            let captured: { value: unknown } | undefined;
            const inner = factory({
              ...ctx,
              run: (_what, operation) => {
                const value = operation();
                if (value instanceof Promise) {
                  throw new Error(`[lucky-im] [store-sqlite] ${name}.${method} is not synchronous`);
                }
                captured = { value };
                return Promise.resolve(value);
              },
            }) as Record<string, (...a: unknown[]) => Promise<unknown>>;
            void inner[method]!(...args);
            if (!captured) {
              throw new Error(`[lucky-im] [store-sqlite] ${name}.${method} wrote nothing`);
            }
            insertDomainEvents(ctx, domainEventsOf(name, method, args, captured.value, enabled));
            return captured.value;
          }),
        ),
    );
  }

  return { store, recording };
}
