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
  /** Every member, owner included. */
  members: GroupMember[];
}

/** True when the role may manage members (add, remove, mute). */
export function isManager(role: GroupRole | undefined): boolean {
  return role === "owner" || role === "admin";
}
