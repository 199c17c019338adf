import {
  type Group,
  type GroupAnnouncement,
  type GroupMember,
  type GroupPostPolicy,
  type GroupRole,
  isManager,
} from "../domain/group.js";
import type { GroupJoinSettings } from "../domain/group-join.js";
import { ImError } from "../errors.js";
import { isIllFormed } from "../protocol/json-limits.js";
import type { GroupEvent } from "../protocol/schemas.js";
import { newId } from "../util/ids.js";
import type { EngineCore } from "./engine-core.js";
import { announceGroupEvent } from "./group-announce.js";
import type { InviteLinkOptions } from "./group-join-operations.js";
import { GroupJoinService } from "./group-join-service.js";
import type { CreateGroupInput, GroupOperations } from "./group-operations.js";
import { checkGroupAddsAllowed } from "./relation-checks.js";

/** The ids of a group's members. */
function memberIdsOf(group: Group): string[] {
  return group.members.map((m) => m.userId);
}

/** The member `userId` of the group, or `not_found`. */
function requireMember(group: Group, userId: string): GroupMember {
  const member = group.members.find((m) => m.userId === userId);
  if (!member)
    throw new ImError("not_found", `${userId} is not a member of group ${group.groupId}`);
  return member;
}

/**
 * Implements {@link GroupOperations} (`im.groups`).
 *
 * @internal The engine creates it: use `im.groups`.
 */
export class GroupService implements GroupOperations {
  private readonly joins: GroupJoinService;

  /** @param core - the engine's collaborators (storage, caches, delivery) */
  constructor(private readonly core: EngineCore) {
    this.joins = new GroupJoinService(core);
  }

  // Joining: see GroupJoinService.
  /** {@inheritDoc GroupJoinOperations.joinSettings} */
  joinSettings(groupId: string) {
    return this.joins.joinSettings(groupId);
  }
  /** {@inheritDoc GroupJoinOperations.updateJoinSettings} */
  updateJoinSettings(groupId: string, by: string, patch: Partial<GroupJoinSettings>) {
    return this.joins.updateJoinSettings(groupId, by, patch);
  }
  /** {@inheritDoc GroupJoinOperations.join} */
  join(groupId: string, userId: string) {
    return this.joins.join(groupId, userId);
  }
  /** {@inheritDoc GroupJoinOperations.requestJoin} */
  requestJoin(groupId: string, userId: string, message?: string) {
    return this.joins.requestJoin(groupId, userId, message);
  }
  /** {@inheritDoc GroupJoinOperations.approveRequest} */
  approveRequest(ticketId: string, by: string) {
    return this.joins.approveRequest(ticketId, by);
  }
  /** {@inheritDoc GroupJoinOperations.declineRequest} */
  declineRequest(ticketId: string, by: string) {
    return this.joins.declineRequest(ticketId, by);
  }
  /** {@inheritDoc GroupJoinOperations.listRequests} */
  listRequests(groupId: string, by: string) {
    return this.joins.listRequests(groupId, by);
  }
  /** {@inheritDoc GroupJoinOperations.invite} */
  invite(groupId: string, by: string, userId: string, message?: string) {
    return this.joins.invite(groupId, by, userId, message);
  }
  /** {@inheritDoc GroupJoinOperations.acceptInvitation} */
  acceptInvitation(ticketId: string, userId: string) {
    return this.joins.acceptInvitation(ticketId, userId);
  }
  /** {@inheritDoc GroupJoinOperations.declineInvitation} */
  declineInvitation(ticketId: string, userId: string) {
    return this.joins.declineInvitation(ticketId, userId);
  }
  /** {@inheritDoc GroupJoinOperations.listInvitations} */
  listInvitations(userId: string) {
    return this.joins.listInvitations(userId);
  }
  /** {@inheritDoc GroupJoinOperations.createInviteLink} */
  createInviteLink(groupId: string, by: string, options?: InviteLinkOptions) {
    return this.joins.createInviteLink(groupId, by, options);
  }
  /** {@inheritDoc GroupJoinOperations.listInviteLinks} */
  listInviteLinks(groupId: string, by: string) {
    return this.joins.listInviteLinks(groupId, by);
  }
  /** {@inheritDoc GroupJoinOperations.revokeInviteLink} */
  revokeInviteLink(code: string, by: string) {
    return this.joins.revokeInviteLink(code, by);
  }
  /** {@inheritDoc GroupJoinOperations.joinByLink} */
  joinByLink(code: string, userId: string) {
    return this.joins.joinByLink(code, userId);
  }

  /** Creates a group; the creator is its owner; every member gets `group created`. */
  async create(input: CreateGroupInput): Promise<Group> {
    const name = input.name.trim();
    if (!name || isIllFormed(name) || name.length > 100)
      throw new ImError("bad_request", "a group name has 1..100 characters");
    const members = [...new Set(input.memberIds ?? [])].filter((id) => id !== input.ownerId);
    this.checkSize(members.length + 1);
    await checkGroupAddsAllowed(this.core.relations, input.ownerId, members);
    await this.core.unsolicited.checkGroupAdds(input.ownerId, members);
    const group = await this.core.storage.groups.create({
      groupId: input.groupId ?? newId("g").slice(2),
      name,
      ownerId: input.ownerId,
      memberIds: members,
      createdAt: Date.now(),
    });
    await this.announce(group.groupId, "created", [input.ownerId, ...members], input.ownerId, [
      input.ownerId,
      ...members,
    ]);
    return group;
  }

  /** The group with its members, or undefined. */
  get(groupId: string): Promise<Group | undefined> {
    return this.core.storage.groups.get(groupId);
  }

  /** Ids of the user's groups. */
  groupsOf(userId: string): Promise<string[]> {
    return this.core.storage.groups.groupsOf(userId);
  }

  /** Adds members (owner or admin); returns the ids actually added. */
  async addMembers(groupId: string, by: string, userIds: readonly string[]): Promise<string[]> {
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    const fresh = [...new Set(userIds)].filter((id) => !group.members.some((m) => m.userId === id));
    this.checkSize(group.members.length + fresh.length);
    await checkGroupAddsAllowed(this.core.relations, by, fresh);
    await this.core.unsolicited.checkGroupAdds(by, fresh);
    // The store checks the cap again inside its transaction: two adds that each saw room
    // for their members do not both pass it.
    const added = await this.core.storage.groups.addMembers(groupId, fresh, Date.now(), {
      maxMembers: this.core.limits.maxGroupSize,
    });
    if (added.length > 0) {
      const audience = [...memberIdsOf(group), ...added];
      await this.announce(groupId, "member_added", added, by, audience);
    }
    return added;
  }

  /** Removes members (owner: anyone but itself; admin: plain members only); returns the ids removed. */
  async removeMembers(groupId: string, by: string, userIds: readonly string[]): Promise<string[]> {
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    const actor = group.members.find((m) => m.userId === by)!;
    for (const userId of userIds) {
      const target = group.members.find((m) => m.userId === userId);
      if (!target) continue;
      if (target.role === "owner")
        throw new ImError("forbidden", "the owner cannot be removed; transfer ownership first");
      if (target.role === "admin" && actor.role !== "owner") {
        throw new ImError("forbidden", "only the owner may remove an admin");
      }
    }
    const audience = memberIdsOf(group);
    const removed = await this.core.storage.groups.removeMembers(groupId, userIds);
    if (removed.length > 0) await this.announce(groupId, "member_removed", removed, by, audience);
    return removed;
  }

  /**
   * An admin of the service (not of the group) removes a member: `not_found` when the group
   * or the member does not exist, `conflict` for the owner. Members hear `member_removed`.
   *
   * @internal `im.admin.removeMember` calls it after checking the admin.
   */
  async removeAsServiceAdmin(groupId: string, adminId: string, userId: string): Promise<void> {
    const group = await this.requireGroup(groupId);
    const target = group.members.find((m) => m.userId === userId);
    if (!target) throw new ImError("not_found", `${userId} is not a member of group ${groupId}`);
    if (target.role === "owner")
      throw new ImError("conflict", "the owner cannot be removed; transfer ownership first");
    const audience = memberIdsOf(group);
    const removed = await this.core.storage.groups.removeMembers(groupId, [userId]);
    if (removed.length > 0)
      await this.announce(groupId, "member_removed", removed, adminId, audience);
  }

  /** A member leaves. The owner must transfer ownership first (conflict). */
  async leave(groupId: string, userId: string): Promise<void> {
    const group = await this.requireGroup(groupId);
    const member = group.members.find((m) => m.userId === userId);
    if (!member) throw new ImError("forbidden", `not a member of group ${groupId}`);
    if (member.role === "owner")
      throw new ImError(
        "conflict",
        "the owner cannot leave; transfer ownership or dismiss the group",
      );
    const audience = memberIdsOf(group);
    await this.core.storage.groups.removeMembers(groupId, [userId]);
    await this.announce(groupId, "member_removed", [userId], userId, audience);
  }

  /** Makes a member an admin or a plain member (owner only). */
  async setRole(
    groupId: string,
    by: string,
    userId: string,
    role: Exclude<GroupRole, "owner">,
  ): Promise<void> {
    const group = await this.requireRole(groupId, by, ["owner"]);
    const target = requireMember(group, userId);
    if (target.role === "owner")
      throw new ImError("conflict", "use transferOwner to change the owner");
    await this.core.storage.groups.setRole(groupId, userId, role);
    await this.announce(groupId, "updated", [userId], by, memberIdsOf(group));
  }

  /** Hands ownership to another member; the old owner becomes an admin (owner only). */
  async transferOwner(groupId: string, by: string, newOwnerId: string): Promise<void> {
    const group = await this.requireRole(groupId, by, ["owner"]);
    if (!group.members.some((m) => m.userId === newOwnerId)) {
      throw new ImError("not_found", `${newOwnerId} is not a member of group ${groupId}`);
    }
    await this.core.storage.groups.transferOwner(groupId, newOwnerId);
    await this.announce(groupId, "updated", [by, newOwnerId], by, memberIdsOf(group));
  }

  /** Mutes a member until a time (ms since epoch), or unmutes with `null` (owner or admin; not the owner, and admins only by the owner). */
  async muteMember(
    groupId: string,
    by: string,
    userId: string,
    until: number | null,
  ): Promise<void> {
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    const actor = group.members.find((m) => m.userId === by)!;
    const target = requireMember(group, userId);
    if (target.role === "owner" || (target.role === "admin" && actor.role !== "owner")) {
      throw new ImError("forbidden", `cannot mute ${target.role} ${userId}`);
    }
    await this.core.storage.groups.muteMember(groupId, userId, until);
    await this.announce(groupId, "updated", [userId], by, memberIdsOf(group));
  }

  /** Turns "mute all" on or off: only owner and admins may then send (owner or admin). */
  async muteAll(groupId: string, by: string, muted: boolean): Promise<void> {
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    await this.core.storage.groups.update(groupId, { mutedAll: muted });
    await this.announce(groupId, "updated", [], by, memberIdsOf(group));
  }

  /** Renames the group (owner or admin). */
  async rename(groupId: string, by: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if (!trimmed || isIllFormed(trimmed) || trimmed.length > 100)
      throw new ImError("bad_request", "a group name has 1..100 characters");
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    await this.core.storage.groups.update(groupId, { name: trimmed });
    await this.announce(groupId, "updated", [], by, memberIdsOf(group));
  }

  /** {@inheritDoc GroupOperations.setDescription} */
  async setDescription(groupId: string, by: string, description: string): Promise<void> {
    if (typeof description !== "string" || isIllFormed(description))
      throw new ImError("bad_request", "a description is well-formed text");
    const max = this.core.limits.maxGroupDescriptionLength;
    if (description.length > max)
      throw new ImError("too_large", `a group description has at most ${max} characters`);
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    await this.core.storage.groups.update(groupId, { description });
    await this.announce(groupId, "updated", [], by, memberIdsOf(group));
  }

  /** {@inheritDoc GroupOperations.setAvatar} */
  async setAvatar(groupId: string, by: string, avatar: string | null): Promise<void> {
    if (avatar !== null) {
      if (typeof avatar !== "string" || !avatar || isIllFormed(avatar))
        throw new ImError("bad_request", "an avatar is a non-empty URL or null");
      const max = this.core.limits.maxGroupAvatarLength;
      if (avatar.length > max)
        throw new ImError("too_large", `an avatar URL has at most ${max} characters`);
    }
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    await this.core.storage.groups.update(groupId, { avatar });
    await this.announce(groupId, "updated", [], by, memberIdsOf(group));
  }

  /** {@inheritDoc GroupOperations.setAnnouncement} */
  async setAnnouncement(
    groupId: string,
    by: string,
    text: string | null,
  ): Promise<GroupAnnouncement | null> {
    if (text !== null) {
      if (typeof text !== "string" || !text.trim() || isIllFormed(text))
        throw new ImError("bad_request", "an announcement is non-empty, well-formed text, or null");
      const max = this.core.limits.maxGroupAnnouncementLength;
      if (text.length > max)
        throw new ImError("too_large", `a group announcement has at most ${max} characters`);
    }
    const group = await this.requireRole(groupId, by, ["owner", "admin"]);
    const announcement = text === null ? null : { text, by, at: Date.now() };
    await this.core.storage.groups.update(groupId, { announcement });
    await announceGroupEvent(
      this.core,
      groupId,
      "announcement",
      [],
      by,
      memberIdsOf(group),
      announcement,
    );
    return announcement;
  }

  /** {@inheritDoc GroupOperations.setPostPolicy} */
  async setPostPolicy(groupId: string, by: string, policy: GroupPostPolicy): Promise<void> {
    if (policy !== "everyone" && policy !== "admins")
      throw new ImError("bad_request", "postPolicy is everyone or admins");
    await this.muteAll(groupId, by, policy === "admins");
  }

  /** Dismisses the group (owner only); every member gets `group dismissed`. Messages stay stored. */
  async dismiss(groupId: string, by: string): Promise<void> {
    const group = await this.requireRole(groupId, by, ["owner"]);
    await this.core.storage.groups.dismiss(groupId);
    await this.announce(groupId, "dismissed", [], by, memberIdsOf(group));
  }

  private checkSize(size: number): void {
    if (size > this.core.limits.maxGroupSize) {
      throw new ImError(
        "too_large",
        `a group holds at most ${this.core.limits.maxGroupSize} members`,
      );
    }
  }

  private async requireGroup(groupId: string): Promise<Group> {
    const group = await this.core.storage.groups.get(groupId);
    if (!group) throw new ImError("not_found", `group ${groupId} does not exist`);
    return group;
  }

  private async requireRole(groupId: string, userId: string, roles: GroupRole[]): Promise<Group> {
    const group = await this.requireGroup(groupId);
    const member = group.members.find((m) => m.userId === userId);
    if (!member) throw new ImError("forbidden", `not a member of group ${groupId}`);
    if (!roles.includes(member.role)) {
      throw new ImError(
        "forbidden",
        `this needs the role ${roles.join(" or ")}${isManager(member.role) ? "" : "; you are a member"}`,
      );
    }
    return group;
  }

  private announce(
    groupId: string,
    event: GroupEvent,
    userIds: string[],
    by: string,
    audience: readonly string[],
  ): Promise<void> {
    return announceGroupEvent(this.core, groupId, event, userIds, by, audience);
  }
}
