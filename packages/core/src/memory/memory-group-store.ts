import type { GroupStore } from "../contracts/group-store.js";
import { groupConversationId } from "../domain/conversation.js";
import type { Group, GroupMember } from "../domain/group.js";
import { ImError } from "../errors.js";
import {
  deleteCursor,
  ensureConversation,
  ensureCursor,
  type MemoryStorageState,
} from "./memory-storage-backend.js";

/** @internal What the memory group store needs from its storage. */
export interface MemoryGroupStoreContext {
  state: MemoryStorageState;
}

/** @internal Adds a member to a stored group, with its cursor at the conversation's last seq. */
export function joinGroup(state: MemoryStorageState, group: Group, member: GroupMember): void {
  group.members.push(member);
  let groups = state.groupsByUser.get(member.userId);
  if (!groups) {
    groups = new Set();
    state.groupsByUser.set(member.userId, groups);
  }
  groups.add(group.groupId);
  const conversationId = groupConversationId(group.groupId);
  // New members start at the current last seq: history before they joined is not "unread".
  const lastSeq = state.conversations.get(conversationId)?.lastSeq ?? 0;
  ensureCursor(state, member.userId, conversationId, lastSeq);
}

/** @internal The in-memory {@link GroupStore}. */
export function createMemoryGroupStore(context: MemoryGroupStoreContext): GroupStore {
  const { state } = context;

  function groupOrThrow(groupId: string): Group {
    const group = state.groups.get(groupId);
    if (!group) throw new ImError("not_found", `[lucky-im] [core] no group "${groupId}"`);
    return group;
  }

  function memberOrThrow(group: Group, userId: string): GroupMember {
    const member = group.members.find((m) => m.userId === userId);
    if (!member) {
      throw new ImError(
        "not_found",
        `[lucky-im] [core] "${userId}" is not a member of group "${group.groupId}"`,
      );
    }
    return member;
  }

  const join = (group: Group, member: GroupMember) => joinGroup(state, group, member);

  function leave(group: Group, userId: string): void {
    group.members = group.members.filter((m) => m.userId !== userId);
    const groups = state.groupsByUser.get(userId);
    if (groups) {
      groups.delete(group.groupId);
      if (groups.size === 0) state.groupsByUser.delete(userId);
    }
    deleteCursor(state, userId, groupConversationId(group.groupId));
  }

  return {
    async create(input) {
      if (state.groups.has(input.groupId)) {
        throw new ImError("conflict", `[lucky-im] [core] group "${input.groupId}" already exists`);
      }
      const group: Group = {
        groupId: input.groupId,
        name: input.name,
        ownerId: input.ownerId,
        mutedAll: false,
        createdAt: input.createdAt,
        description: "",
        avatar: null,
        announcement: null,
        members: [],
      };
      state.groups.set(group.groupId, group);
      ensureConversation(state, groupConversationId(group.groupId), input.createdAt);
      join(group, { userId: input.ownerId, role: "owner", joinedAt: input.createdAt });
      for (const userId of new Set(input.memberIds)) {
        if (userId === input.ownerId) continue;
        join(group, { userId, role: "member", joinedAt: input.createdAt });
      }
      return structuredClone(group);
    },

    async get(groupId) {
      const group = state.groups.get(groupId);
      return group ? structuredClone(group) : undefined;
    },

    async member(groupId, userId) {
      const member = state.groups.get(groupId)?.members.find((m) => m.userId === userId);
      return member ? { ...member } : undefined;
    },

    async memberIds(groupId) {
      return state.groups.get(groupId)?.members.map((m) => m.userId) ?? [];
    },

    async addMembers(groupId, userIds, joinedAt, options = {}) {
      const group = groupOrThrow(groupId);
      const present = new Set(group.members.map((m) => m.userId));
      const fresh = [...new Set(userIds)].filter((userId) => !present.has(userId));
      const { maxMembers } = options;
      if (
        maxMembers !== undefined &&
        fresh.length > 0 &&
        present.size + fresh.length > maxMembers
      ) {
        throw new ImError(
          "too_large",
          `[lucky-im] [core] a group holds at most ${maxMembers} members`,
        );
      }
      for (const userId of fresh) join(group, { userId, role: "member", joinedAt });
      return fresh;
    },

    async removeMembers(groupId, userIds) {
      const group = state.groups.get(groupId);
      if (!group) return [];
      const removed: string[] = [];
      for (const userId of new Set(userIds)) {
        if (!group.members.some((m) => m.userId === userId)) continue;
        leave(group, userId);
        removed.push(userId);
      }
      return removed;
    },

    async setRole(groupId, userId, role) {
      memberOrThrow(groupOrThrow(groupId), userId).role = role;
    },

    async muteMember(groupId, userId, until) {
      const member = memberOrThrow(groupOrThrow(groupId), userId);
      if (until === null) delete member.mutedUntil;
      else member.mutedUntil = until;
    },

    async update(groupId, patch) {
      const group = groupOrThrow(groupId);
      if (patch.name !== undefined) group.name = patch.name;
      if (patch.mutedAll !== undefined) group.mutedAll = patch.mutedAll;
      if (patch.description !== undefined) group.description = patch.description;
      if (patch.avatar !== undefined) group.avatar = patch.avatar;
      if (patch.announcement !== undefined)
        group.announcement = patch.announcement && { ...patch.announcement };
    },

    async transferOwner(groupId, newOwnerId) {
      const group = groupOrThrow(groupId);
      const next = memberOrThrow(group, newOwnerId);
      if (group.ownerId === newOwnerId) return;
      const previous = group.members.find((m) => m.userId === group.ownerId);
      if (previous) previous.role = "admin";
      next.role = "owner";
      group.ownerId = newOwnerId;
    },

    async dismiss(groupId) {
      const group = state.groups.get(groupId);
      if (!group) return;
      for (const { userId } of [...group.members]) leave(group, userId);
      state.groups.delete(groupId);
      state.groupJoins.delete(groupId);
      // Leave no cursor behind, even one of a user who was never a member.
      state.cursorsByConversation.delete(groupConversationId(groupId));
    },

    async groupsOf(userId) {
      return [...(state.groupsByUser.get(userId) ?? [])];
    },
  };
}
