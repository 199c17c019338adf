import type { GroupInviteLink, GroupJoinSettings, GroupJoinTicket } from "../domain/group-join.js";

/** What {@link GroupJoinOperations.createInviteLink} accepts. */
export interface InviteLinkOptions {
  /** How long the link works, in ms (at most the `inviteLinkTtlMs` limit). @default the `inviteLinkTtlMs` limit */
  ttlMs?: number;
  /** How many people may join with it. @default no limit */
  maxUses?: number;
}

/** What a join did. */
export interface JoinResult {
  /** The group joined. */
  groupId: string;
  /** True when the user became a member; false when it was one already. */
  joined: boolean;
}

/**
 * How non-members get into a group, as part of `im.groups`: join modes, join
 * requests, invitations and invite links. Every method checks the acting
 * user's rights; each change sends a `group` frame to the people it concerns
 * on every node, and a join invalidates membership caches everywhere, so the
 * new member can send at once.
 *
 * Refusals (`ImError` codes): a group, request, invitation or link that does
 * not exist: `not_found`; a right the user lacks (joining an invite-only
 * group without an invitation, approving as a plain member, ...):
 * `forbidden`; an expired, revoked or used-up link or an already decided
 * ticket: `forbidden` with `details.reason` (`expired`, `revoked`,
 * `used_up`, `already_used`, `decided`); a second pending request or
 * invitation: `conflict`; a full group: `too_large`; too many pending
 * requests of one user: `rate_limited`; a message too long: `bad_request`.
 */
export interface GroupJoinOperations {
  /** The group's join settings, or undefined when it does not exist. Anyone may read them. */
  joinSettings(groupId: string): Promise<GroupJoinSettings | undefined>;
  /** Changes the join mode and/or who may invite (owner or admin); members get `group updated`. */
  updateJoinSettings(
    groupId: string,
    by: string,
    patch: Partial<GroupJoinSettings>,
  ): Promise<GroupJoinSettings>;
  /** Joins an `open` group at once (other modes: `forbidden`). Members get `group member_added`. */
  join(groupId: string, userId: string): Promise<JoinResult>;
  /**
   * Asks to join an `approval` group with a short message; the owner and
   * admins get `group join_requested`. One pending request per user and group
   * (`conflict`); it expires after the `joinRequestTtlMs` limit.
   */
  requestJoin(groupId: string, userId: string, message?: string): Promise<GroupJoinTicket>;
  /** Accepts a pending request (owner or admin): the requester joins (`group member_added`). */
  approveRequest(ticketId: string, by: string): Promise<JoinResult>;
  /** Declines a pending request (owner or admin): the requester and the admins get `group join_declined`. */
  declineRequest(ticketId: string, by: string): Promise<GroupJoinTicket>;
  /** The group's pending requests, oldest first (owner or admin). */
  listRequests(groupId: string, by: string): Promise<GroupJoinTicket[]>;
  /**
   * Invites a user (any member, or only owner and admins when the group's
   * `invitePolicy` is `admins`): the invitee and the inviter get
   * `group invited`. Expires after the `invitationTtlMs` limit.
   */
  invite(groupId: string, by: string, userId: string, message?: string): Promise<GroupJoinTicket>;
  /** The invitee accepts: it joins (`group member_added`). */
  acceptInvitation(ticketId: string, userId: string): Promise<JoinResult>;
  /** The invitee declines: the inviter and the invitee get `group invitation_declined`. */
  declineInvitation(ticketId: string, userId: string): Promise<GroupJoinTicket>;
  /** The user's pending invitations, oldest first. */
  listInvitations(userId: string): Promise<GroupJoinTicket[]>;
  /** Creates an invite link (who may invite may create one); the owner and admins get `group updated`. */
  createInviteLink(
    groupId: string,
    by: string,
    options?: InviteLinkOptions,
  ): Promise<GroupInviteLink>;
  /** The group's working links (owner and admins: all; other members: their own). */
  listInviteLinks(groupId: string, by: string): Promise<GroupInviteLink[]>;
  /** Revokes a link (its creator, the owner or an admin); the owner and admins get `group updated`. */
  revokeInviteLink(code: string, by: string): Promise<void>;
  /** Joins with a link, in any join mode; once per user and link. */
  joinByLink(code: string, userId: string): Promise<JoinResult>;
}
