import type { Group, GroupRole } from "../domain/group.js";
import type { GroupJoinOperations } from "./group-join-operations.js";

/** What {@link GroupOperations.create} needs. */
export interface CreateGroupInput {
  /** The creator; becomes the owner. */
  ownerId: string;
  /** The display name. */
  name: string;
  /** Other members. */
  memberIds?: readonly string[];
  /** @default a generated id */
  groupId?: string;
}

/**
 * Group operations for the host application (its HTTP API calls these), as
 * `im.groups`. Each checks the acting user's role, changes the store,
 * invalidates membership caches on every node and sends a `group` frame to
 * every member.
 *
 * Roles: the owner may do everything; admins may add and remove plain
 * members, mute them and rename the group; members may only leave. How
 * non-members get in (join modes, requests, invitations, invite links) is
 * in {@link GroupJoinOperations}.
 */
export interface GroupOperations extends GroupJoinOperations {
  /** Creates a group; the creator is its owner; every member gets `group created`. */
  create(input: CreateGroupInput): Promise<Group>;
  /** The group with its members, or undefined. */
  get(groupId: string): Promise<Group | undefined>;
  /** Ids of the user's groups. */
  groupsOf(userId: string): Promise<string[]>;
  /** Adds members (owner or admin); returns the ids actually added. */
  addMembers(groupId: string, by: string, userIds: readonly string[]): Promise<string[]>;
  /** Removes members (owner: anyone but itself; admin: plain members only); returns the ids removed. */
  removeMembers(groupId: string, by: string, userIds: readonly string[]): Promise<string[]>;
  /** A member leaves. The owner must transfer ownership first (conflict). */
  leave(groupId: string, userId: string): Promise<void>;
  /** Makes a member an admin or a plain member (owner only). */
  setRole(
    groupId: string,
    by: string,
    userId: string,
    role: Exclude<GroupRole, "owner">,
  ): Promise<void>;
  /** Hands ownership to another member; the old owner becomes an admin (owner only). */
  transferOwner(groupId: string, by: string, newOwnerId: string): Promise<void>;
  /** Mutes a member until a time (ms since epoch), or unmutes with `null` (owner or admin; not the owner, and admins only by the owner). */
  muteMember(groupId: string, by: string, userId: string, until: number | null): Promise<void>;
  /** Turns "mute all" on or off: only owner and admins may then send (owner or admin). */
  muteAll(groupId: string, by: string, muted: boolean): Promise<void>;
  /** Renames the group (owner or admin). */
  rename(groupId: string, by: string, name: string): Promise<void>;
  /** Dismisses the group (owner only); every member gets `group dismissed`. Messages stay stored. */
  dismiss(groupId: string, by: string): Promise<void>;
}
