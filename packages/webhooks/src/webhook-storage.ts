import type {
  ClaimedOutboxEntry,
  ContactStore,
  CursorStore,
  GroupStore,
  MessageChangeStore,
  MessageStore,
  OutboxStore,
  Storage,
} from "@lucky-im/core";
import {
  changeEvent,
  contactEvent,
  groupCreatedEvent,
  groupEvent,
  messageStoredEvent,
  readEvent,
} from "./event-builders.js";
import type { WebhookEvent } from "./webhook-event.js";

/** Where {@link withWebhookEvents} records events (a `WebhookDispatcher` is one). */
export interface WebhookEventSink {
  /** Records events durably; rejects when it could not. */
  record(events: readonly WebhookEvent[]): Promise<void>;
}

/** Options of {@link withWebhookEvents}. */
export interface WebhookStorageOptions {
  /**
   * The most outbox entries whose events wait for their entry's settlement, per node.
   * Beyond it the oldest are forgotten: their entries are then left pending for the relay,
   * which re-drives them (a duplicate push to clients, who de-duplicate by id). @default 100000
   */
  maxTracked?: number;
  /** Told of events that could not be recorded after a committed write (see the guarantees). */
  onError?: (error: unknown, context: string) => void;
  /** Told of each after-commit event that could not be recorded (counted `recordFailed`). */
  onRecordFailed?: (events: readonly WebhookEvent[]) => void;
}

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
 * - After-commit events (`message.read`, `group.*`, `contact.changed`) are recorded after
 *   the store's write and before the engine answers the client. A crash between the two,
 *   or a sink failure (reported, counted by `onRecordFailed`), loses the event: the write
 *   stands and the client is not failed.
 */
export function withWebhookEvents(
  storage: Storage,
  sink: WebhookEventSink,
  options: WebhookStorageOptions = {},
): Storage {
  const maxTracked = options.maxTracked ?? 100_000;
  if (!Number.isInteger(maxTracked) || maxTracked < 1) {
    throw new RangeError(
      `[lucky-im] [webhooks] maxTracked must be an integer >= 1, got ${maxTracked}`,
    );
  }
  const report = options.onError ?? (() => undefined);
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

  function afterCommit(events: WebhookEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return sink.record(events).catch((error: unknown) => {
      report(error, "recording webhook events");
      options.onRecordFailed?.(events);
    });
  }

  const outbox = storage.outbox;
  const wrappedOutbox = override<OutboxStore>(outbox, {
    async claim(...args: Parameters<OutboxStore["claim"]>) {
      const entries: ClaimedOutboxEntry[] = await outbox.claim(...args);
      for (const entry of entries) {
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

  const cursors = storage.cursors;
  const cursorOverrides: Partial<Record<keyof CursorStore, Method>> = {
    async markRead(userId: string, conversationId: string, seq: number) {
      const moved = await cursors.markRead(userId, conversationId, seq);
      if (moved !== undefined) await afterCommit([readEvent(userId, conversationId, moved)]);
      return moved;
    },
  };
  if (cursors.markMany) {
    const markMany = cursors.markMany.bind(cursors);
    cursorOverrides.markMany = async (
      moves: Parameters<NonNullable<CursorStore["markMany"]>>[0],
    ) => {
      const moved = await markMany(moves);
      await afterCommit(
        moved
          .filter((m) => m.kind === "read")
          .map((m) => readEvent(m.userId, m.conversationId, m.seq)),
      );
      return moved;
    };
  }
  const wrappedCursors = override<CursorStore>(cursors, cursorOverrides);

  const groups = storage.groups;
  const wrappedGroups = override<GroupStore>(groups, {
    async create(...args: Parameters<GroupStore["create"]>) {
      const group = await groups.create(...args);
      await afterCommit([groupCreatedEvent(group)]);
      return group;
    },
    async addMembers(...args: Parameters<GroupStore["addMembers"]>) {
      const added = await groups.addMembers(...args);
      const groupId = args[0];
      if (added.length > 0) {
        await afterCommit([groupEvent("group.member_joined", groupId, { userIds: added })]);
      }
      return added;
    },
    async removeMembers(groupId: string, userIds: readonly string[]) {
      const removed = await groups.removeMembers(groupId, userIds);
      if (removed.length > 0) {
        await afterCommit([groupEvent("group.member_left", groupId, { userIds: removed })]);
      }
      return removed;
    },
    async update(...args: Parameters<GroupStore["update"]>) {
      await groups.update(...args);
      await afterCommit([
        groupEvent("group.changed", args[0], { change: "updated", patch: args[1] }),
      ]);
    },
    async setRole(...args: Parameters<GroupStore["setRole"]>) {
      await groups.setRole(...args);
      const [groupId, userId, role] = args;
      await afterCommit([groupEvent("group.changed", groupId, { change: "role", userId, role })]);
    },
    async muteMember(...args: Parameters<GroupStore["muteMember"]>) {
      await groups.muteMember(...args);
      const [groupId, userId, until] = args;
      await afterCommit([groupEvent("group.changed", groupId, { change: "muted", userId, until })]);
    },
    async transferOwner(...args: Parameters<GroupStore["transferOwner"]>) {
      await groups.transferOwner(...args);
      const [groupId, ownerId] = args;
      await afterCommit([groupEvent("group.changed", groupId, { change: "owner", ownerId })]);
    },
    async dismiss(groupId: string) {
      await groups.dismiss(groupId);
      await afterCommit([groupEvent("group.changed", groupId, { change: "dismissed" })]);
    },
  } as Partial<Record<keyof GroupStore, Method>>);

  const contacts = storage.contacts;
  const wrappedContacts = override<ContactStore>(contacts, {
    async sendRequest(...args: Parameters<ContactStore["sendRequest"]>) {
      const result = await contacts.sendRequest(...args);
      const { fromId, toId } = args[0];
      if (result.outcome === "requested" || result.outcome === "accepted") {
        await afterCommit([contactEvent(`request_${result.outcome}`, fromId, toId)]);
      }
      return result;
    },
    async acceptRequest(toId: string, fromId: string, now: number) {
      const request = await contacts.acceptRequest(toId, fromId, now);
      await afterCommit([contactEvent("request_accepted", toId, fromId)]);
      return request;
    },
    async declineRequest(toId: string, fromId: string, now: number) {
      const request = await contacts.declineRequest(toId, fromId, now);
      await afterCommit([contactEvent("request_declined", toId, fromId)]);
      return request;
    },
    async cancelRequest(fromId: string, toId: string, now: number) {
      const request = await contacts.cancelRequest(fromId, toId, now);
      await afterCommit([contactEvent("request_canceled", fromId, toId)]);
      return request;
    },
    async removeContact(userId: string, contactId: string) {
      const removed = await contacts.removeContact(userId, contactId);
      if (removed) await afterCommit([contactEvent("removed", userId, contactId)]);
      return removed;
    },
    async block(userId: string, blockedId: string, now: number) {
      const blocked = await contacts.block(userId, blockedId, now);
      if (blocked) await afterCommit([contactEvent("blocked", userId, blockedId)]);
      return blocked;
    },
    async unblock(userId: string, blockedId: string) {
      const unblocked = await contacts.unblock(userId, blockedId);
      if (unblocked) await afterCommit([contactEvent("unblocked", userId, blockedId)]);
      return unblocked;
    },
  } as Partial<Record<keyof ContactStore, Method>>);

  const wrapped: Record<string, unknown> = {
    outbox: wrappedOutbox,
    messages: wrappedMessages,
    changes: wrappedChanges,
    cursors: wrappedCursors,
    groups: wrappedGroups,
    contacts: wrappedContacts,
  };
  return new Proxy(storage, {
    get(object, property, receiver) {
      if (typeof property === "string" && property in wrapped) return wrapped[property];
      const value = Reflect.get(object, property, receiver);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}
