import { randomBytes } from "node:crypto";
import type { AdmissionPath } from "../contracts/group-join-store.js";
import { type Group, isManager } from "../domain/group.js";
import type {
  GroupInviteLink,
  GroupJoinSettings,
  GroupJoinTicket,
  JoinTicketKind,
} from "../domain/group-join.js";
import { ImError } from "../errors.js";
import { isIllFormed } from "../protocol/json-limits.js";
import { newId } from "../util/ids.js";
import type { EngineCore } from "./engine-core.js";
import { announceGroupEvent } from "./group-announce.js";
import type {
  GroupJoinOperations,
  InviteLinkOptions,
  JoinResult,
} from "./group-join-operations.js";

const JOIN_MODES = new Set(["open", "approval", "invite"]);
const INVITE_POLICIES = new Set(["members", "admins"]);

function managerIdsOf(group: Group): string[] {
  return group.members.filter((m) => isManager(m.role)).map((m) => m.userId);
}

function roleOf(group: Group, userId: string) {
  return group.members.find((m) => m.userId === userId)?.role;
}

/**
 * Implements {@link GroupJoinOperations}: the rules (who may do what, in
 * which join mode) live here; the store makes each join atomic.
 *
 * @internal The engine creates it: use `im.groups`.
 */
export class GroupJoinService implements GroupJoinOperations {
  /** @param core - the engine's collaborators (storage, caches, delivery) */
  constructor(private readonly core: EngineCore) {}

  private get store() {
    return this.core.storage.groupJoins;
  }

  /** The group's join settings, or undefined when it does not exist. */
  joinSettings(groupId: string): Promise<GroupJoinSettings | undefined> {
    return this.store.settings(groupId);
  }

  /** Changes the join mode and/or who may invite (owner or admin). */
  async updateJoinSettings(
    groupId: string,
    by: string,
    patch: Partial<GroupJoinSettings>,
  ): Promise<GroupJoinSettings> {
    if (patch.joinMode !== undefined && !JOIN_MODES.has(patch.joinMode))
      throw new ImError("bad_request", "joinMode is open, approval or invite");
    if (patch.invitePolicy !== undefined && !INVITE_POLICIES.has(patch.invitePolicy))
      throw new ImError("bad_request", "invitePolicy is members or admins");
    const group = await this.requireManager(groupId, by);
    const settings = await this.store.updateSettings(groupId, {
      ...(patch.joinMode !== undefined && { joinMode: patch.joinMode }),
      ...(patch.invitePolicy !== undefined && { invitePolicy: patch.invitePolicy }),
    });
    await this.announce(
      group,
      "updated",
      [],
      by,
      group.members.map((m) => m.userId),
    );
    return settings;
  }

  /** Joins an `open` group at once. */
  async join(groupId: string, userId: string): Promise<JoinResult> {
    const group = await this.requireGroup(groupId);
    if (roleOf(group, userId)) return { groupId, joined: false };
    const { joinMode } = (await this.store.settings(groupId)) ?? { joinMode: "invite" };
    if (joinMode === "approval")
      throw new ImError("forbidden", `group ${groupId} needs approval: send a join request`);
    if (joinMode !== "open") throw new ImError("forbidden", `group ${groupId} is invite only`);
    return this.admit(groupId, userId, { kind: "open" }, userId);
  }

  /** Asks to join an `approval` group. */
  async requestJoin(groupId: string, userId: string, message = ""): Promise<GroupJoinTicket> {
    const text = this.checkMessage(message);
    const group = await this.requireGroup(groupId);
    if (roleOf(group, userId))
      throw new ImError("conflict", `already a member of group ${groupId}`);
    const { joinMode } = (await this.store.settings(groupId)) ?? { joinMode: "invite" };
    if (joinMode === "open")
      throw new ImError("conflict", `group ${groupId} is open: join it without a request`);
    if (joinMode !== "approval") throw new ImError("forbidden", `group ${groupId} is invite only`);
    const now = Date.now();
    const pending = await this.store.pendingTickets({ kind: "request", userId, now });
    if (pending.length >= this.core.limits.maxPendingJoinRequestsPerUser) {
      throw new ImError(
        "rate_limited",
        `at most ${this.core.limits.maxPendingJoinRequestsPerUser} pending join requests at once`,
      );
    }
    const ticket = await this.open("request", groupId, userId, userId, text, now);
    await this.announce(group, "join_requested", [userId], userId, [
      userId,
      ...managerIdsOf(group),
    ]);
    return ticket;
  }

  /** Accepts a pending request (owner or admin). */
  async approveRequest(ticketId: string, by: string): Promise<JoinResult> {
    const ticket = await this.requireTicket(ticketId, "request");
    await this.requireManager(ticket.groupId, by);
    return this.admit(
      ticket.groupId,
      ticket.userId,
      { kind: "ticket", ticketId, decidedBy: by },
      by,
    );
  }

  /** Declines a pending request (owner or admin). */
  async declineRequest(ticketId: string, by: string): Promise<GroupJoinTicket> {
    const ticket = await this.requireTicket(ticketId, "request");
    const group = await this.requireManager(ticket.groupId, by);
    const declined = await this.store.declineTicket(ticketId, by, Date.now());
    await this.announce(group, "join_declined", [ticket.userId], by, [
      ticket.userId,
      ...managerIdsOf(group),
    ]);
    return declined;
  }

  /** The group's pending requests (owner or admin). */
  async listRequests(groupId: string, by: string): Promise<GroupJoinTicket[]> {
    await this.requireManager(groupId, by);
    return this.store.pendingTickets({ kind: "request", groupId, now: Date.now() });
  }

  /** Invites a user (members, or owner and admins per the group's `invitePolicy`). */
  async invite(
    groupId: string,
    by: string,
    userId: string,
    message = "",
  ): Promise<GroupJoinTicket> {
    const text = this.checkMessage(message);
    const group = await this.requireInviter(groupId, by);
    if (roleOf(group, userId)) throw new ImError("conflict", `${userId} is already a member`);
    await this.core.unsolicited.checkGroupAdds(by, [userId]);
    const ticket = await this.open("invitation", groupId, userId, by, text, Date.now());
    await this.announce(group, "invited", [userId], by, [userId, by]);
    return ticket;
  }

  /** The invitee accepts. */
  async acceptInvitation(ticketId: string, userId: string): Promise<JoinResult> {
    const ticket = await this.requireOwnInvitation(ticketId, userId);
    return this.admit(
      ticket.groupId,
      userId,
      { kind: "ticket", ticketId, decidedBy: userId },
      ticket.by,
    );
  }

  /** The invitee declines. */
  async declineInvitation(ticketId: string, userId: string): Promise<GroupJoinTicket> {
    const ticket = await this.requireOwnInvitation(ticketId, userId);
    const declined = await this.store.declineTicket(ticketId, userId, Date.now());
    const group = await this.core.storage.groups.get(ticket.groupId);
    if (group)
      await this.announce(group, "invitation_declined", [userId], userId, [userId, ticket.by]);
    return declined;
  }

  /** The user's pending invitations. */
  listInvitations(userId: string): Promise<GroupJoinTicket[]> {
    return this.store.pendingTickets({ kind: "invitation", userId, now: Date.now() });
  }

  /** Creates an invite link. */
  async createInviteLink(
    groupId: string,
    by: string,
    options: InviteLinkOptions = {},
  ): Promise<GroupInviteLink> {
    const maxTtl = this.core.limits.inviteLinkTtlMs;
    const ttlMs = options.ttlMs ?? maxTtl;
    if (!(Number.isInteger(ttlMs) && ttlMs >= 1000 && ttlMs <= maxTtl))
      throw new ImError("bad_request", `ttlMs is an integer from 1000 to ${maxTtl}`);
    const maxUses = options.maxUses ?? null;
    if (maxUses !== null && !(Number.isInteger(maxUses) && maxUses >= 1 && maxUses <= 1_000_000))
      throw new ImError("bad_request", "maxUses is an integer from 1 to 1000000");
    const group = await this.requireInviter(groupId, by);
    const now = Date.now();
    const link = await this.store.createLink({
      // 128 random bits: the code is the only secret of the link.
      code: randomBytes(16).toString("base64url"),
      groupId,
      createdBy: by,
      createdAt: now,
      expiresAt: now + ttlMs,
      maxUses,
    });
    await this.announce(group, "updated", [], by, [by, ...managerIdsOf(group)]);
    return link;
  }

  /** The group's working links (managers: all; other members: their own). */
  async listInviteLinks(groupId: string, by: string): Promise<GroupInviteLink[]> {
    const group = await this.requireGroup(groupId);
    const role = roleOf(group, by);
    if (!role) throw new ImError("forbidden", `not a member of group ${groupId}`);
    const links = await this.store.activeLinks(groupId, Date.now());
    return isManager(role) ? links : links.filter((l) => l.createdBy === by);
  }

  /** Revokes a link (its creator, the owner or an admin). */
  async revokeInviteLink(code: string, by: string): Promise<void> {
    const link = await this.store.link(code);
    if (!link)
      throw new ImError("not_found", "no such invite link", { details: { reason: "unknown" } });
    const group = await this.requireGroup(link.groupId);
    if (link.createdBy !== by && !isManager(roleOf(group, by)))
      throw new ImError("forbidden", "only its creator, the owner or an admin may revoke a link");
    await this.store.revokeLink(code, Date.now());
    await this.announce(group, "updated", [], by, [link.createdBy, ...managerIdsOf(group)]);
  }

  /** Joins with a link. */
  async joinByLink(code: string, userId: string): Promise<JoinResult> {
    const link = await this.store.link(code);
    if (!link)
      throw new ImError("not_found", "no such invite link", { details: { reason: "unknown" } });
    return this.admit(link.groupId, userId, { kind: "link", code }, link.createdBy);
  }

  private async admit(
    groupId: string,
    userId: string,
    path: AdmissionPath,
    by: string,
  ): Promise<JoinResult> {
    const { joined } = await this.store.admit({
      groupId,
      userId,
      path,
      at: Date.now(),
      maxMembers: this.core.limits.maxGroupSize,
    });
    if (joined) {
      // Read after the write: the audience includes whoever joined meanwhile.
      const group = await this.core.storage.groups.get(groupId);
      const audience = group ? group.members.map((m) => m.userId) : [userId];
      await announceGroupEvent(this.core, groupId, "member_added", [userId], by, audience);
    }
    return { groupId, joined };
  }

  private async open(
    kind: JoinTicketKind,
    groupId: string,
    userId: string,
    by: string,
    message: string,
    now: number,
  ): Promise<GroupJoinTicket> {
    const ttl =
      kind === "request" ? this.core.limits.joinRequestTtlMs : this.core.limits.invitationTtlMs;
    return this.store.openTicket({
      ticketId: newId("jt").slice(3),
      groupId,
      kind,
      userId,
      by,
      message,
      createdAt: now,
      expiresAt: now + ttl,
    });
  }

  private checkMessage(message: string): string {
    if (typeof message !== "string" || isIllFormed(message))
      throw new ImError("bad_request", "the message is not well-formed text");
    const text = message.trim();
    if (text.length > this.core.limits.maxJoinMessageLength) {
      throw new ImError(
        "bad_request",
        `a join message has at most ${this.core.limits.maxJoinMessageLength} characters`,
      );
    }
    return text;
  }

  private async requireGroup(groupId: string): Promise<Group> {
    const group = await this.core.storage.groups.get(groupId);
    if (!group) throw new ImError("not_found", `group ${groupId} does not exist`);
    return group;
  }

  private async requireManager(groupId: string, userId: string): Promise<Group> {
    const group = await this.requireGroup(groupId);
    const role = roleOf(group, userId);
    if (!role) throw new ImError("forbidden", `not a member of group ${groupId}`);
    if (!isManager(role)) throw new ImError("forbidden", "this needs the role owner or admin");
    return group;
  }

  private async requireInviter(groupId: string, userId: string): Promise<Group> {
    const group = await this.requireGroup(groupId);
    const role = roleOf(group, userId);
    if (!role) throw new ImError("forbidden", `not a member of group ${groupId}`);
    const settings = await this.store.settings(groupId);
    if (settings?.invitePolicy === "admins" && !isManager(role))
      throw new ImError("forbidden", `only the owner and admins may invite to group ${groupId}`);
    return group;
  }

  private async requireTicket(ticketId: string, kind: JoinTicketKind): Promise<GroupJoinTicket> {
    const ticket = await this.store.ticket(ticketId, Date.now());
    if (!ticket || ticket.kind !== kind)
      throw new ImError("not_found", `no join ${kind} ${ticketId}`, {
        details: { reason: "unknown" },
      });
    return ticket;
  }

  /** The invitation when it is `userId`'s; someone else's answers `not_found` (it does not leak). */
  private async requireOwnInvitation(ticketId: string, userId: string): Promise<GroupJoinTicket> {
    const ticket = await this.requireTicket(ticketId, "invitation");
    if (ticket.userId !== userId)
      throw new ImError("not_found", `no join invitation ${ticketId}`, {
        details: { reason: "unknown" },
      });
    return ticket;
  }

  private announce(
    group: Group,
    event: "updated" | "join_requested" | "join_declined" | "invited" | "invitation_declined",
    userIds: string[],
    by: string,
    audience: readonly string[],
  ): Promise<void> {
    // Membership did not change: no cache to drop, only the people concerned to tell.
    return this.core.delivery.deliverFrame([...new Set(audience)], {
      type: "group",
      groupId: group.groupId,
      event,
      userIds,
      by,
    });
  }
}
