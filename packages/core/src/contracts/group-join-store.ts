import type {
  GroupInviteLink,
  GroupJoinSettings,
  GroupJoinTicket,
  JoinTicketKind,
} from "../domain/group-join.js";

/** What opening a join request or an invitation needs. */
export interface NewJoinTicket {
  /** The new ticket's id (unique). */
  ticketId: string;
  /** The group to join. */
  groupId: string;
  /** A request or an invitation. */
  kind: JoinTicketKind;
  /** Who would join. */
  userId: string;
  /** Who opens it (the user for a request, the inviter for an invitation). */
  by: string;
  /** A short message. */
  message: string;
  /** Now (ms since epoch). */
  createdAt: number;
  /** When it expires (ms since epoch). */
  expiresAt: number;
}

/** What creating an invite link needs. */
export interface NewInviteLink {
  /** The link's secret code (unique). */
  code: string;
  /** The group it joins. */
  groupId: string;
  /** The member who creates it. */
  createdBy: string;
  /** Now (ms since epoch). */
  createdAt: number;
  /** When it stops working (ms since epoch). */
  expiresAt: number;
  /** How many joins it allows; `null`: no limit. */
  maxUses: number | null;
}

/** How a user gets in: see {@link GroupJoinStore.admit}. */
export type AdmissionPath =
  /** An open group: no ticket or link. */
  | {
      /** How the user joins: `open`. */
      kind: "open";
    }
  /** Accepting a pending request or invitation. */
  | {
      /** How the user joins: `ticket`. */
      kind: "ticket";
      /** The request or invitation accepted. */
      ticketId: string;
      /** Who accepted it: an owner/admin for a request, the invitee for an invitation. */
      decidedBy: string;
    }
  /** An invite link. */
  | {
      /** How the user joins: `link`. */
      kind: "link";
      /** The invite link's code. */
      code: string;
    };

/** What {@link GroupJoinStore.admit} does. */
export interface Admission {
  /** The group. */
  groupId: string;
  /** Who joins (for a ticket: the ticket's user). */
  userId: string;
  /** How. */
  path: AdmissionPath;
  /** Now (ms since epoch): the join time, and what expiry is checked against. */
  at: number;
  /** The most members the group may have, owner included. */
  maxMembers: number;
}

/** What {@link GroupJoinStore.admit} did. */
export interface AdmissionResult {
  /** True when the user became a member; false when it was one already. */
  joined: boolean;
}

/**
 * Why {@link GroupJoinStore.admit} refused a ticket or a link, in
 * `ImError.details.reason` (the code is `forbidden`, or `not_found` for
 * `unknown`).
 */
export type AdmissionRefusal =
  | "unknown"
  | "expired"
  | "revoked"
  | "used_up"
  | "already_used"
  | "decided";

/**
 * Join settings, join requests, invitations and invite links of groups.
 * Permission rules live in the engine; the store keeps every write that
 * changes membership and a ticket or link in one transaction, so that
 * concurrent joins through different paths add a user exactly once and never
 * pass the member cap. Dismissing a group deletes its join data; tickets and
 * links past their expiry stay (answering `expired`) until
 * {@link GroupJoinStore.purgeExpired} deletes them.
 */
export interface GroupJoinStore {
  /** The group's settings (the defaults when never set), or undefined when the group does not exist. */
  settings(groupId: string): Promise<GroupJoinSettings | undefined>;
  /** Applies the fields present in `patch`; returns the settings. `ImError("not_found")` without the group. */
  updateSettings(groupId: string, patch: Partial<GroupJoinSettings>): Promise<GroupJoinSettings>;
  /**
   * Opens a ticket. `ImError("conflict")` when the user has a pending,
   * unexpired ticket of the same kind for the group (a pending one that
   * expired is marked `expired` and no longer counts); `ImError("not_found")`
   * without the group.
   */
  openTicket(ticket: NewJoinTicket): Promise<GroupJoinTicket>;
  /** One ticket (its `state` is `expired` when pending past `expiresAt` at `now`), or undefined. */
  ticket(ticketId: string, now: number): Promise<GroupJoinTicket | undefined>;
  /**
   * Pending, unexpired tickets of one kind, oldest first, for a group
   * (`groupId`), a user (`userId`) or both.
   */
  pendingTickets(query: {
    kind: JoinTicketKind;
    groupId?: string;
    userId?: string;
    now: number;
  }): Promise<GroupJoinTicket[]>;
  /**
   * Declines a pending, unexpired ticket and returns it. `ImError("not_found")`
   * for an unknown ticket, `ImError("conflict")` when it is no longer pending
   * or expired.
   */
  declineTicket(ticketId: string, by: string, now: number): Promise<GroupJoinTicket>;
  /** Stores a new invite link. `ImError("not_found")` without the group. */
  createLink(link: NewInviteLink): Promise<GroupInviteLink>;
  /** One link, or undefined. */
  link(code: string): Promise<GroupInviteLink | undefined>;
  /** A group's links that are neither revoked, expired at `now` nor used up, newest first. */
  activeLinks(groupId: string, now: number): Promise<GroupInviteLink[]>;
  /** Revokes a link (no-op when already revoked). `ImError("not_found")` for an unknown code. */
  revokeLink(code: string, at: number): Promise<void>;
  /**
   * Adds the user to the group through `path`, in one transaction with the
   * path's bookkeeping: a ticket becomes `accepted` (by `decidedBy`); a link
   * counts one use and remembers the user. A user who is a member already is
   * not added again (`joined: false`; the ticket is still accepted, the link
   * not used). Rejects with:
   * - `ImError("not_found")` without the group, or for an unknown ticket or
   *   link (`details.reason: "unknown"`), or a ticket or link of another group;
   * - `ImError("forbidden")` with `details.reason` for a ticket that is no
   *   longer pending (`decided`) or expired, a link that is expired, revoked,
   *   used up, or that this user used before (`already_used`);
   * - `ImError("too_large")` when the group has `maxMembers` members.
   */
  admit(admission: Admission): Promise<AdmissionResult>;
  /**
   * Deletes the tickets (in any state) and the invite links (with the record
   * of who used them) whose `expiresAt` is at or before `expiredBefore` (ms
   * since epoch); returns how many tickets and links it deleted. The engine
   * calls it periodically (every node; running it twice is harmless), with
   * a grace so that a recently expired ticket or link still answers
   * `expired` rather than `unknown`.
   */
  purgeExpired(expiredBefore: number): Promise<number>;
}
