import type { Group } from "@lucky-im/core";
import type { FastifyInstance } from "fastify";
import { renderGroupAvatar } from "../group-avatar.js";
import { httpError } from "../http-errors.js";
import { authenticateBeforeBody, type RouteContext } from "../route-context.js";
import { AddMembersBody, CreateGroupBody, GroupMemberParams, GroupParams } from "../schemas.js";

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
        members: group.members.map((m) => ({ userId: m.userId, role: m.role })),
      };
    },
  );

  app.get<{ Params: GroupParams }>(
    "/groups/:id/avatar",
    { schema: { params: GroupParams } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const group = await memberView(request.params.id, userId);
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
}
