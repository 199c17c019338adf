/** A member's role in a group. */
export type GroupRole = "owner" | "admin" | "member";

/** One member of a group. */
export interface GroupMember {
  userId: string;
  role: GroupRole;
  /** Muted until this time (ms since epoch); absent or past means not muted. */
  mutedUntil?: number;
  joinedAt: number;
}

/** A group with its members. */
export interface Group {
  groupId: string;
  name: string;
  ownerId: string;
  /** True while "mute all" is on: only owner and admins may send. */
  mutedAll: boolean;
  createdAt: number;
  members: GroupMember[];
}

/** True when the role may manage members (add, remove, mute). */
export function isManager(role: GroupRole | undefined): boolean {
  return role === "owner" || role === "admin";
}
