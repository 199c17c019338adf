import type { Group, GroupAnnouncement, GroupMember, GroupRole } from "../domain/group.js";

/** What creating a group needs. */
export interface NewGroup {
  /** The new group's id (unique; the conversation is `g:<groupId>`). */
  groupId: string;
  /** The display name. */
  name: string;
  /** The creator, added with the role `owner`. */
  ownerId: string;
  /** Other members (the owner is added as `owner`). */
  memberIds: readonly string[];
  /** Creation time (ms since epoch), also every member's `joinedAt`. */
  createdAt: number;
}

/** Fields of a group that can change. */
export interface GroupPatch {
  /** A new display name. */
  name?: string;
  /** Whether only the owner and admins may send. */
  mutedAll?: boolean;
  /** A new description (`""` clears it). */
  description?: string;
  /** A new avatar URL, or null to remove it. */
  avatar?: string | null;
  /** A new announcement (text, author, time), or null to remove it. */
  announcement?: GroupAnnouncement | null;
}

/** Options of {@link GroupStore.addMembers}. */
export interface AddMembersOptions {
  /**
   * The most members the group may have after the add, owner included. The
   * store counts the members inside the add's transaction (serialized with
   * every other add and join of the group), so concurrent adds never pass it.
   * Absent: no cap.
   */
  maxMembers?: number;
}

/**
 * Groups and their members. Creating a group also creates its conversation
 * (`g:<groupId>`) and a cursor per member; adding members creates their
 * cursors (starting at the conversation's current last seq), removing them
 * deletes the cursors. Role rules (who may do what) live in the engine.
 */
export interface GroupStore {
  /**
   * Creates the group, its owner and members, its conversation `g:<groupId>`
   * and a cursor per member, in one transaction. Rejects with
   * `ImError("conflict")` when the group id exists. Resolves with the stored group.
   */
  create(group: NewGroup): Promise<Group>;
  /** The group with its members, or undefined (also once dismissed). */
  get(groupId: string): Promise<Group | undefined>;
  /** One member, or undefined when not a member. */
  member(groupId: string, userId: string): Promise<GroupMember | undefined>;
  /** Member ids only: the hot path of group fan-out. */
  memberIds(groupId: string): Promise<string[]>;
  /**
   * Adds members with the role `member` and a cursor each, starting at the conversation's
   * last seq (a new member reads on from now). Ids already present are ignored. Resolves with
   * the ids actually added (the engine announces only those); rejects with
   * `ImError("not_found")` when the group does not exist, and with `ImError("too_large")`,
   * adding no one, when the new members would take the group past `options.maxMembers`.
   */
  addMembers(
    groupId: string,
    userIds: readonly string[],
    joinedAt: number,
    options?: AddMembersOptions,
  ): Promise<string[]>;
  /**
   * Removes members and deletes their cursors. Resolves with the ids that were members (the
   * engine announces only those); an unknown group or id is not an error (resolves `[]`).
   */
  removeMembers(groupId: string, userIds: readonly string[]): Promise<string[]>;
  /**
   * Sets a member's role (`admin` or `member`; ownership moves only through
   * {@link GroupStore.transferOwner}). Rejects with `ImError("not_found")`
   * when the group or the member does not exist.
   */
  setRole(groupId: string, userId: string, role: GroupRole): Promise<void>;
  /**
   * Mutes a member until a time (ms since epoch; the engine refuses their sends before it),
   * or unmutes with `null`. Rejects with `ImError("not_found")` when the group or the member
   * does not exist.
   */
  muteMember(groupId: string, userId: string, until: number | null): Promise<void>;
  /**
   * Applies the fields present in `patch` (a rename, muting everyone, the description, avatar or announcement); absent fields keep
   * their value, and the next {@link GroupStore.get} returns the new ones. Rejects with
   * `ImError("not_found")` when the group does not exist. Permission checks are the
   * engine's: the store applies any patch it is given.
   */
  update(groupId: string, patch: GroupPatch): Promise<void>;
  /**
   * Makes `newOwnerId` the owner and the old owner an admin, atomically: a reader never sees
   * two owners or none. A no-op when `newOwnerId` already owns the group. Rejects with
   * `ImError("not_found")` when the group does not exist or `newOwnerId` is not a member.
   */
  transferOwner(groupId: string, newOwnerId: string): Promise<void>;
  /**
   * Deletes the group, its members and their cursors; {@link GroupStore.get} then resolves
   * undefined. Messages stay. Dismissing an unknown group is a no-op.
   */
  dismiss(groupId: string): Promise<void>;
  /** Ids of the groups a user is a member of. */
  groupsOf(userId: string): Promise<string[]>;
}
