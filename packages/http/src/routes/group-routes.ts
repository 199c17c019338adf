import { type Group, type GroupMember, postPolicyOf } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import { renderGroupAvatar } from "../group-avatar.js";
import { httpError } from "../http-errors.js";
import { authenticateBeforeBody, type RouteContext } from "../route-context.js";
import {
  AddMembersBody,
  CreateGroupBody,
  GroupMemberParams,
  GroupParams,
  MuteAllBody,
  MuteMemberBody,
  PageQuery,
  RenameGroupBody,
  SetRoleBody,
  TransferOwnerBody,
} from "../schemas.js";

/** Page size of `GET /groups` and `GET /groups/:id/members` when the query names none. */
const DEFAULT_PAGE = 100;

/** A member as the API shows it: `mutedUntil` only while the mute lasts. */
function memberJson(member: GroupMember, now: number) {
  return {
    userId: member.userId,
    role: member.role,
    ...(member.mutedUntil !== undefined && member.mutedUntil > now
      ? { mutedUntil: member.mutedUntil }
      : {}),
  };
}

/** One page of `items` ordered by `idOf` (code units, stable as items come and go), after `cursor`. */
function pageOf<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  query: PageQuery,
): { page: T[]; nextCursor: string | null } {
  const limit = query.limit ?? DEFAULT_PAGE;
  const sorted = [...items].sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  const after = query.cursor;
  const rest = after === undefined ? sorted : sorted.filter((item) => idOf(item) > after);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rest.length > limit && last ? idOf(last) : null };
}

/** `/groups/*`, all through the engine's group API so members get `group` frames. */
export function registerGroupRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { im, auth } = ctx;
  const beforeBody = authenticateBeforeBody(ctx);

  /** Refuses ids that are not registered users (a typo would make a ghost member). */
  const requireUsers = async (userIds: readonly string[]) => {
    const unique = [...new Set(userIds)];
    const users = await Promise.all(unique.map((id) => auth.getUser(id)));
    const unknown = unique.filter((_, i) => users[i] === undefined);
    if (unknown.length > 0) throw httpError("bad_request", `unknown users: ${unknown.join(", ")}`);
  };

  /** The group, 404 when there is none, 403 when the caller is not in it. */
  const memberView = async (groupId: string, userId: string): Promise<Group> => {
    const group = await im.groups.get(groupId);
    if (!group) throw httpError("not_found", `group ${groupId} does not exist`);
    if (!group.members.some((m) => m.userId === userId)) {
      throw httpError("forbidden", `not a member of group ${groupId}`);
    }
    return group;
  };

  app.post<{ Body: CreateGroupBody }>(
    "/groups",
    { schema: { body: CreateGroupBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await requireUsers(request.body.members.filter((id) => id !== userId));
      const group = await im.groups.create({
        ownerId: userId,
        name: request.body.name,
        memberIds: request.body.members,
      });
      return reply.status(201).send({ groupId: group.groupId });
    },
  );

  app.get<{ Params: GroupParams }>(
    "/groups/:id",
    { schema: { params: GroupParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const group = await memberView(request.params.id, userId);
      return {
        groupId: group.groupId,
        name: group.name,
        ownerId: group.ownerId,
        mutedAll: group.mutedAll,
        postPolicy: postPolicyOf(group),
        description: group.description,
        avatar: group.avatar,
        announcement: group.announcement,
        members: group.members.map((m) => memberJson(m, Date.now())),
      };
    },
  );

  app.get<{ Params: GroupParams }>(
    "/groups/:id/avatar",
    { schema: { params: GroupParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const group = await memberView(request.params.id, userId);
      // An uploaded avatar (PUT /groups/:id/avatar) wins over the generated one.
      if (group.avatar)
        return reply.header("cache-control", "private, max-age=60").redirect(group.avatar);
      // The owner first, then by join order: the picture stays stable as members come and go.
      const members = [...group.members]
        .sort((a, b) =>
          a.role === "owner" ? -1 : b.role === "owner" ? 1 : a.joinedAt - b.joinedAt,
        )
        .slice(0, 9);
      const users = await Promise.all(members.map((m) => auth.getUser(m.userId)));
      const svg = renderGroupAvatar(
        members.map((m, i) => ({ userId: m.userId, name: users[i]?.username ?? m.userId })),
      );
      return reply
        .type("image/svg+xml; charset=utf-8")
        .header("cache-control", "private, max-age=60")
        .send(svg);
    },
  );

  app.post<{ Params: GroupParams; Body: AddMembersBody }>(
    "/groups/:id/members",
    { schema: { params: GroupParams, body: AddMembersBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await requireUsers(request.body.userIds);
      await im.groups.addMembers(request.params.id, userId, request.body.userIds);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: GroupMemberParams }>(
    "/groups/:id/members/:userId",
    { schema: { params: GroupMemberParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const removed = await im.groups.removeMembers(request.params.id, userId, [
        request.params.userId,
      ]);
      if (removed.length === 0) {
        throw httpError("not_found", `${request.params.userId} is not a member of this group`);
      }
      return reply.status(204).send();
    },
  );

  app.post<{ Params: GroupParams }>(
    "/groups/:id/leave",
    { schema: { params: GroupParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.leave(request.params.id, userId);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: GroupParams }>(
    "/groups/:id",
    { schema: { params: GroupParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.dismiss(request.params.id, userId);
      return reply.status(204).send();
    },
  );

  app.get<{ Querystring: PageQuery }>(
    "/groups",
    { schema: { querystring: PageQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const ids = await im.groups.groupsOf(userId);
      const { page, nextCursor } = pageOf(ids, (id) => id, request.query);
      const groups = await Promise.all(page.map((id) => im.groups.get(id)));
      return {
        groups: groups.flatMap((group) => {
          const me = group?.members.find((m) => m.userId === userId);
          // Gone or left between the two reads: not the caller's group any more.
          if (!group || !me) return [];
          return [
            {
              groupId: group.groupId,
              name: group.name,
              role: me.role,
              memberCount: group.members.length,
              mutedAll: group.mutedAll,
            },
          ];
        }),
        nextCursor,
      };
    },
  );

  app.get<{ Params: GroupParams; Querystring: PageQuery }>(
    "/groups/:id/members",
    { schema: { params: GroupParams, querystring: PageQuery } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const group = await memberView(request.params.id, userId);
      const { page, nextCursor } = pageOf(group.members, (m) => m.userId, request.query);
      const now = Date.now();
      return {
        members: page.map((m) => ({ ...memberJson(m, now), joinedAt: m.joinedAt })),
        memberCount: group.members.length,
        nextCursor,
      };
    },
  );

  app.patch<{ Params: GroupParams; Body: RenameGroupBody }>(
    "/groups/:id",
    { schema: { params: GroupParams, body: RenameGroupBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.rename(request.params.id, userId, request.body.name);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: GroupMemberParams; Body: SetRoleBody }>(
    "/groups/:id/members/:userId/role",
    { schema: { params: GroupMemberParams, body: SetRoleBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const { id, userId: target } = request.params;
      await im.groups.setRole(id, userId, target, request.body.role);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: GroupMemberParams; Body: MuteMemberBody }>(
    "/groups/:id/members/:userId/mute",
    { schema: { params: GroupMemberParams, body: MuteMemberBody }, onRequest: beforeBody },
    async (request) => {
      const userId = await ctx.authenticate(request);
      const { durationSeconds } = request.body;
      if (durationSeconds > ctx.config.maxGroupMuteSeconds) {
        throw httpError(
          "bad_request",
          `durationSeconds must be 1..${ctx.config.maxGroupMuteSeconds}`,
        );
      }
      const mutedUntil = Date.now() + durationSeconds * 1000;
      const { id, userId: target } = request.params;
      await im.groups.muteMember(id, userId, target, mutedUntil);
      return { mutedUntil };
    },
  );

  app.delete<{ Params: GroupMemberParams }>(
    "/groups/:id/members/:userId/mute",
    { schema: { params: GroupMemberParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const { id, userId: target } = request.params;
      await im.groups.muteMember(id, userId, target, null);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: GroupParams; Body: MuteAllBody }>(
    "/groups/:id/mute-all",
    { schema: { params: GroupParams, body: MuteAllBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.muteAll(request.params.id, userId, request.body.mutedAll);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: GroupParams; Body: TransferOwnerBody }>(
    "/groups/:id/transfer",
    { schema: { params: GroupParams, body: TransferOwnerBody }, onRequest: beforeBody },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      await im.groups.transferOwner(request.params.id, userId, request.body.userId);
      return reply.status(204).send();
    },
  );
}
