import type { CursorMoved } from "../contracts/cursor-store.js";
import type { Admission, AdmissionResult, NewJoinTicket } from "../contracts/group-join-store.js";
import type { GroupPatch } from "../contracts/group-store.js";
import type { SendRequestResult } from "./contact.js";
import { groupConversationId } from "./conversation.js";
import type { DomainEventKind, NewDomainEvent } from "./domain-event.js";
import type { Group } from "./group.js";
import type { GroupJoinTicket } from "./group-join.js";
import { inviteLinkId } from "./invite-link-id.js";

/** The storage members whose writes record domain events. */
export type DomainEventSourceStore = "groups" | "cursors" | "contacts" | "groupJoins";

type Derive = (args: never[], result: never, now: number) => NewDomainEvent[];

interface Source {
  /** The kinds this method may record (recording is skipped when none is enabled). */
  kinds: readonly DomainEventKind[];
  /** The events of one call, from its arguments and result. */
  derive: Derive;
}

function groupEvent(
  type: string,
  groupId: string,
  at: number,
  data: Record<string, unknown>,
): NewDomainEvent {
  return {
    kind: "group",
    type,
    conversationId: groupConversationId(groupId),
    occurredAt: at,
    data: { groupId, ...data },
  };
}

function groupChanged(groupId: string, at: number, data: Record<string, unknown>) {
  return [groupEvent("group.changed", groupId, at, data)];
}

function contactEvent(
  change: string,
  userId: string,
  otherId: string,
  at: number,
): NewDomainEvent[] {
  return [
    { kind: "contact", type: "contact.changed", occurredAt: at, data: { change, userId, otherId } },
  ];
}

function readEvent(
  userId: string,
  conversationId: string,
  seq: number,
  at: number,
): NewDomainEvent {
  return {
    kind: "read",
    type: "message.read",
    conversationId,
    occurredAt: at,
    data: { userId, conversationId, seq },
    coalesceKey: JSON.stringify(["read", userId, conversationId]),
    order: seq,
  };
}

function joinEvent(
  type: string,
  groupId: string,
  at: number,
  data: Record<string, unknown>,
): NewDomainEvent {
  return {
    kind: "group_join",
    type,
    conversationId: groupConversationId(groupId),
    occurredAt: at,
    data: { groupId, ...data },
  };
}

function ticketData(ticket: GroupJoinTicket): Record<string, unknown> {
  return {
    ticketId: ticket.ticketId,
    kind: ticket.kind,
    userId: ticket.userId,
    by: ticket.by,
    ...(ticket.decidedBy !== undefined && { decidedBy: ticket.decidedBy }),
  };
}

const src = <A extends unknown[], R>(
  kinds: readonly DomainEventKind[],
  derive: (args: A, result: R, now: number) => NewDomainEvent[],
): Source => ({ kinds, derive: derive as unknown as Derive });

/**
 * Every write that records domain events, and the events of one call. The storage
 * adapters run the write and {@link domainEventsOf} in one transaction when one of the
 * method's kinds is enabled; the payloads are the same on every adapter.
 */
const SOURCES: Record<DomainEventSourceStore, Record<string, Source>> = {
  groups: {
    create: src<[unknown], Group>(["group"], (_args, group) => [
      {
        kind: "group",
        type: "group.created",
        conversationId: groupConversationId(group.groupId),
        occurredAt: group.createdAt,
        data: { group },
      },
    ]),
    addMembers: src<[string, string[], number], string[]>(
      ["group"],
      ([groupId, , joinedAt], added) =>
        added.length > 0
          ? [groupEvent("group.member_joined", groupId, joinedAt, { userIds: added })]
          : [],
    ),
    removeMembers: src<[string, string[]], string[]>(["group"], ([groupId], removed, now) =>
      removed.length > 0
        ? [groupEvent("group.member_left", groupId, now, { userIds: removed })]
        : [],
    ),
    update: src<[string, GroupPatch], void>(["group"], ([groupId, patch], _r, now) =>
      groupChanged(groupId, now, { change: "updated", patch }),
    ),
    setRole: src<[string, string, string], void>(["group"], ([groupId, userId, role], _r, now) =>
      groupChanged(groupId, now, { change: "role", userId, role }),
    ),
    muteMember: src<[string, string, number | null], void>(
      ["group"],
      ([groupId, userId, until], _r, now) =>
        groupChanged(groupId, now, { change: "muted", userId, until }),
    ),
    transferOwner: src<[string, string], void>(["group"], ([groupId, ownerId], _r, now) =>
      groupChanged(groupId, now, { change: "owner", ownerId }),
    ),
    dismiss: src<[string], void>(["group"], ([groupId], _r, now) =>
      groupChanged(groupId, now, { change: "dismissed" }),
    ),
  },
  cursors: {
    markRead: src<[string, string, number], number | undefined>(
      ["read"],
      ([userId, conversationId], moved, now) =>
        moved === undefined ? [] : [readEvent(userId, conversationId, moved, now)],
    ),
    markMany: src<[unknown], CursorMoved[]>(["read"], (_args, moved, now) =>
      moved
        .filter((m) => m.kind === "read")
        .map((m) => readEvent(m.userId, m.conversationId, m.seq, now)),
    ),
  },
  contacts: {
    sendRequest: src<[{ fromId: string; toId: string; now: number }], SendRequestResult>(
      ["contact"],
      ([{ fromId, toId, now }], result) =>
        result.outcome === "requested" || result.outcome === "accepted"
          ? contactEvent(`request_${result.outcome}`, fromId, toId, now)
          : [],
    ),
    acceptRequest: src<[string, string, number], unknown>(["contact"], ([toId, fromId, now]) =>
      contactEvent("request_accepted", toId, fromId, now),
    ),
    declineRequest: src<[string, string, number], unknown>(["contact"], ([toId, fromId, now]) =>
      contactEvent("request_declined", toId, fromId, now),
    ),
    cancelRequest: src<[string, string, number], unknown>(["contact"], ([fromId, toId, now]) =>
      contactEvent("request_canceled", fromId, toId, now),
    ),
    removeContact: src<[string, string], boolean>(["contact"], ([userId, otherId], removed, now) =>
      removed ? contactEvent("removed", userId, otherId, now) : [],
    ),
    block: src<[string, string, number], boolean>(["contact"], ([userId, otherId, now], blocked) =>
      blocked ? contactEvent("blocked", userId, otherId, now) : [],
    ),
    unblock: src<[string, string], boolean>(["contact"], ([userId, otherId], unblocked, now) =>
      unblocked ? contactEvent("unblocked", userId, otherId, now) : [],
    ),
  },
  groupJoins: {
    openTicket: src<[NewJoinTicket], GroupJoinTicket>(["group_join"], (_args, ticket) => [
      joinEvent(
        ticket.kind === "request" ? "group_join.requested" : "group_join.invited",
        ticket.groupId,
        ticket.createdAt,
        { ...ticketData(ticket), message: ticket.message, expiresAt: ticket.expiresAt },
      ),
    ]),
    declineTicket: src<[string, string, number], GroupJoinTicket>(
      ["group_join"],
      ([, , now], ticket) => [
        joinEvent(
          "group_join.declined",
          ticket.groupId,
          ticket.decidedAt ?? now,
          ticketData(ticket),
        ),
      ],
    ),
    admit: src<[Admission], AdmissionResult>(
      ["group_join", "group"],
      ([{ groupId, userId, path, at }], result) => {
        const events: NewDomainEvent[] = [];
        if (path.kind === "ticket") {
          events.push(
            joinEvent("group_join.approved", groupId, at, {
              ticketId: path.ticketId,
              userId,
              decidedBy: path.decidedBy,
              joined: result.joined,
            }),
          );
        } else if (path.kind === "link" && result.joined) {
          events.push(
            joinEvent("group_join.joined_by_link", groupId, at, {
              // The code is the link's bearer secret: events name the link by a hash of it.
              linkId: inviteLinkId(path.code),
              userId,
            }),
          );
        }
        if (result.joined) {
          events.push(
            groupEvent("group.member_joined", groupId, at, { userIds: [userId], via: path.kind }),
          );
        }
        return events;
      },
    ),
  },
};

/**
 * The kinds `store.method` may record, or `undefined` when it records none.
 * For storage adapters (and consumers such as `@lucky-im/webhooks`).
 */
export function domainEventKindsOf(
  store: DomainEventSourceStore,
  method: string,
): readonly DomainEventKind[] | undefined {
  return Object.hasOwn(SOURCES[store], method) ? SOURCES[store][method]?.kinds : undefined;
}

/**
 * The events of one successful call of `store.method` with `args` and its `result`, of the
 * `enabled` kinds only (what a storage adapter writes in the call's transaction).
 * For storage adapters (and consumers such as `@lucky-im/webhooks`).
 */
export function domainEventsOf(
  store: DomainEventSourceStore,
  method: string,
  args: readonly unknown[],
  result: unknown,
  enabled: ReadonlySet<DomainEventKind>,
  now: number = Date.now(),
): NewDomainEvent[] {
  const source = Object.hasOwn(SOURCES[store], method) ? SOURCES[store][method] : undefined;
  if (!source) return [];
  return source
    .derive(args as never[], result as never, now)
    .filter((event) => enabled.has(event.kind))
    .map((event) => structuredClone(event));
}

/**
 * Wraps one store so that each write listed above calls `recorded(method, args)` instead of
 * the store's own method when one of its kinds is enabled; `recorded` runs the write and
 * records its events atomically. Every other member (and every write while no kind is
 * enabled) goes straight to `store`.
 * For storage adapters (and consumers such as `@lucky-im/webhooks`).
 */
export function recordingDomainEvents<T extends object>(
  storeName: DomainEventSourceStore,
  store: T,
  enabled: () => ReadonlySet<DomainEventKind>,
  recorded: (method: string, args: unknown[]) => Promise<unknown>,
): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const kinds =
        typeof property === "string" ? domainEventKindsOf(storeName, property) : undefined;
      if (!kinds) return value.bind(target);
      return (...args: unknown[]) => {
        const on = enabled();
        return kinds.some((kind) => on.has(kind))
          ? recorded(property as string, args)
          : value.apply(target, args);
      };
    },
  });
}
