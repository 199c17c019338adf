import type { GroupJoinStore } from "../contracts/group-join-store.js";
import {
  DEFAULT_GROUP_JOIN_SETTINGS,
  type GroupInviteLink,
  type GroupJoinTicket,
} from "../domain/group-join.js";
import { ImError } from "../errors.js";
import { joinGroup } from "./memory-group-store.js";
import type { MemoryStorageState, StoredGroupJoins } from "./memory-storage-backend.js";

/** @internal What the memory join store needs from its storage. */
export interface MemoryGroupJoinStoreContext {
  state: MemoryStorageState;
}

function refused(reason: string, message: string): ImError {
  return new ImError(
    reason === "unknown" ? "not_found" : "forbidden",
    `[lucky-im] [core] ${message}`,
    {
      details: { reason },
    },
  );
}

/** A copy of a ticket, `expired` when pending past its expiry at `now`. */
function ticketAt(ticket: GroupJoinTicket, now: number): GroupJoinTicket {
  const copy = { ...ticket };
  if (copy.state === "pending" && copy.expiresAt <= now) copy.state = "expired";
  return copy;
}

function linkCopy(link: GroupInviteLink & { usedBy: Set<string> }): GroupInviteLink {
  const { usedBy: _usedBy, ...rest } = link;
  return { ...rest };
}

/** @internal The in-memory {@link GroupJoinStore}. Every method runs without an await, so each is atomic. */
export function createMemoryGroupJoinStore(context: MemoryGroupJoinStoreContext): GroupJoinStore {
  const { state } = context;

  const noGroup = (groupId: string) =>
    new ImError("not_found", `[lucky-im] [core] no group "${groupId}"`);

  function joinsOf(groupId: string): StoredGroupJoins {
    if (!state.groups.has(groupId)) throw noGroup(groupId);
    let joins = state.groupJoins.get(groupId);
    if (!joins) {
      joins = { tickets: new Map(), links: new Map() };
      state.groupJoins.set(groupId, joins);
    }
    return joins;
  }

  function findTicket(ticketId: string): GroupJoinTicket | undefined {
    const groupId = state.joinIndex.get(`t:${ticketId}`);
    return groupId === undefined ? undefined : state.groupJoins.get(groupId)?.tickets.get(ticketId);
  }

  function findLink(code: string) {
    const groupId = state.joinIndex.get(`l:${code}`);
    return groupId === undefined ? undefined : state.groupJoins.get(groupId)?.links.get(code);
  }

  return {
    async settings(groupId) {
      if (!state.groups.has(groupId)) return undefined;
      return { ...(state.groupJoins.get(groupId)?.settings ?? DEFAULT_GROUP_JOIN_SETTINGS) };
    },

    async updateSettings(groupId, patch) {
      const joins = joinsOf(groupId);
      const next = { ...(joins.settings ?? DEFAULT_GROUP_JOIN_SETTINGS) };
      if (patch.joinMode !== undefined) next.joinMode = patch.joinMode;
      if (patch.invitePolicy !== undefined) next.invitePolicy = patch.invitePolicy;
      joins.settings = next;
      return { ...next };
    },

    async openTicket(input) {
      const joins = joinsOf(input.groupId);
      if (state.joinIndex.has(`t:${input.ticketId}`)) {
        throw new ImError("conflict", `[lucky-im] [core] ticket "${input.ticketId}" exists`);
      }
      for (const ticket of joins.tickets.values()) {
        if (ticket.kind !== input.kind || ticket.userId !== input.userId) continue;
        if (ticket.state !== "pending") continue;
        if (ticket.expiresAt <= input.createdAt) ticket.state = "expired";
        else
          throw new ImError(
            "conflict",
            `[lucky-im] [core] ${input.userId} has a pending ${input.kind} for group "${input.groupId}"`,
          );
      }
      const ticket: GroupJoinTicket = { ...input, state: "pending" };
      joins.tickets.set(ticket.ticketId, ticket);
      state.joinIndex.set(`t:${ticket.ticketId}`, ticket.groupId);
      return { ...ticket };
    },

    async ticket(ticketId, now) {
      const ticket = findTicket(ticketId);
      return ticket ? ticketAt(ticket, now) : undefined;
    },

    async pendingTickets({ kind, groupId, userId, now }) {
      const groups =
        groupId === undefined ? [...state.groupJoins.values()] : [state.groupJoins.get(groupId)];
      const found: GroupJoinTicket[] = [];
      for (const joins of groups) {
        for (const ticket of joins?.tickets.values() ?? []) {
          if (ticket.kind !== kind || ticket.state !== "pending" || ticket.expiresAt <= now)
            continue;
          if (userId !== undefined && ticket.userId !== userId) continue;
          found.push({ ...ticket });
        }
      }
      return found.sort(
        (a, b) => a.createdAt - b.createdAt || a.ticketId.localeCompare(b.ticketId),
      );
    },

    async declineTicket(ticketId, by, now) {
      const ticket = findTicket(ticketId);
      if (!ticket) throw new ImError("not_found", `[lucky-im] [core] no ticket "${ticketId}"`);
      if (ticket.state !== "pending" || ticket.expiresAt <= now) {
        throw new ImError(
          "conflict",
          `[lucky-im] [core] ticket "${ticketId}" is no longer pending`,
        );
      }
      ticket.state = "declined";
      ticket.decidedBy = by;
      ticket.decidedAt = now;
      return { ...ticket };
    },

    async createLink(input) {
      const joins = joinsOf(input.groupId);
      if (state.joinIndex.has(`l:${input.code}`)) {
        throw new ImError("conflict", "[lucky-im] [core] the link code exists");
      }
      const link = { ...input, uses: 0, usedBy: new Set<string>() };
      joins.links.set(link.code, link);
      state.joinIndex.set(`l:${link.code}`, link.groupId);
      return linkCopy(link);
    },

    async link(code) {
      const link = findLink(code);
      return link ? linkCopy(link) : undefined;
    },

    async activeLinks(groupId, now) {
      return [...(state.groupJoins.get(groupId)?.links.values() ?? [])]
        .filter(
          (l) =>
            l.revokedAt === undefined &&
            l.expiresAt > now &&
            (l.maxUses === null || l.uses < l.maxUses),
        )
        .sort((a, b) => b.createdAt - a.createdAt || b.code.localeCompare(a.code))
        .map(linkCopy);
    },

    async revokeLink(code, at) {
      const link = findLink(code);
      if (!link) throw new ImError("not_found", "[lucky-im] [core] no such invite link");
      link.revokedAt ??= at;
    },

    async admit({ groupId, userId, path, at, maxMembers }) {
      const group = state.groups.get(groupId);
      if (!group) throw noGroup(groupId);
      let ticket: GroupJoinTicket | undefined;
      let link: ReturnType<typeof findLink>;
      if (path.kind === "ticket") {
        ticket = findTicket(path.ticketId);
        if (!ticket || ticket.groupId !== groupId || ticket.userId !== userId)
          throw refused("unknown", `no ticket "${path.ticketId}" for this user and group`);
        if (ticket.state !== "pending") throw refused("decided", "the ticket was decided already");
        if (ticket.expiresAt <= at) throw refused("expired", "the ticket expired");
      } else if (path.kind === "link") {
        link = findLink(path.code);
        if (!link || link.groupId !== groupId) throw refused("unknown", "no such invite link");
        if (link.revokedAt !== undefined) throw refused("revoked", "the invite link was revoked");
        if (link.expiresAt <= at) throw refused("expired", "the invite link expired");
        if (link.usedBy.has(userId))
          throw refused("already_used", "you used this invite link before");
        if (link.maxUses !== null && link.uses >= link.maxUses)
          throw refused("used_up", "the invite link is used up");
      }
      const isMember = group.members.some((m) => m.userId === userId);
      if (!isMember && group.members.length >= maxMembers) {
        throw new ImError(
          "too_large",
          `[lucky-im] [core] a group holds at most ${maxMembers} members`,
        );
      }
      if (ticket) {
        ticket.state = "accepted";
        ticket.decidedBy = path.kind === "ticket" ? path.decidedBy : userId;
        ticket.decidedAt = at;
      }
      if (isMember) return { joined: false };
      if (link) {
        link.uses++;
        link.usedBy.add(userId);
      }
      joinGroup(state, group, { userId, role: "member", joinedAt: at });
      return { joined: true };
    },

    async purgeExpired(expiredBefore) {
      let deleted = 0;
      for (const joins of state.groupJoins.values()) {
        for (const [key, entries] of [
          ["t", joins.tickets],
          ["l", joins.links],
        ] as const) {
          for (const [id, entry] of entries) {
            if (entry.expiresAt > expiredBefore) continue;
            entries.delete(id);
            state.joinIndex.delete(`${key}:${id}`);
            deleted++;
          }
        }
      }
      return deleted;
    },
  };
}
