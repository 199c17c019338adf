/**
 * How people who are not members get into a group:
 * - `open`: anyone who knows the group id (or holds a link) joins at once;
 * - `approval`: a join request that the owner or an admin accepts or declines;
 * - `invite`: only through an invitation or an invite link (the default).
 */
export type JoinMode = "open" | "approval" | "invite";

/** Who may invite people and create invite links: every member, or only the owner and admins. */
export type InvitePolicy = "members" | "admins";

/** A group's join settings. */
export interface GroupJoinSettings {
  /** How non-members get in. */
  joinMode: JoinMode;
  /** Who may invite and create invite links. */
  invitePolicy: InvitePolicy;
}

/** The settings of a group that never changed them: invite only, every member may invite. */
export const DEFAULT_GROUP_JOIN_SETTINGS: Readonly<GroupJoinSettings> = Object.freeze({
  joinMode: "invite",
  invitePolicy: "members",
});

/** A join request (the user asks) or an invitation (a member asks the user). */
export type JoinTicketKind = "request" | "invitation";

/**
 * Where a ticket is: `pending` until accepted or declined; a pending ticket
 * past its `expiresAt` counts as `expired` (stores report it so).
 */
export type JoinTicketState = "pending" | "accepted" | "declined" | "expired";

/** A join request or an invitation. */
export interface GroupJoinTicket {
  /** The ticket's id. */
  ticketId: string;
  /** The group to join. */
  groupId: string;
  /** `request`: the user asked to join; `invitation`: `by` invited the user. */
  kind: JoinTicketKind;
  /** Who would join. */
  userId: string;
  /** Who opened it: the user itself for a request, the inviter for an invitation. */
  by: string;
  /** The short message that came with it (may be empty). */
  message: string;
  /** Its state. */
  state: JoinTicketState;
  /** When it was opened (ms since epoch). */
  createdAt: number;
  /** When it stops being usable (ms since epoch). */
  expiresAt: number;
  /** Who accepted or declined it. */
  decidedBy?: string;
  /** When it was accepted or declined (ms since epoch). */
  decidedAt?: number;
}

/** An invite link: whoever holds its code may join, once per user, until it expires, is used up or revoked. */
export interface GroupInviteLink {
  /** The secret part of the link. */
  code: string;
  /** The group it joins. */
  groupId: string;
  /** The member who created it. */
  createdBy: string;
  /** When it was created (ms since epoch). */
  createdAt: number;
  /** When it stops working (ms since epoch). */
  expiresAt: number;
  /** How many joins it allows; `null`: no limit. */
  maxUses: number | null;
  /** How many joins it made. */
  uses: number;
  /** When it was revoked (ms since epoch); absent while it is not. */
  revokedAt?: number;
}
