import {
  type BackgroundErrorHandler,
  type ClaimedOutboxEntry,
  ConfigError,
  checkOption,
  type DomainEvent,
  type DomainEventKind,
  type DomainEventSourceStore,
  domainEventKindsOf,
  type MessageChangeStore,
  type MessageStore,
  type OutboxStore,
  reportBackgroundError,
  type Storage,
} from "@lucky-im/core";
import { changeEvent, domainWebhookEvent, messageStoredEvent } from "./event-builders.js";
import type { WebhookEvent, WebhookEventType } from "./webhook-event.js";

/** Where {@link withWebhookEvents} records events (a `WebhookDispatcher` is one). */
export interface WebhookEventSink {
  /** Records events durably; rejects when it could not. */
  record(events: readonly WebhookEvent[]): Promise<void>;
  /**
   * Whether events of `type` are wanted (a `WebhookDispatcher`: some endpoint receives
   * them). Group, group-join, contact and read events of unwanted types are not recorded
   * by the storage at all. Without it, every type but `message.read` is wanted.
   */
  wants?(type: WebhookEventType): boolean;
}

/** Options of {@link withWebhookEvents}. */
export interface WebhookStorageOptions {
  /**
   * The most outbox entries whose events wait for their entry's settlement, per node.
   * Beyond it the oldest are forgotten: their entries are then left pending for the relay,
   * which re-drives them (a duplicate push to clients, who de-duplicate by id). @default 100000
   */
  maxTracked?: number;
  /**
   * Told of errors that reach no caller, as an `ImError` (anything else wrapped as
   * `internal`, the original as `cause`) and what failed: `"relaying domain events to
   * webhooks"` (a relay pass), or recording a message's events in the sink.
   * @default ignored
   */
  onError?: BackgroundErrorHandler;
  /**
   * Told of domain events whose recording in the sink failed; they stay in the storage's
   * domain event outbox and are relayed again once their lease ends.
   */
  onRecordFailed?: (events: readonly WebhookEvent[]) => void;
  /** How often the domain event relay looks for events (besides right after each write). @default 1000 */
  relayIntervalMs?: number;
  /** How long a relay pass holds the domain events it claimed. @default 30000 */
  relayLeaseMs?: number;
  /** The most domain events one relay step claims. @default 100 */
  relayBatchSize?: number;
  /**
   * How long a domain event of a type this node does not want (but of a kind it reads, say
   * `group.changed` when its endpoints list only `group.created`) is left to the other nodes,
   * in ms: this node neither records nor settles it, and once its lease ends a node that wants
   * it can claim it. Past this age it is settled (dropped): no node took it, and it must not
   * pile up. Longer protects a cluster whose nodes' endpoints differ (a rolling change) better;
   * shorter keeps fewer unwanted events waiting when every node wants the same (0: drop them
   * at once, for a single node or a cluster whose nodes all want the same).
   * @default 60000 (two default leases)
   */
  relayUnwantedGraceMs?: number;
}

/** The webhook event types of each domain event kind. */
const KIND_TYPES: Record<DomainEventKind, readonly WebhookEventType[]> = {
  group: ["group.created", "group.changed", "group.member_joined", "group.member_left"],
  group_join: [
    "group_join.requested",
    "group_join.invited",
    "group_join.approved",
    "group_join.declined",
    "group_join.joined_by_link",
  ],
  contact: ["contact.changed"],
  read: ["message.read"],
};

type Method = (...args: never[]) => unknown;

/** Wraps `target`, replacing the listed methods; every other member passes through. */
function override<T extends object>(target: T, overrides: Partial<Record<keyof T, Method>>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const replaced = (overrides as Record<PropertyKey, Method | undefined>)[property];
      if (replaced) return replaced;
      const value = Reflect.get(object, property, receiver);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/**
 * Wraps an engine {@link Storage} so that the engine's writes become webhook events.
 * Pass the result to `createImServer({ storage })`.
 *
 * Guarantees (docs/integrations.md):
 * - Outbox events (`message.stored`, `message.edited`, `message.recalled`,
 *   `message.changed`) are at-least-once across crashes: each is recorded in the sink
 *   BEFORE its outbox entry is marked sent. A crash before that leaves the entry pending;
 *   the outbox relay (any node) claims it again and the event is recorded then, with the
 *   same id. If the sink fails, the entry is not marked sent and is re-driven later; the
 *   message itself was already delivered, so the send path is never slowed or failed.
 * - Domain events (`group.*`, `group_join.*`, `contact.changed`, `message.read`) are
 *   at-least-once across crashes: the storage writes each in the transaction of its change
 *   (`Storage.domainEvents`), for the wanted types only; a relay here claims them right after
 *   the write (and every `relayIntervalMs`), records them in the sink, then settles them. A
 *   crash or a sink failure in between leaves them in the storage; a relay on any node
 *   claims them again once the lease ends, with the same event ids.
 *
 * Closing the returned storage stops its relay. Throws when a wanted type needs
 * `Storage.domainEvents` and the storage has none.
 */
export function withWebhookEvents(
  storage: Storage,
  sink: WebhookEventSink,
  options: WebhookStorageOptions = {},
): Storage {
  const maxTracked = checkOption("webhooks", "maxTracked", options.maxTracked, {
    default: 100_000,
    min: 1,
    integer: true,
  });
  const errorHandler = options.onError;
  const report = (error: unknown, context: string) => {
    if (errorHandler) reportBackgroundError(errorHandler, error, context);
  };
  /** Outbox entry id → the events to record before it is marked sent (maybe none). */
  const tracked = new Map<string, WebhookEvent[]>();

  function track(outboxId: string, events: WebhookEvent[]): void {
    tracked.delete(outboxId);
    tracked.set(outboxId, events);
    if (tracked.size > maxTracked) {
      const oldest = tracked.keys().next().value;
      if (oldest !== undefined) tracked.delete(oldest);
    }
  }

  function trackChangeResult(result: unknown): void {
    const r = result as
      | { outboxId?: unknown; change?: Parameters<typeof changeEvent>[0] }
      | undefined;
    if (r && typeof r.outboxId === "string" && r.change) {
      const event = changeEvent(r.change);
      track(r.outboxId, event ? [event] : []);
    }
  }

  const outbox = storage.outbox;
  const wrappedOutbox = override<OutboxStore>(outbox, {
    async claim(...args: Parameters<OutboxStore["claim"]>) {
      const entries: ClaimedOutboxEntry[] = await outbox.claim(...args);
      for (const entry of entries) {
        // The fast path's snapshot (taken at append) wins over the message as it is now.
        if (tracked.has(entry.id)) continue;
        if (entry.kind === "change") {
          const event = entry.change ? changeEvent(entry.change) : undefined;
          track(entry.id, event ? [event] : []);
        } else {
          track(entry.id, [messageStoredEvent(entry.message)]);
        }
      }
      return entries;
    },
    async markSent(ids: readonly string[]) {
      // Only entries whose events are known are marked; the rest stay pending for the relay.
      const known = ids.filter((id) => tracked.has(id));
      const events = known.flatMap((id) => tracked.get(id) ?? []);
      if (events.length > 0) await sink.record(events);
      for (const id of known) tracked.delete(id);
      if (known.length > 0) await outbox.markSent(known);
    },
  } as Partial<Record<keyof OutboxStore, Method>>);

  const messages = storage.messages;
  const wrappedMessages = override<MessageStore>(messages, {
    async append(...args: Parameters<MessageStore["append"]>) {
      const result = await messages.append(...args);
      if (result.created && result.outboxId !== undefined) {
        track(result.outboxId, [messageStoredEvent(result.message)]);
      }
      return result;
    },
  } as Partial<Record<keyof MessageStore, Method>>);

  const changes = storage.changes;
  const changeWriters = [
    "edit",
    "react",
    "unreact",
    "pin",
    "unpin",
    "deleteForMe",
    "clearConversation",
  ] as const;
  const wrappedChanges = override<MessageChangeStore>(
    changes,
    Object.fromEntries(
      changeWriters.map((name) => [
        name,
        async (...args: unknown[]) => {
          const result = await (changes[name] as (...a: unknown[]) => Promise<unknown>).apply(
            changes,
            args,
          );
          trackChangeResult(result);
          return result;
        },
      ]),
    ) as Partial<Record<keyof MessageChangeStore, Method>>,
  );

  const relay = domainEventRelay(storage, sink, options, report);

  const wrapped: Record<string, unknown> = {
    outbox: wrappedOutbox,
    messages: wrappedMessages,
    changes: wrappedChanges,
  };
  if (relay) {
    for (const name of ["groups", "cursors", "contacts", "groupJoins"] as const) {
      wrapped[name] = afterWrites(name, storage[name], relay.kick);
    }
    wrapped.close = async () => {
      await relay.stop();
      await storage.close();
    };
  }
  return new Proxy(storage, {
    get(object, property, receiver) {
      if (typeof property === "string" && property in wrapped) return wrapped[property];
      const value = Reflect.get(object, property, receiver);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/** `store` whose event-recording writes call `kick` once they resolve. */
function afterWrites<T extends object>(
  name: DomainEventSourceStore,
  store: T,
  kick: () => void,
): T {
  return new Proxy(store, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function") return value;
      if (typeof property !== "string" || !domainEventKindsOf(name, property)) {
        return value.bind(object);
      }
      return async (...args: unknown[]) => {
        const result = await value.apply(object, args);
        kick();
        return result;
      };
    },
  });
}

/**
 * Splits a relay step's claimed domain events: the webhook events to record, and the domain
 * events to settle (those recorded, those that make no webhook event, and those of a type this
 * node does not want that occurred by `unwantedBefore`). A younger unwanted event is neither:
 * its lease lapses and a node that wants it claims it. Releasing it at once instead would have
 * this node claim it again on its next step, and enough of them would fill every step.
 */
function sortClaimed(
  claimed: readonly DomainEvent[],
  wants: (type: WebhookEventType) => boolean,
  unwantedBefore: number,
): { taken: DomainEvent[]; events: WebhookEvent[] } {
  const taken: DomainEvent[] = [];
  const events: WebhookEvent[] = [];
  for (const domainEvent of claimed) {
    const event = domainWebhookEvent(domainEvent);
    if (event && wants(event.type)) events.push(event);
    else if (event && domainEvent.occurredAt > unwantedBefore) continue;
    taken.push(domainEvent);
  }
  return { taken, events };
}

/** Checks a relay option (an integer >= 1). */
function checkRelayOption(name: string, value: number | undefined, fallback: number): number {
  return checkOption("webhooks", name, value, { default: fallback, min: 1, integer: true });
}

/**
 * Turns on the wanted domain event kinds on `storage` and relays its domain events to the
 * sink: claim, record, settle; right after writes (`kick`) and every `relayIntervalMs`.
 * `undefined` when no wanted type is a domain event.
 */
function domainEventRelay(
  storage: Storage,
  sink: WebhookEventSink,
  options: WebhookStorageOptions,
  report: (error: unknown, context: string) => void,
): { kick(): void; stop(): Promise<void> } | undefined {
  const intervalMs = checkRelayOption("relayIntervalMs", options.relayIntervalMs, 1000);
  const leaseMs = checkRelayOption("relayLeaseMs", options.relayLeaseMs, 30_000);
  const batchSize = checkRelayOption("relayBatchSize", options.relayBatchSize, 100);
  const foreignGraceMs = checkOption(
    "webhooks",
    "relayUnwantedGraceMs",
    options.relayUnwantedGraceMs,
    {
      default: 60_000,
      min: 0,
      integer: true,
    },
  );
  const wants = (type: WebhookEventType) =>
    sink.wants ? sink.wants(type) : type !== "message.read";
  const kinds = (Object.keys(KIND_TYPES) as DomainEventKind[]).filter((kind) =>
    KIND_TYPES[kind].some(wants),
  );
  if (kinds.length === 0) return undefined;
  const domain = storage.domainEvents;
  if (!domain) {
    throw new ConfigError(
      "webhooks",
      `${kinds.join(", ")} events need Storage.domainEvents, which this storage lacks (the memory, PostgreSQL and SQLite storages have it)`,
      { option: "storage" },
    );
  }
  domain.enable(kinds);

  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  async function pass(): Promise<void> {
    do {
      again = false;
      // Only the kinds this node reads: another node may read kinds this one does not.
      const claimed = await domain!.claim({ limit: batchSize, leaseMs, kinds });
      if (claimed.length === 0) return;
      const { taken, events } = sortClaimed(claimed, wants, Date.now() - foreignGraceMs);
      if (events.length > 0) {
        try {
          await sink.record(events);
        } catch (error) {
          // Left leased: claimed again (same ids) once the lease ends, here or on another node.
          options.onRecordFailed?.(events);
          throw error;
        }
      }
      await domain!.settle(taken);
      if (claimed.length === batchSize) again = true;
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .catch((error: unknown) => report(error, "relaying domain events to webhooks"))
      .finally(() => {
        running = undefined;
        if (again && !stopped) kick();
      });
  }

  const timer = setInterval(kick, intervalMs);
  timer.unref?.();
  kick();
  return {
    kick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
