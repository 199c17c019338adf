/** A member's role in a group. */
export type GroupRole = "owner" | "admin" | "member";

/** One member of a group. */
export interface GroupMember {
  /** The member's user id. */
  userId: string;
  /** What the member may do in the group. */
  role: GroupRole;
  /** Muted until this time (ms since epoch); absent or past means not muted. */
  mutedUntil?: number;
  /** When the member joined (ms since epoch). */
  joinedAt: number;
}

/** A group's announcement: a notice the owner or an admin pins for every member. */
export interface GroupAnnouncement {
  /** The text (1 to `maxGroupAnnouncementLength` characters). */
  text: string;
  /** Who set it. */
  by: string;
  /** When it was set (ms since epoch). */
  at: number;
}

/**
 * Who may post in a group: everyone, or only the owner and admins. It is the
 * group's {@link Group.mutedAll} flag seen as a setting (`admins` while it is on).
 */
export type GroupPostPolicy = "everyone" | "admins";

/** The group's {@link GroupPostPolicy}, read from its `mutedAll` flag. */
export function postPolicyOf(group: Pick<Group, "mutedAll">): GroupPostPolicy {
  return group.mutedAll ? "admins" : "everyone";
}

/** A group with its members. */
export interface Group {
  /** The group's id; its conversation is `g:<groupId>`. */
  groupId: string;
  /** The display name. */
  name: string;
  /** The member with the role `owner`. */
  ownerId: string;
  /** True while "mute all" is on: only owner and admins may send. */
  mutedAll: boolean;
  /** When it was created (ms since epoch). */
  createdAt: number;
  /** What the group is about (`""` when never set). */
  description: string;
  /** The URL of an uploaded avatar image, or null (hosts then draw a generated one). */
  avatar: string | null;
  /** The current announcement, or null. */
  announcement: GroupAnnouncement | null;
  /** Every member, owner included. */
  members: GroupMember[];
}

/** True when the role may manage members (add, remove, mute). */
export function isManager(role: GroupRole | undefined): boolean {
  return role === "owner" || role === "admin";
}
